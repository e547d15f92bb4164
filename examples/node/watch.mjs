// Run: `npm run demo -- --port 8080` in the repository root, then here: `npm install && node watch.mjs [stream]`.
//
// Watches a stream from Node with werift and prints frame statistics every second: frames and packets
// received, bitrate, frames missing (from the sequence numbers) and, for publish.mjs's test pattern,
// the delay from its clock to ours. Waits for the broadcaster if it has not started; Ctrl-C closes.
import { args, closeOnSignal, nodeClient } from './werift.mjs'

const { stream, discovery } = args()
const client = nodeClient(discovery)
closeOnSignal(client)

const stats = { frames: 0, packets: 0, bytes: 0, missing: 0, delays: [] }
let lastSeq
const watched = new WeakSet()

/** Counts what the session's current video track receives (a move brings a new track). */
function watch(mediaStream) {
  for (const track of mediaStream?.getTracks?.() ?? []) {
    if (track.kind !== 'video' || watched.has(track)) {
      continue
    }
    watched.add(track)
    lastSeq = undefined
    track.onReceiveRtp.subscribe((rtp) => {
      stats.packets += 1
      stats.bytes += rtp.payload.length
      const seq = rtp.header.sequenceNumber
      if (lastSeq !== undefined) {
        stats.missing += Math.max(0, ((seq - lastSeq) & 0xffff) - 1)
      }
      lastSeq = seq
      if (rtp.header.marker) {
        stats.frames += 1
      }
      if (rtp.payload.length === 19 && rtp.payload[4] === 0x9d) {
        stats.delays.push(Date.now() - rtp.payload.readDoubleBE(11))
      }
    })
  }
}

const session = client.subscribe({ streamName: stream, waitForStream: true }).session
session.on('waiting', ({ delayMs }) =>
  console.log(`${stream}: not published yet; next look in ${delayMs} ms`),
)
session.on('statechange', ({ to }) => {
  console.log(`${stream}: ${to}${session.environment ? ` on ${session.environment}` : ''}`)
  watch(session.mediaStream)
})
session.on('failed', (error) => {
  console.error(`${stream}: failed: ${error.code} ${error.message}`)
  process.exitCode = 1
})

const timer = setInterval(() => {
  if (session.state !== 'live' && stats.packets === 0) {
    return
  }
  watch(session.mediaStream)
  const delays = stats.delays.sort((a, b) => a - b)
  const median = delays.length ? `${delays[Math.floor(delays.length / 2)]} ms` : 'n/a'
  console.log(
    JSON.stringify({
      stream,
      environment: session.environment,
      fps: stats.frames,
      packets: stats.packets,
      kbps: Math.round((stats.bytes * 8) / 1000),
      missing: stats.missing,
      delay: median,
    }),
  )
  Object.assign(stats, { frames: 0, packets: 0, bytes: 0, missing: 0, delays: [] })
}, 1000)
session.on('closed', () => clearInterval(timer))
