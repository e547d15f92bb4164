// Run: `npm run demo -- --port 8080` in the repository root, then here: `npm install && node publish.mjs [stream]`.
//
// Publishes a test pattern from Node with werift: 30 numbered video frames a second (VP8 RTP packets
// carrying a frame number and the time sent; werift has no video encoder, so they are not a picture) and
// 50 audio packets. The session follows promotions and reconnects by itself; Ctrl-C closes it.
import { MediaStream, MediaStreamTrack, RtpHeader, RtpPacket } from 'werift'

import { args, closeOnSignal, nodeClient } from './werift.mjs'

const { stream, discovery } = args()
const client = nodeClient(discovery)
closeOnSignal(client)

const video = new MediaStreamTrack({ kind: 'video' })
const audio = new MediaStreamTrack({ kind: 'audio' })
let frame = 0
const videoTimer = setInterval(() => {
  frame += 1
  const tag = Buffer.alloc(12)
  tag.writeUInt32BE(frame)
  tag.writeDoubleBE(Date.now(), 4)
  // A VP8 payload descriptor (start of partition) and a keyframe tag, then the frame number and time.
  const payload = Buffer.concat([Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a]), tag])
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: frame & 0xffff,
    timestamp: frame * 3000,
    marker: true,
  })
  video.writeRtp(new RtpPacket(header, payload))
}, 1000 / 30)
let tick = 0
const audioTimer = setInterval(() => {
  tick += 1
  const header = new RtpHeader({ payloadType: 111, sequenceNumber: tick & 0xffff, timestamp: tick * 960 })
  audio.writeRtp(new RtpPacket(header, Buffer.from([0xfc, 0xff, 0xfe])))
}, 20)

const session = client.publish({ streamName: stream, mediaStream: new MediaStream([video, audio]) }).session
session.on('statechange', ({ to }) =>
  console.log(`${stream}: ${to}${session.environment ? ` on ${session.environment}` : ''}`),
)
session.on('migrated', ({ from, to }) => console.log(`${stream}: moved ${from} -> ${to}`))
session.on('failed', (error) => {
  console.error(`${stream}: failed: ${error.code} ${error.message}`)
  process.exitCode = 1
})
session.on('closed', () => {
  clearInterval(videoTimer)
  clearInterval(audioTimer)
})
console.log(`${stream}: ${session.state} (discovery ${discovery})`)
