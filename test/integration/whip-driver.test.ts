/**
 * whipDriver() against the werift media node over loopback: real HTTP, real ICE/DTLS/SRTP, real RTP.
 * werift plays the browser on both ends.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, it, vi } from 'vitest'
import { MediaStream, MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift'

import {
  startMediaNode,
  type MediaNode,
  type MediaNodeOptions,
  type MediaNodeRequest,
} from '../../src/emulator/mediaNode'
import { systemClock, type Clock } from '../../src/environment'
import { isBlueGreenError } from '../../src/errors'
import type { SignalingTarget } from '../../src/session/drivers/Driver'
import { whipDriver, type WhipDriverOptions, type WhipDriverSession } from '../../src/session/drivers/whip'
import {
  isSecretParam,
  parseIceServerLinks,
  redactUrl,
  resolveResourceUrl,
} from '../../src/session/drivers/whip/http'
import { parseRetryAfter } from '../../src/internal/retryAfter'
import { buildTrickleFragment, isSdpOffer, parseTrickleFragment } from '../../src/session/drivers/whip/sdp'
import type { SessionKind } from '../../src/types'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** werift needs the loopback address added to gather a candidate that works on a loopback-only host. */
const created: RTCPeerConnection[] = []
class LoopbackPeer extends RTCPeerConnection {
  static configs: unknown[] = []
  constructor(config?: ConstructorParameters<typeof RTCPeerConnection>[0]) {
    super({ ...config, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false })
    LoopbackPeer.configs.push(config)
    created.push(this)
  }
}

async function node(options: Partial<MediaNodeOptions> = {}): Promise<MediaNode> {
  const started = await startMediaNode({ name: 'test-node', ...options })
  cleanups.push(() => started.close())
  return started
}

function driver(options: WhipDriverOptions = {}) {
  return whipDriver({ RTCPeerConnection: LoopbackPeer, ...options })
}

function target(
  media: MediaNode,
  kind: SessionKind,
  streamName = 'cam1',
  query = '',
  extra: Partial<SignalingTarget> = {},
): SignalingTarget {
  const protocol = kind === 'publish' ? 'whip' : 'whep'
  return {
    kind,
    environment: 'green',
    streamName,
    app: 'live',
    endpoint: `${media.url}/live/${protocol}/endpoint/${encodeURIComponent(streamName)}${query}`,
    serverAddress: media.serverAddress,
    ...extra,
  }
}

interface Source {
  readonly stream: MediaStream
  /** Payloads written so far, as hex, by kind. */
  readonly sent: Record<'audio' | 'video', Set<string>>
}

/** A werift MediaStream fed with VP8-like and Opus-like RTP every 20 ms, each payload unique. */
function rtpSource(): Source {
  const video = new MediaStreamTrack({ kind: 'video' })
  const audio = new MediaStreamTrack({ kind: 'audio' })
  const sent = { audio: new Set<string>(), video: new Set<string>() }
  let seq = 0
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff
    const tag = Buffer.alloc(4)
    tag.writeUInt32BE(seq)
    // VP8 payload descriptor (S bit) + a keyframe tag and start code, then a counter.
    const vp8 = Buffer.concat([Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a]), tag])
    const opus = Buffer.concat([Buffer.from([0xfc, 0xff, 0xfe]), tag])
    sent.video.add(vp8.toString('hex'))
    sent.audio.add(opus.toString('hex'))
    video.writeRtp(
      new RtpPacket(
        new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: true }),
        vp8,
      ),
    )
    audio.writeRtp(
      new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960 }), opus),
    )
  }, 20)
  cleanups.push(() => clearInterval(timer))
  return { stream: new MediaStream([video, audio]), sent }
}

/** Collects what the subscriber's werift tracks receive. */
function collect(session: WhipDriverSession): Record<'audio' | 'video', string[]> {
  const received = { audio: [] as string[], video: [] as string[] }
  for (const track of session.tracks as unknown as MediaStreamTrack[]) {
    track.onReceiveRtp.subscribe((rtp) => {
      received[track.kind === 'audio' ? 'audio' : 'video'].push(rtp.payload.toString('hex'))
    })
  }
  return received
}

function open<T extends { close(): Promise<void> }>(session: T): T {
  cleanups.push(() => session.close())
  return session
}

const never = (): AbortSignal => new AbortController().signal

/** `METHOD kind content-type` of every request to the given resource or endpoint path prefix. */
function sequence(requests: readonly MediaNodeRequest[], match: (r: MediaNodeRequest) => boolean): string[] {
  return requests
    .filter(match)
    .map((r) => `${r.method}${r.contentType === undefined ? '' : ` ${r.contentType}`}`)
}

function forStream(protocol: 'whip' | 'whep', resourceUrl?: string) {
  const resourcePath = resourceUrl === undefined ? undefined : new URL(resourceUrl).pathname
  return (r: MediaNodeRequest): boolean =>
    r.path === `/live/${protocol}/endpoint/cam1` || (resourcePath !== undefined && r.path === resourcePath)
}

/** Waits until the node has seen a trickle PATCH for `session` (over loopback media may flow before it). */
async function trickled(media: MediaNode, session: WhipDriverSession): Promise<void> {
  const path = new URL(session.resourceUrl).pathname
  await vi.waitFor(() =>
    expect(
      media
        .stats()
        .requests.some((r) => r.path === path && r.contentType === 'application/trickle-ice-sdpfrag'),
    ).toBe(true),
  )
}

async function publishAndSubscribe(
  media: MediaNode,
  options: WhipDriverOptions = {},
): Promise<{ pub: WhipDriverSession; sub: WhipDriverSession; source: Source }> {
  const source = rtpSource()
  const whip = driver(options)
  const pub = open(
    await whip.publish(target(media, 'publish'), { mediaStream: source.stream as never }, never()),
  )
  const sub = open(await whip.subscribe(target(media, 'subscribe'), {}, never()))
  return { pub, sub, source }
}

describe('whipDriver() with the werift media node', () => {
  it('publish() and subscribe() in Red5 server-offer flavour: the subscriber receives the publisher’s RTP', async () => {
    const media = await node({ whepFlavour: 'server-offer' })
    const { pub, sub, source } = await publishAndSubscribe(media)
    expect(media.streams()).toEqual(['live/cam1'])
    expect(sub.tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video'])
    const received = collect(sub)
    await vi.waitFor(() => {
      expect(received.video.length).toBeGreaterThan(5)
      expect(received.audio.length).toBeGreaterThan(5)
    })
    // What arrives is what was sent, byte for byte (forwarded, not made up by the node).
    expect(received.video.every((payload) => source.sent.video.has(payload))).toBe(true)
    expect(received.audio.every((payload) => source.sent.audio.has(payload))).toBe(true)

    await trickled(media, pub)
    await trickled(media, sub)
    await sub.close()
    await pub.close()
    const requests = media.stats().requests
    expect(sequence(requests, forStream('whip', pub.resourceUrl))).toEqual([
      'OPTIONS',
      'POST application/sdp',
      'PATCH application/trickle-ice-sdpfrag',
      'DELETE',
    ])
    expect(sequence(requests, forStream('whep', sub.resourceUrl))).toEqual([
      'OPTIONS',
      'POST application/sdp',
      'PATCH application/sdp', // the answer to the node's offer
      'PATCH application/trickle-ice-sdpfrag',
      'DELETE',
    ])
    expect(media.streams()).toEqual([])
  })

  it('publish() offers audio before video whatever order the stream lists them in (Safari captures video first)', async () => {
    const media = await node()
    const source = rtpSource()
    expect(source.stream.getTracks().map((t) => t.kind)).toEqual(['video', 'audio'])
    const before = created.length
    open(await driver().publish(target(media, 'publish'), { mediaStream: source.stream as never }, never()))
    const offer = created[before]?.localDescription?.sdp ?? ''
    expect(offer.match(/^m=\w+/gm)).toEqual(['m=audio', 'm=video'])
  })

  it('publish() and subscribe() in RFC 9725 client-offer flavour: RTP flows and no SDP answer is PATCHed', async () => {
    const media = await node({ whepFlavour: 'client-offer' })
    const { pub, sub, source } = await publishAndSubscribe(media)
    const received = collect(sub)
    await vi.waitFor(() => expect(received.video.length).toBeGreaterThan(5))
    expect(received.video.every((payload) => source.sent.video.has(payload))).toBe(true)
    await trickled(media, sub)
    await sub.close()
    await pub.close()
    expect(sequence(media.stats().requests, forStream('whep', sub.resourceUrl))).toEqual([
      'OPTIONS',
      'POST application/sdp',
      'PATCH application/trickle-ice-sdpfrag',
      'DELETE',
    ])
  })

  it("whepFlavour 'server-offer' POSTs no offer, and a node in 'auto' answers with its own offer", async () => {
    const media = await node({ whepFlavour: 'auto' })
    const { sub } = await publishAndSubscribe(media, { whepFlavour: 'server-offer' })
    expect(sequence(media.stats().requests, forStream('whep', sub.resourceUrl))).toContain(
      'PATCH application/sdp',
    )
  })

  it('the node asks the publisher for a keyframe (PLI) when a subscriber joins', async () => {
    const media = await node()
    const source = rtpSource()
    const whip = driver()
    const pub = open(
      await whip.publish(target(media, 'publish'), { mediaStream: source.stream as never }, never()),
    )
    const videoSender = (pub.peerConnection as unknown as RTCPeerConnection)
      .getSenders()
      .find((sender) => sender.kind === 'video')
    let plis = 0
    videoSender?.onPictureLossIndication.subscribe(() => plis++)
    open(await whip.subscribe(target(media, 'subscribe'), {}, never()))
    await vi.waitFor(() => expect(plis).toBeGreaterThan(0))
  })

  it('keeps the endpoint’s host parameter on PATCH and DELETE, and makes a new requestId per WHEP attempt', async () => {
    const media = await node()
    const source = rtpSource()
    const whip = driver()
    const query = `?host=${encodeURIComponent(media.serverAddress)}&nodeGroup=default`
    const params = { username: 'ann lee&co', password: 's3cret' }
    const pub = open(
      await whip.publish(
        target(media, 'publish', 'cam1', query, { connectionParams: params }),
        { mediaStream: source.stream as never },
        never(),
      ),
    )
    const first = open(await whip.subscribe(target(media, 'subscribe', 'cam1', query), {}, never()))
    const second = open(await whip.subscribe(target(media, 'subscribe', 'cam1', query), {}, never()))
    await trickled(media, first)
    await trickled(media, second)
    await first.close()
    await second.close()
    await pub.close()

    const requests = media.stats().requests
    expect(requests.length).toBeGreaterThan(10)
    for (const request of requests) {
      expect(request.query.host).toBe(media.serverAddress)
      expect(request.query.nodeGroup).toBe('default')
    }
    const whep = requests.filter((r) => r.path.includes('/whep/'))
    for (const request of whep) {
      expect(request.query.requestId).toMatch(/^[0-9a-f-]{32,36}$/)
    }
    const idOf = (session: WhipDriverSession) => new URL(session.resourceUrl).searchParams.get('requestId')
    expect(idOf(first)).not.toBe(idOf(second))
    for (const session of [first, second]) {
      const path = new URL(session.resourceUrl).pathname
      const mine = whep.filter((r) => r.path === path || r.query.requestId === idOf(session))
      // RFC 9725 flavour here (the node is in 'auto' and the driver POSTs an offer): trickle PATCHes, one
      // per batch of candidates (usually one; two when a busy machine's gathering outlasts a batch).
      expect(mine.map((r) => r.method).join(' ')).toMatch(/^OPTIONS POST (PATCH )+DELETE$/)
      expect(new Set(mine.map((r) => r.query.requestId)).size).toBe(1)
    }
    // connectionParams go in the POST query only, URL-encoded (the node decodes them back), secrets redacted in its log.
    const whipPost = requests.find((r) => r.method === 'POST' && r.path.includes('/whip/'))
    expect(whipPost?.query.username).toBe('ann lee&co')
    expect(whipPost?.query.password).toBe('***')
    expect(requests.filter((r) => r.method !== 'POST').every((r) => r.query.username === undefined)).toBe(
      true,
    )
  })

  it('uses the ICE servers the node announces in Link headers', async () => {
    const media = await node({
      iceServers: [{ urls: 'stun:127.0.0.1:3478', username: 'u', credential: 'c"1' }],
      authorize: () => 401,
    })
    LoopbackPeer.configs.length = 0
    // The node refuses the POST, so the attempt stops there: the publisher's peer connection shows the
    // configuration the driver built (gathering against a STUN server nobody runs would only make this
    // test slow). A viewer applies them later, after its POST: test/integration/whip-round-trips.test.ts.
    const error = await driver({ rtcConfiguration: { iceServers: [{ urls: 'stun:127.0.0.2:3478' }] } })
      .publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, never())
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
    expect(LoopbackPeer.configs).toHaveLength(1)
    expect((LoopbackPeer.configs[0] as RTCConfiguration).iceServers).toEqual([
      { urls: 'stun:127.0.0.2:3478' },
      { urls: 'stun:127.0.0.1:3478', username: 'u', credential: 'c"1' },
    ])
  })

  it('subscribe() rejects with STREAM_NOT_FOUND when the stream is not published (WHEP 404)', async () => {
    const media = await node()
    const error = await driver()
      .subscribe(target(media, 'subscribe', 'nobody'), {}, never())
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'STREAM_NOT_FOUND')).toBe(true)
    expect(error).toMatchObject({ status: 404, streamName: 'nobody', environment: 'green' })
    expect((error as Error).message).toContain('Stream nobody does not exist.')
  })

  it('publish() rejects with MEDIA_FAILED and status 409 when the stream is already published', async () => {
    const media = await node()
    const whip = driver()
    open(await whip.publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, never()))
    const error = await whip
      .publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, never())
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
    expect(error).toMatchObject({ status: 409 })
    expect((error as Error).message).toContain('already being published')
  })

  it('publish() rejects with MEDIA_FAILED and status 401 when the node refuses the credentials, without retrying', async () => {
    const media = await node({ authorize: ({ params }) => (params.token === 'good' ? undefined : 401) })
    const error = await driver()
      .publish(
        target(media, 'publish', 'cam1', '', { connectionParams: { token: 'bad' } }),
        { mediaStream: rtpSource().stream as never },
        never(),
      )
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
    expect(error).toMatchObject({ status: 401 })
    expect(media.stats().requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect((error as Error).message).not.toContain('bad') // the token value never shows
  })

  it('retries a POST answered 503 with Retry-After, waiting at least what the server asked (jitter above it)', async () => {
    const media = await node()
    const front = await flakyFront(media.url, 1)
    const delays: number[] = []
    const base = systemClock()
    const clock: Clock = { ...base, setTimeout: (fn, ms) => (delays.push(ms), base.setTimeout(fn, ms)) }
    const session = open(
      await driver({ clock }).publish(
        { ...target(media, 'publish'), endpoint: `${front.url}/live/whip/endpoint/cam1` },
        { mediaStream: rtpSource().stream as never },
        never(),
      ),
    )
    expect(front.posts).toBe(2)
    // Retry-After: 1 is a floor; the jitter spreads a crowd over the next second.
    expect(delays.filter((ms) => ms >= 1000 && ms < 2000)).toHaveLength(1)
    expect(media.streams()).toEqual(['live/cam1'])
    expect(session.resourceUrl.startsWith(front.url)).toBe(true)
  })

  it('an abort during start-up rejects with ABORTED and leaves nothing open (resource DELETEd, connection closed)', async () => {
    const media = await node()
    const controller = new AbortController()
    const fetchThenAbort: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (init?.method === 'POST') {
        controller.abort()
      }
      return response
    }
    created.length = 0
    const error = await driver({ fetch: fetchThenAbort })
      .publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, controller.signal)
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'ABORTED')).toBe(true)
    await vi.waitFor(() => {
      expect(media.stats().requests.map((r) => r.method)).toContain('DELETE')
      expect(media.streams()).toEqual([])
      expect(media.stats().publishers).toBe(0)
    })
    expect(created).toHaveLength(1)
    expect(created[0]?.connectionState).toBe('closed')
  })

  it('publish() with an already aborted signal rejects with ABORTED before any request', async () => {
    const media = await node()
    const error = await driver()
      .publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, AbortSignal.abort())
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'ABORTED')).toBe(true)
    expect(media.stats().requests).toEqual([])
  })

  it('onEnd fires on publisher and subscriber when the node is killed', async () => {
    const media = await node()
    const { pub, sub } = await publishAndSubscribe(media, {
      livenessIntervalMs: 200,
      inactivityTimeoutMs: 1000,
      disconnectGraceMs: 500,
    })
    const ends: { who: string; error?: Error }[] = []
    pub.onEnd((error) => ends.push({ who: 'pub', ...(error ? { error } : {}) }))
    sub.onEnd((error) => ends.push({ who: 'sub', ...(error ? { error } : {}) }))
    await media.kill()
    await vi.waitFor(() => expect(ends.map((e) => e.who).sort()).toEqual(['pub', 'sub']), { timeout: 10_000 })
    for (const end of ends) {
      expect(isBlueGreenError(end.error, 'MEDIA_FAILED')).toBe(true)
    }
    await pub.close() // allowed after an end
    expect(ends).toHaveLength(2) // called once each
  })

  it('a subscriber’s onEnd fires with STREAM_NOT_FOUND when the publisher stops', async () => {
    const media = await node()
    const { pub, sub } = await publishAndSubscribe(media)
    const ended = new Promise<Error | undefined>((resolve) => sub.onEnd(resolve))
    await pub.close()
    const error = await ended
    expect(isBlueGreenError(error, 'STREAM_NOT_FOUND')).toBe(true)
  })

  it('close() sends one DELETE, is idempotent and leaves no timer behind', async () => {
    const media = await node()
    const base = systemClock()
    const pending = new Set<unknown>()
    const clock: Clock = {
      now: base.now,
      setTimeout: (fn, ms) => {
        const handle = base.setTimeout(() => {
          pending.delete(handle)
          fn()
        }, ms)
        pending.add(handle)
        return handle
      },
      clearTimeout: (handle) => {
        pending.delete(handle)
        base.clearTimeout(handle)
      },
    }
    const whip = driver({ clock, livenessIntervalMs: 50 })
    const source = rtpSource()
    const pub = await whip.publish(target(media, 'publish'), { mediaStream: source.stream as never }, never())
    const sub = await whip.subscribe(target(media, 'subscribe'), {}, never())
    expect(pending.size).toBeGreaterThan(0) // liveness polls are running
    await Promise.all([sub.close(), sub.close(), pub.close(), pub.close()])
    await pub.close()
    expect(media.stats().requests.filter((r) => r.method === 'DELETE')).toHaveLength(2)
    expect(media.streams()).toEqual([])
    expect(pending.size).toBe(0)
  })

  it('publish() rejects with DRIVER_UNAVAILABLE when there is no RTCPeerConnection (Node without werift)', async () => {
    const media = await node()
    const error = await whipDriver()
      .publish(target(media, 'publish'), { mediaStream: rtpSource().stream as never }, never())
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'DRIVER_UNAVAILABLE')).toBe(true)
    expect(media.stats().requests).toEqual([])
  })
})

describe('WHIP/WHEP protocol helpers', () => {
  it('parseIceServerLinks() reads comma-joined Link headers with quoted credentials and skips other rels', () => {
    const headers = new Headers()
    headers.append('Link', '<stun:stun.example.net>; rel="ice-server"')
    headers.append(
      'Link',
      '<turn:turn.example.net?transport=udp>; rel="ice-server"; username="a,b"; credential="p;w"; credential-type="password"',
    )
    headers.append('Link', '<https://example.net/doc>; rel="help"')
    expect(parseIceServerLinks(headers)).toEqual([
      { urls: 'stun:stun.example.net' },
      { urls: 'turn:turn.example.net?transport=udp', username: 'a,b', credential: 'p;w' },
    ])
  })

  it('parseRetryAfter() reads delta-seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2026-11-26T10:00:00Z')
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('resolveResourceUrl() resolves Location against the endpoint and adds back its routing parameters', () => {
    const routing = new URLSearchParams('host=10.0.0.5%3A5080&requestId=r1')
    const posted =
      'https://sm.example.com/as/v1/proxy/whep/live/cam1?host=10.0.0.5%3A5080&requestId=r1&token=t'
    expect(resolveResourceUrl('/as/v1/proxy/whep/live/cam1/abc', posted, routing)).toBe(
      'https://sm.example.com/as/v1/proxy/whep/live/cam1/abc?host=10.0.0.5%3A5080&requestId=r1',
    )
    expect(resolveResourceUrl('https://node.example.com/r/1?host=x', posted, routing)).toBe(
      'https://node.example.com/r/1?host=x&requestId=r1',
    )
    // No Location: Red5's convention, the endpoint with /endpoint/ turned into /resource/.
    expect(resolveResourceUrl(null, 'http://n:5080/live/whip/endpoint/cam1?x=1', new URLSearchParams())).toBe(
      'http://n:5080/live/whip/resource/cam1',
    )
  })

  it('buildTrickleFragment() writes RFC 8840 fragments that parseTrickleFragment() reads back', () => {
    const local =
      'v=0\r\na=ice-ufrag:uf\r\na=ice-pwd:pw\r\nm=video 9 X 96\r\na=mid:0\r\nm=audio 9 X 111\r\na=mid:1\r\n'
    const fragment = buildTrickleFragment(
      local,
      [
        { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' },
        { candidate: 'candidate:2 1 udp 1 127.0.0.1 5002 typ host', sdpMLineIndex: 1 },
      ],
      true,
    )
    expect(fragment).toContain('a=ice-ufrag:uf\r\na=ice-pwd:pw\r\n')
    const parsed = parseTrickleFragment(fragment ?? '')
    expect(parsed).toMatchObject({ iceUfrag: 'uf', icePwd: 'pw', endOfCandidates: true })
    expect(parsed.candidates).toEqual([
      { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:2 1 udp 1 127.0.0.1 5002 typ host', sdpMid: '1', sdpMLineIndex: 1 },
    ])
    expect(buildTrickleFragment(local, [], false)).toBeUndefined()
  })

  it('isSdpOffer() tells an offer (a=setup:actpass) from an answer', () => {
    expect(isSdpOffer('v=0\r\nm=video 9 X 96\r\na=setup:actpass\r\n')).toBe(true)
    expect(isSdpOffer('v=0\r\nm=video 9 X 96\r\na=setup:active\r\n')).toBe(false)
  })

  it('never shows secret query values in messages: password, token, sig... but keeps signal and host', () => {
    expect(['password', 'token', 'apiKey', 'sig', 'secret'].every(isSecretParam)).toBe(true)
    expect(['signal', 'host', 'requestId', 'username'].some(isSecretParam)).toBe(false)
    expect(redactUrl('http://n/live?username=a&password=b&signal=true')).toBe(
      'http://n/live?username=a&password=***&signal=true',
    )
  })
})

/**
 * A real HTTP front that answers the first `failures` POSTs with 503 + `Retry-After: 1` and forwards
 * everything else to `upstream` unchanged (as a Stream Manager proxy would).
 */
async function flakyFront(upstream: string, failures: number): Promise<{ url: string; posts: number }> {
  const state = { url: '', posts: 0 }
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      void (async () => {
        if (request.method === 'POST') {
          state.posts += 1
          if (state.posts <= failures) {
            response.writeHead(503, { 'Retry-After': '1' }).end()
            return
          }
        }
        const headers: Record<string, string> = {}
        if (typeof request.headers['content-type'] === 'string') {
          headers['content-type'] = request.headers['content-type']
        }
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined
        const answer = await fetch(`${upstream}${request.url ?? '/'}`, {
          method: request.method ?? 'GET',
          headers,
          ...(body === undefined ? {} : { body }),
        })
        const out: Record<string, string> = {}
        answer.headers.forEach((value, key) => {
          if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(key)) {
            out[key] = value
          }
        })
        response.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()))
      })().catch(() => response.writeHead(502).end())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
