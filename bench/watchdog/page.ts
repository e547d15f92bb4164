/**
 * The page side of bench/watchdog.bench.ts, bundled by esbuild from the library's source (the watch is
 * internal, so not in dist/). Loaded in two pages of separate browser contexts (so separate renderer
 * processes): the sender page holds one end of each loopback pair, sending an Opus stream from one WebAudio
 * oscillator (packets every 20 ms); the receiver page holds the other ends, what a page with 100 viewers
 * holds, and runs the liveness watch on each: none, one timer per session, or the shared sweep. SDP goes
 * through Node, whole (candidates gathered first).
 */
import { systemClock } from '../../src/environment'
import { LivenessWatch } from '../../src/session/drivers/liveness'

type Mode = 'none' | 'per-session' | 'shared'

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
const peers: RTCPeerConnection[] = []
let watches: LivenessWatch[] = []
let verdicts = 0
const reasons = new Map<string, number>()

async function gathered(pc: RTCPeerConnection): Promise<string> {
  while (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return pc.localDescription!.sdp
}

/** Sender page: `count` offers, each sending the oscillator. */
async function offers(count: number): Promise<string[]> {
  const audio = new AudioContext()
  const oscillator = audio.createOscillator()
  const destination = audio.createMediaStreamDestination()
  oscillator.connect(destination)
  oscillator.start()
  const track = destination.stream.getAudioTracks()[0]!
  const sdps: string[] = []
  for (let i = 0; i < count; i++) {
    const pc = new RTCPeerConnection()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    peers.push(pc)
    sdps.push(await gathered(pc))
  }
  return sdps
}

/** Sender page: applies the receivers' answers. */
async function accept(answers: string[]): Promise<void> {
  await Promise.all(answers.map((sdp, i) => peers[i]!.setRemoteDescription({ type: 'answer', sdp })))
}

/** Receiver page: answers every offer. */
async function answer(sdps: string[]): Promise<string[]> {
  const answers: string[] = []
  for (const sdp of sdps) {
    const pc = new RTCPeerConnection()
    await pc.setRemoteDescription({ type: 'offer', sdp })
    await pc.setLocalDescription(await pc.createAnswer())
    peers.push(pc)
    answers.push(await gathered(pc))
  }
  return answers
}

/** Receiver page: resolves with the number of receivers with media, once all have it or after 30 s. */
async function flowing(): Promise<number> {
  for (let round = 0; ; round++) {
    let count = 0
    for (const pc of peers) {
      const stats = await pc.getStats()
      stats.forEach((s: { type?: string; bytesReceived?: number }) => {
        if (s.type === 'inbound-rtp' && (s.bytesReceived ?? 0) > 0) {
          count++
        }
      })
    }
    if (count === peers.length || round > 150) {
      return count
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Receiver page: starts the watch in `mode` on every receiver (the default viewer timings). */
function start(mode: Mode): void {
  if (mode === 'none') {
    return
  }
  const clock = systemClock()
  watches = peers.map((pc, i) => {
    const watch = new LivenessWatch(
      pc,
      { clock, intervalMs: 250, inactivityMs: 1000, graceMs: 500, sharedTimer: mode === 'shared' },
      (verdict) => {
        verdicts++
        const key = verdict.detail.replace(/\d+ ms/g, 'N ms')
        reasons.set(key, (reasons.get(key) ?? 0) + 1)
      },
      quiet,
      `receiver ${i}`,
    )
    watch.start()
    return watch
  })
}

/** Receiver page: stops every watch; returns the verdicts so far. */
function stop(): number {
  for (const watch of watches) {
    watch.stop()
  }
  watches = []
  return verdicts
}

/** Why the watch ended connections, with counts (healthy connections should give none). */
function why(): string {
  return [...reasons].map(([reason, count]) => `${count} × ${reason}`).join('; ')
}

;(globalThis as Record<string, unknown>).watchdogBench = { offers, accept, answer, flowing, start, stop, why }
