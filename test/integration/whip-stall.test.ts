/**
 * The media watchdog with real media: whipDriver sessions (werift in Node) against the werift media node
 * over loopback, real ICE/DTLS/SRTP/RTCP. A broadcaster whose source freezes (it stops sending RTP but
 * stays connected) gives its viewer the stall signal and no end; a killed node ends both. The same through
 * `createClient` and the emulator: the viewer's session emits `stalled` and no `reconnecting`; a killed
 * environment makes it reconnect.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MediaStream, MediaStreamTrack, RtpHeader, RtpPacket } from 'werift'

import { createClient } from '../../src'
import { startEmulator } from '../../src/emulator'
import { startMediaNode, type MediaNode } from '../../src/emulator/mediaNode'
import { isBlueGreenError } from '../../src/errors'
import type { SignalingTarget } from '../../src/session/drivers/Driver'
import { whipDriver } from '../../src/session/drivers/whip'
import type { SessionKind } from '../../src/types'
import { LoopbackPeer } from '../helpers/weriftMedia'

/**
 * The viewers' watch allows 1.5 s of total silence instead of the default 0.75 s. The werift node sends
 * each track's sender reports 0.5-1.5 s apart, at random: with the default, about 3 % of frozen sources
 * see nothing at all for 0.75 s + the grace and are taken for a dead path (measured: 4 of 120 werift
 * viewers; docs/failover.md "What it cannot tell apart"). With 1.5 s a sender report always comes in time,
 * so these tests say whether a frozen source is told from a death, not how often the default guesses.
 */
const WATCH = { inactivityTimeoutMs: 1500 }

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** A camera and microphone stand-in that can freeze: 20 ms RTP on both tracks while `running`. */
function freezableSource(): { stream: MediaStream; running: { value: boolean } } {
  const tracks = (['video', 'audio'] as const).map((kind) => new MediaStreamTrack({ kind }))
  const running = { value: true }
  let seq = 0
  const timer = setInterval(() => {
    if (!running.value) {
      return
    }
    seq = (seq + 1) & 0xffff
    for (const track of tracks) {
      const video = track.kind === 'video'
      const header = new RtpHeader({
        payloadType: video ? 96 : 111,
        sequenceNumber: seq,
        timestamp: seq * (video ? 3000 : 960),
        marker: video,
      })
      const payload = video ? [0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, seq & 0xff] : [0xfc, 0xff, 0xfe]
      track.writeRtp(new RtpPacket(header, Buffer.from(payload)))
    }
  }, 20)
  cleanups.push(() => clearInterval(timer))
  return { stream: new MediaStream(tracks), running }
}

async function node(): Promise<MediaNode> {
  const started = await startMediaNode({ name: 'stall-node' })
  cleanups.push(() => started.close())
  return started
}

function target(media: MediaNode, kind: SessionKind): SignalingTarget {
  return {
    kind,
    environment: 'green',
    streamName: 'cam1',
    app: 'live',
    endpoint: `${media.url}/live/${kind === 'publish' ? 'whip' : 'whep'}/endpoint/cam1`,
    serverAddress: media.serverAddress,
  }
}

describe('whipDriver media watchdog with real media', () => {
  it('a frozen source is a stall for its viewer, not an end (no reconnect); media back resumes; a killed node ends both', async () => {
    const media = await node()
    const driver = whipDriver({ RTCPeerConnection: LoopbackPeer, ...WATCH })
    const source = freezableSource()
    const never = new AbortController().signal
    const pub = await driver.publish(target(media, 'publish'), { mediaStream: source.stream as never }, never)
    cleanups.push(() => pub.close())
    const sub = await driver.subscribe(target(media, 'subscribe'), {}, never)
    cleanups.push(() => sub.close())
    const ends: { who: string; error: Error | undefined }[] = []
    pub.onEnd((error) => ends.push({ who: 'pub', error }))
    sub.onEnd((error) => ends.push({ who: 'sub', error }))
    const stalls: boolean[] = []
    sub.onStall?.((stalled) => stalls.push(stalled))
    const pubStalls: boolean[] = []
    pub.onStall?.((stalled) => pubStalls.push(stalled))

    source.running.value = false // the broadcaster's camera stalls; its connection stays
    await vi.waitFor(() => expect(stalls).toEqual([true]), { timeout: 10_000 })
    // Over twice the viewer's inactivity timeout plus grace: a dead path would have ended long before.
    await new Promise((resolve) => setTimeout(resolve, 4000))
    expect(ends).toEqual([])
    expect(sub.peerConnection.connectionState).toBe('connected')

    source.running.value = true
    await vi.waitFor(() => expect(stalls).toEqual([true, false]), { timeout: 10_000 })
    expect(pubStalls).toEqual([])

    await media.kill()
    await vi.waitFor(() => expect(ends.map((e) => e.who).sort()).toEqual(['pub', 'sub']), { timeout: 10_000 })
    for (const end of ends) {
      expect(isBlueGreenError(end.error, 'MEDIA_FAILED')).toBe(true)
    }
    expect(stalls).toEqual([true, false]) // the death was not mistaken for a frozen source
  }, 40_000)
})

describe('a session over a frozen source (createClient, the emulator, whipDriver over werift)', () => {
  it('emits stalled and does not reconnect; resumed when media is back; reconnects when the environment is killed', async () => {
    const emu = await startEmulator({ logger: false })
    cleanups.push(() => emu.close())
    const driver = whipDriver({ RTCPeerConnection: LoopbackPeer, ...WATCH })
    const broadcaster = createClient({ discovery: emu.discoveryUrl, driver })
    const audience = createClient({ discovery: emu.discoveryUrl, driver })
    cleanups.push(
      () => broadcaster.close(),
      () => audience.close(),
    )
    const source = freezableSource()
    const publisher = await broadcaster.publish({
      streamName: 'cam',
      mediaStream: source.stream as unknown as globalThis.MediaStream,
    })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    const seen: string[] = []
    for (const name of ['stalled', 'resumed', 'reconnecting', 'reconnected', 'failed'] as const) {
      viewer.on(name, () => seen.push(name))
      publisher.on(name, () => seen.push(`publisher ${name}`))
    }

    source.running.value = false
    await vi.waitFor(() => expect(seen).toEqual(['stalled']), { timeout: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 4000))
    expect(seen).toEqual(['stalled'])
    expect(viewer.state).toBe('live')

    source.running.value = true
    await vi.waitFor(() => expect(seen).toEqual(['stalled', 'resumed']), { timeout: 10_000 })

    await emu.kill(viewer.environment as 'green' | 'blue')
    await vi.waitFor(() => expect(seen).toContain('reconnecting'), { timeout: 10_000 })
    expect(seen.slice(0, 2)).toEqual(['stalled', 'resumed'])
  }, 60_000)
})
