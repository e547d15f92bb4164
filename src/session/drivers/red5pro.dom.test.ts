/**
 * red5proDriver against the REAL red5pro-webrtc-sdk (happy-dom): 11.0.0 from node_modules, and every build
 * in `RED5PRO_SDK_BUILDS` (12.5 to 15.2, see DEVELOPERS.md), each test run once per build, with a stub RTCPeerConnection
 * that behaves enough like a browser's for the SDK's flow, and a real loopback WHIP/WHEP server that
 * answers as Red5 does (knowledge/red5pro-wire.md) and records what the SDK sends.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import type { Clock } from '../../environment'
import { isBlueGreenError } from '../../errors'
import type { BlueGreenError } from '../../errors'
import type { DriverSession, SignalingTarget } from './Driver'
import { findRed5proSdkBuilds, majorOf } from '../../../test/helpers/red5proBuilds'
import type { SdkBuild } from '../../../test/helpers/red5proBuilds'
import { red5proDriver } from './red5pro'
import type { Red5proDriverOptions } from './red5pro'
import { capabilitiesOf } from './red5pro/generations'
import { findRed5proSdk } from './red5pro/sdk'
import type { Red5proSdk } from './red5pro/sdk'

// --- A browser-like RTCPeerConnection, enough for the SDK's WHIP/WHEP flow -----------------------

interface SdpMedia {
  kind: 'audio' | 'video' | 'application'
  direction: string
}

function sdp(media: SdpMedia[], ufrag: string): string {
  const lines = [
    'v=0',
    `o=- ${ufrag.length}4611731400430051336 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    `a=group:BUNDLE ${media.map((_, i) => i).join(' ')}`,
    'a=msid-semantic: WMS',
  ]
  media.forEach((m, mid) => {
    if (m.kind === 'application') {
      lines.push('m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0')
    } else {
      const pt = m.kind === 'audio' ? 111 : 96
      lines.push(`m=${m.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0')
    }
    lines.push(
      `a=ice-ufrag:${ufrag}`,
      'a=ice-pwd:asd88fgpdd777uzjYhagZg1122334455',
      'a=ice-options:trickle',
      'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
      'a=setup:actpass',
      `a=mid:${mid}`,
    )
    if (m.kind === 'application') {
      lines.push('a=sctp-port:5000', 'a=max-message-size:262144')
    } else {
      lines.push(`a=${m.direction}`, 'a=rtcp-mux')
      lines.push(
        m.kind === 'audio'
          ? 'a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1'
          : 'a=rtpmap:96 VP8/90000\r\na=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      )
    }
  })
  return `${lines.join('\r\n')}\r\n`
}

function mediaOf(description: string): SdpMedia[] {
  return [...description.matchAll(/^m=(audio|video|application) .*$/gm)].map((match) => ({
    kind: match[1] as SdpMedia['kind'],
    direction: 'sendrecv',
  }))
}

const flip: Record<string, string> = { sendonly: 'recvonly', recvonly: 'sendonly', sendrecv: 'sendrecv' }

function answerTo(offer: string, ufrag: string): string {
  const directions = [...offer.matchAll(/^a=(sendonly|recvonly|sendrecv)$/gm)].map((m) => m[1]!)
  let i = 0
  return sdp(
    mediaOf(offer).map((m) =>
      m.kind === 'application' ? m : { ...m, direction: flip[directions[i++] ?? 'sendrecv']! },
    ),
    ufrag,
  )
}

class FakeDataChannel {
  readyState: RTCDataChannelState = 'connecting'
  onopen: (() => void) | undefined
  onclose: ((event: unknown) => void) | undefined
  onerror: ((event: unknown) => void) | undefined
  onmessage: ((event: { data: string }) => void) | undefined
  readonly sent: string[] = []

  constructor(readonly label: unknown) {}

  send(data: string): void {
    this.sent.push(data)
  }

  close(): void {
    this.readyState = 'closed'
  }

  /** What the browser does when the SCTP association is up. */
  open(): void {
    this.readyState = 'open'
    this.onopen?.()
  }
}

const peers: FakePeerConnection[] = []

class FakePeerConnection extends EventTarget {
  readonly channels: FakeDataChannel[] = []
  readonly transceivers: { kind: string; direction: string }[] = []
  readonly addedCandidates: unknown[] = []
  localDescription: { type: string; sdp: string } | null = null
  remoteDescription: { type: string; sdp: string } | null = null
  signalingState = 'stable'
  iceGatheringState = 'new'
  iceConnectionState = 'new'
  connectionState = 'new'
  canTrickleIceCandidates: boolean | null = null
  closed = false
  onicecandidate: ((event: { candidate: unknown }) => void) | undefined
  onicegatheringstatechange: ((event: unknown) => void) | undefined
  oniceconnectionstatechange: ((event: unknown) => void) | undefined
  onconnectionstatechange: ((event: unknown) => void) | undefined
  onsignalingstatechange: ((event: unknown) => void) | undefined
  ontrack: ((event: unknown) => void) | undefined
  readonly ufrag = `u${peers.length}x`

  constructor(readonly configuration: RTCConfiguration | null) {
    super()
    peers.push(this)
  }

  createDataChannel(label: unknown): FakeDataChannel {
    const channel = new FakeDataChannel(label)
    this.channels.push(channel)
    return channel
  }

  addTransceiver(trackOrKind: string | MediaStreamTrack, init?: { direction?: string }): object {
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind
    this.transceivers.push({ kind, direction: init?.direction ?? 'sendrecv' })
    return { setCodecPreferences: () => undefined, sender: {}, receiver: {} }
  }

  getTransceivers(): unknown[] {
    return []
  }

  /**
   * Counters grow while connected and not frozen (what the driver's liveness watch reads): media (RTP)
   * unless the source is frozen, RTCP and the rest unless the node is.
   */
  async getStats(): Promise<Map<string, object>> {
    this.statsReads++
    this.assertOpen()
    const flowing = this.connectionState === 'connected' && !this.frozen
    this.bytes += flowing ? 1000 : 0
    this.media += flowing && !this.sourceFrozen ? 900 : 0
    return new Map([
      ['t', { type: 'transport', bytesReceived: this.bytes }],
      ['v', { type: 'inbound-rtp', kind: 'video', bytesReceived: this.media }],
    ])
  }

  /** getStats() calls so far (the SDK's own monitors included). */
  statsReads = 0
  private bytes = 0
  private media = 0
  private frozen = false
  /** The broadcaster's source froze: no RTP arrives, RTCP and STUN still do. */
  sourceFrozen = false

  /** The node freezes: nothing arrives any more, yet ICE still says connected (no SDK event at all). */
  freeze(): void {
    this.frozen = true
  }

  getSenders(): unknown[] {
    return []
  }

  getReceivers(): unknown[] {
    return []
  }

  async createOffer(): Promise<{ type: string; sdp: string }> {
    const media: SdpMedia[] = this.transceivers.map((t) => ({
      kind: t.kind as 'audio' | 'video',
      direction: t.direction,
    }))
    if (this.channels.length > 0) {
      media.push({ kind: 'application', direction: '' })
    }
    return { type: 'offer', sdp: sdp(media, this.ufrag) }
  }

  async createAnswer(): Promise<{ type: string; sdp: string }> {
    return { type: 'answer', sdp: answerTo(this.remoteDescription!.sdp, this.ufrag) }
  }

  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.assertOpen()
    this.localDescription = { type: description.type, sdp: description.sdp }
    setTimeout(() => this.gather(), 0)
  }

  async setRemoteDescription(description: { type: string; sdp: string }): Promise<void> {
    this.assertOpen()
    this.remoteDescription = { type: description.type, sdp: description.sdp }
    this.canTrickleIceCandidates = true
    if (description.type === 'offer') {
      const stream = withGetTracks(new MediaStream())
      for (const m of mediaOf(description.sdp).filter((m) => m.kind !== 'application')) {
        const event = Object.assign(new Event('track'), {
          streams: [stream],
          track: { kind: m.kind, id: `${m.kind}-remote` },
          receiver: {},
          transceiver: {},
        })
        this.ontrack?.(event)
        this.dispatchEvent(event)
      }
    }
  }

  async addIceCandidate(candidate: unknown): Promise<void> {
    this.addedCandidates.push(candidate)
  }

  close(): void {
    this.closed = true
    this.signalingState = 'closed'
    this.connectionState = 'closed'
    this.iceConnectionState = 'closed'
  }

  /** ICE and DTLS come up; the `red5pro` data channel opens if both sides negotiated m=application. */
  connect(): void {
    this.setIceState('connected')
    this.connectionState = 'connected'
    this.onconnectionstatechange?.(new Event('connectionstatechange'))
    this.dispatchEvent(new Event('connectionstatechange'))
    const negotiated = [this.localDescription, this.remoteDescription].every((d) =>
      d?.sdp.includes('m=application'),
    )
    if (negotiated) {
      for (const channel of this.channels) {
        channel.open()
      }
    }
  }

  /** The network goes away for good. */
  dropNetwork(): void {
    this.setIceState('failed')
    this.connectionState = 'failed'
    this.onconnectionstatechange?.(new Event('connectionstatechange'))
  }

  private setIceState(state: string): void {
    this.iceConnectionState = state
    this.oniceconnectionstatechange?.(new Event('iceconnectionstatechange'))
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new DOMException('The RTCPeerConnection is closed.', 'InvalidStateError')
    }
  }

  private gather(): void {
    if (this.closed || !this.localDescription) {
      return
    }
    const candidate = 'a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0'
    const firstMedia = this.localDescription.sdp.indexOf('a=mid:0\r\n') + 'a=mid:0\r\n'.length
    const withCandidate = `${this.localDescription.sdp.slice(0, firstMedia)}${candidate}\r\n${this.localDescription.sdp.slice(firstMedia)}`
    this.localDescription = { type: this.localDescription.type, sdp: withCandidate }
    this.iceGatheringState = 'gathering'
    this.onicecandidate?.({ candidate: { candidate: candidate.slice(2), sdpMid: '0', sdpMLineIndex: 0 } })
    this.iceGatheringState = 'complete'
    const event = new Event('icegatheringstatechange')
    this.onicegatheringstatechange?.(event)
    this.dispatchEvent(event)
    this.onicecandidate?.({ candidate: null })
  }
}

class FakeSessionDescription {
  readonly type: string
  readonly sdp: string
  constructor(init: { type: string; sdp: string }) {
    this.type = init.type
    this.sdp = init.sdp
  }
}

class FakeIceCandidate {
  readonly candidate: string
  readonly sdpMLineIndex: number | null
  constructor(init: { candidate?: string; sdpMLineIndex?: number | null }) {
    this.candidate = init.candidate ?? ''
    this.sdpMLineIndex = init.sdpMLineIndex ?? null
  }
}

/** The peer connections the SDK made for sessions (not its capability probes), oldest first. */
function sessionPeers(): FakePeerConnection[] {
  return peers.filter((peer) => peer.channels.some((channel) => channel.label === 'red5pro'))
}

/** The peer connection of the latest session. */
function peerOf(index = -1): FakePeerConnection {
  const peer = sessionPeers().at(index)
  if (!peer) {
    throw new Error('no session peer connection yet')
  }
  return peer
}

/** happy-dom's MediaStream lacks getTracks(), which the SDK (and every browser) has. */
function withGetTracks(stream: MediaStream): MediaStream {
  return Object.assign(stream, { getTracks: () => [...stream.getAudioTracks(), ...stream.getVideoTracks()] })
}

function cameraStream(): MediaStream {
  return withGetTracks(document.createElement('canvas').captureStream())
}

// --- A loopback Red5 node speaking WHIP/WHEP as red5pro-wire.md describes ------------------------

interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  contentType: string | undefined
  body: string
}

interface NodeBehaviour {
  /** Status of the next POSTs (201 by default). */
  postStatus?: number
  /** When set, POST answers wait for this promise. */
  holdPost?: Promise<void>
  /** A Link header for OPTIONS (ICE servers). */
  link?: string
}

interface FakeNode {
  readonly origin: string
  readonly requests: Recorded[]
  behaviour: NodeBehaviour
  close(): Promise<void>
}

async function startNode(): Promise<FakeNode> {
  const requests: Recorded[] = []
  let resources = 0
  const node: FakeNode = { origin: '', requests, behaviour: {}, close: async () => undefined }
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, If-Match',
    'Access-Control-Expose-Headers': 'Location, Link, ETag',
  }
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, cors).end() // a CORS preflight, not part of the protocol
      return
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body,
    })
    const endpoint = /^\/(.+)\/(whip|whep)\/endpoint\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'OPTIONS' && endpoint) {
      res.writeHead(204, { ...cors, ...(node.behaviour.link ? { Link: node.behaviour.link } : {}) }).end()
      return
    }
    if (req.method === 'POST' && endpoint) {
      await node.behaviour.holdPost
      const status = node.behaviour.postStatus ?? 201
      if (status !== 201) {
        res.writeHead(status, { ...cors, 'Content-Type': 'text/plain' }).end(`refused with ${status}`)
        return
      }
      const [, app, protocol] = endpoint
      const location = `/${app}/${protocol}/resource/r${++resources}`
      // WHIP: the answer. WHEP (Red5's server-offer flavour): the node's own offer, with m=application.
      const description =
        protocol === 'whip'
          ? answerTo(body, 'srv')
          : sdp(
              [
                { kind: 'audio', direction: 'sendonly' },
                { kind: 'video', direction: 'sendonly' },
                { kind: 'application', direction: '' },
              ],
              'srv',
            )
      res.writeHead(201, { ...cors, 'Content-Type': 'application/sdp', Location: location }).end(description)
      return
    }
    if (/\/(whip|whep)\/resource\//.test(url.pathname)) {
      if (req.method === 'PATCH') {
        res.writeHead(204, cors).end()
        return
      }
      if (req.method === 'DELETE') {
        res.writeHead(200, cors).end()
        return
      }
    }
    res.writeHead(404, cors).end()
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => void handle(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(node, {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

// --- Helpers -------------------------------------------------------------------------------------

let node: FakeNode
let unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
const openSessions: DriverSession[] = []

function target(
  kind: 'publish' | 'subscribe',
  streamName = 'stream1',
  extra: Partial<SignalingTarget> = {},
): SignalingTarget {
  return {
    kind,
    environment: 'green',
    streamName,
    app: 'live',
    endpoint: `${node.origin}/live/${kind === 'publish' ? 'whip' : 'whep'}/endpoint/${streamName}`,
    serverAddress: '127.0.0.1',
    ...extra,
  }
}

function driver(options: Red5proDriverOptions = {}): ReturnType<typeof red5proDriver> {
  return red5proDriver({ teardownTimeoutMs: 5000, sdk: currentSdk, ...options })
}

/**
 * Starts a session and brings its peer connection up once the SDK has done its signalling (answer
 * applied, candidates PATCHed), which is what opens the red5pro data channel.
 */
async function live<T extends DriverSession>(start: () => Promise<T>): Promise<T> {
  const index = sessionPeers().length
  return goLive(start(), index)
}

async function goLive<T extends DriverSession>(pending: Promise<T>, index: number): Promise<T> {
  await vi.waitFor(() => {
    const peer = sessionPeers()[index]
    expect(peer?.remoteDescription).toBeTruthy()
    const trickled = node.requests.some(
      (r) =>
        r.contentType === 'application/trickle-ice-sdpfrag' && r.body.includes(`a=ice-ufrag:${peer!.ufrag}`),
    )
    expect(trickled).toBe(true)
  })
  sessionPeers()[index]!.connect()
  const session = await pending
  openSessions.push(session)
  return session
}

async function rejection(pending: Promise<unknown>): Promise<BlueGreenError> {
  const error: unknown = await pending.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (!isBlueGreenError(error)) {
    throw error
  }
  return error
}

/** Lets the event loop turn so that an unhandled rejection, if any, is reported. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10))
}

function methods(): string[] {
  return node.requests.map((r) => `${r.method} ${r.path}`)
}

beforeAll(() => {
  // The SDK captures these when its module is evaluated, i.e. on the driver's first session.
  vi.stubGlobal('RTCPeerConnection', FakePeerConnection)
  vi.stubGlobal('RTCSessionDescription', FakeSessionDescription)
  vi.stubGlobal('RTCIceCandidate', FakeIceCandidate)
  process.on('unhandledRejection', onUnhandled)
})

afterAll(() => {
  vi.unstubAllGlobals()
  process.off('unhandledRejection', onUnhandled)
})

beforeEach(async () => {
  node = await startNode()
  unhandled = []
})

afterEach(async () => {
  await Promise.all(openSessions.splice(0).map((s) => s.close()))
  await node.close()
  document.body.innerHTML = ''
})

// --- Tests ---------------------------------------------------------------------------------------

/** The SDK build the tests of the current `describe.each` row run against. */
let currentSdk: Red5proSdk | undefined
let currentBuild: SdkBuild

describe.each(findRed5proSdkBuilds())('with red5pro-webrtc-sdk $version ($source)', (build) => {
  beforeAll(async () => {
    // Imported after the globals are stubbed: 11-14 capture RTCPeerConnection when evaluated.
    currentSdk = findRed5proSdk(await import(/* @vite-ignore */ build.entry))
    currentBuild = build
    expect(currentSdk).toBeDefined()
  })

  describe('red5proDriver().publish() with the real SDK', () => {
    it('sends OPTIONS, POST offer and a trickle PATCH, and resolves only once the red5pro data channel opens', async () => {
      const stream = cameraStream()
      const preview = document.createElement('video')
      const rtcConfiguration: RTCConfiguration = { iceServers: [{ urls: 'stun:stun.example.com' }] }
      node.behaviour.link = '<turn:turn.example.com:3478>; rel="ice-server"; username="u"; credential="p"'
      let resolved = false
      const index = sessionPeers().length
      const pending = driver()
        .publish(
          target('publish', 'stream1', { connectionParams: { token: 'a&b=c', username: 'ann' } }),
          { mediaStream: stream, mediaElement: preview, rtcConfiguration },
          new AbortController().signal,
        )
        .then((session) => {
          resolved = true
          return session
        })

      await vi.waitFor(() => expect(methods()).toContain('PATCH /live/whip/resource/r1'))
      await settle()
      expect(resolved).toBe(false) // media does not flow yet: no Publish.Start before the channel opens

      const session = await goLive(pending, index)
      expect(methods()).toEqual([
        'OPTIONS /live/whip/endpoint/stream1',
        'POST /live/whip/endpoint/stream1',
        'PATCH /live/whip/resource/r1',
      ])
      const [options, post, patch] = node.requests
      expect(options!.query.get('signal')).toBe('true')
      expect(post!.contentType).toBe('application/sdp')
      expect(post!.body).toMatch(/^v=0\r\n[\s\S]*m=video[\s\S]*m=application/)
      // connectionParams arrive intact and cannot inject parameters of their own
      expect(post!.query.get('token')).toBe('a&b=c')
      expect(post!.query.get('username')).toBe('ann')
      expect(post!.query.has('b')).toBe(false)
      expect(patch!.contentType).toBe('application/trickle-ice-sdpfrag')
      expect(patch!.body).toContain('a=candidate:1 1 udp')

      expect(session.mediaStream).toBe(stream)
      expect(preview.srcObject).toBe(stream)
      // The node's TURN server (OPTIONS Link header) reached this session's peer connection beside the
      // caller's servers (the SDK alone keeps only one of the two lists), without rewriting the caller's object.
      expect(peerOf().configuration?.iceServers).toEqual([
        { username: 'u', credential: 'p', urls: 'turn:turn.example.com:3478' },
        { urls: 'stun:stun.example.com' },
      ])
      expect(rtcConfiguration.iceServers).toEqual([{ urls: 'stun:stun.example.com' }])
    })

    it('close() sends one DELETE for the resource, closes the peer connection and is idempotent', async () => {
      const session = await live(() =>
        driver().publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal),
      )
      const peer = peerOf()

      await Promise.all([session.close(), session.close()])
      await session.close()

      expect(methods().filter((m) => m.startsWith('DELETE'))).toEqual(['DELETE /live/whip/resource/r1'])
      expect(peer.closed).toBe(true)
    })

    it('captures the camera through the SDK when no mediaStream is given and previews it', async () => {
      const captured = cameraStream()
      const getUserMedia = vi.fn(async () => captured)
      vi.stubGlobal(
        'navigator',
        Object.assign(Object.create(navigator) as Navigator, { mediaDevices: { getUserMedia } }),
      )
      try {
        const preview = document.createElement('video')
        const session = await live(() =>
          driver().publish(target('publish'), { mediaElement: preview }, new AbortController().signal),
        )
        expect(getUserMedia).toHaveBeenCalled()
        expect(session.mediaStream).toBe(captured)
        expect(preview.srcObject).toBe(captured)
      } finally {
        vi.stubGlobal('navigator', Object.getPrototypeOf(navigator) as Navigator)
      }
    })

    it('rejects with MEDIA_FAILED status 409 when the name is already published, with no unhandled rejection', async () => {
      node.behaviour.postStatus = 409

      const error = await rejection(
        driver().publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal),
      )
      await settle()

      expect(error.code).toBe('MEDIA_FAILED')
      expect(error.status).toBe(409)
      expect(error.message).toContain('already being published')
      expect(error.streamName).toBe('stream1')
      expect(unhandled).toEqual([])
      expect(methods().some((m) => m.startsWith('DELETE'))).toBe(false) // nothing was created
    })

    it('rejects with MEDIA_FAILED status 401 (not authorised) when the node refuses the credentials', async () => {
      node.behaviour.postStatus = 401

      const error = await rejection(
        driver().publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal),
      )
      await settle()

      expect(error.code).toBe('MEDIA_FAILED')
      expect(error.status).toBe(401)
      expect(error.message).toContain('not authorised')
      expect(unhandled).toEqual([])
    })

    it('reports a network drop after start to onEnd once and DELETEs the resource (the SDK does not)', async () => {
      const session = await live(() =>
        driver().publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal),
      )
      const ends: (Error | undefined)[] = []
      session.onEnd((error) => ends.push(error))

      peerOf().dropNetwork()

      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whip/resource/r1'))
      expect(ends).toHaveLength(1)
      expect(isBlueGreenError(ends[0], 'MEDIA_FAILED')).toBe(true)
      const late: (Error | undefined)[] = []
      session.onEnd((error) => late.push(error)) // registered after the end: still told, once
      await settle()
      expect(late).toEqual(ends)

      await session.close() // allowed after an end, and sends no second DELETE
      expect(methods().filter((m) => m.startsWith('DELETE'))).toHaveLength(1)
      expect(ends).toHaveLength(1)
    })

    it('rejects with ABORTED when the signal aborts during start-up and DELETEs a resource created afterwards', async () => {
      let releasePost: () => void = () => undefined
      node.behaviour.holdPost = new Promise<void>((resolve) => (releasePost = resolve))
      const controller = new AbortController()
      const pending = driver().publish(target('publish'), { mediaStream: cameraStream() }, controller.signal)
      await vi.waitFor(() => expect(methods()).toContain('POST /live/whip/endpoint/stream1'))
      const peer = peerOf()

      controller.abort(new Error('user left'))
      const error = await rejection(pending)
      expect(error.code).toBe('ABORTED')
      expect(peer.closed).toBe(true)

      releasePost() // the node answers the POST after all: the driver must free that resource
      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whip/resource/r1'))
      await settle()
      expect(unhandled).toEqual([])
    })

    it('rejects with ABORTED without any request when the signal is already aborted', async () => {
      const controller = new AbortController()
      controller.abort()

      const error = await rejection(
        driver().publish(target('publish'), { mediaStream: cameraStream() }, controller.signal),
      )

      expect(error.code).toBe('ABORTED')
      expect(node.requests).toEqual([])
    })

    it('rejects with TIMEOUT after startTimeoutMs when the data channel never opens, and tears down', async () => {
      const timers: (() => void)[] = []
      const clock: Clock = {
        now: () => 0,
        setTimeout: (fn, ms) => (ms === 1000 ? timers.push(fn) : globalThis.setTimeout(fn, ms)),
        clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
      }
      const pending = driver({ clock, startTimeoutMs: 1000 }).publish(
        target('publish'),
        { mediaStream: cameraStream() },
        new AbortController().signal,
      )
      await vi.waitFor(() => expect(methods()).toContain('PATCH /live/whip/resource/r1'))

      timers.forEach((fire) => fire())

      const error = await rejection(pending)
      expect(error.code).toBe('TIMEOUT')
      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whip/resource/r1'))
    })
  })

  describe('red5proDriver().subscribe() with the real SDK', () => {
    it('POSTs with a unique requestId per attempt, PATCHes its answer and candidates, and resolves when the channel opens', async () => {
      const video = document.createElement('video')
      document.body.append(video)
      const d = driver()

      const first = await live(() =>
        d.subscribe(
          target('subscribe', 'stream1', { connectionParams: { token: 'x&y' } }),
          { mediaElement: video },
          new AbortController().signal,
        ),
      )
      const second = await live(() => d.subscribe(target('subscribe'), {}, new AbortController().signal))

      const posts = node.requests.filter((r) => r.method === 'POST')
      expect(posts).toHaveLength(2)
      const ids = posts.map((p) => p.query.get('requestId'))
      expect(ids[0]).toMatch(/^[0-9a-f-]{32,36}$/)
      expect(ids[0]).not.toBe(ids[1])
      expect(posts[0]!.query.get('token')).toBe('x&y')
      expect(posts[0]!.query.has('y')).toBe(false)
      const patches = node.requests.filter((r) => r.method === 'PATCH' && r.path === '/live/whep/resource/r1')
      expect(patches.map((p) => p.contentType)).toEqual([
        'application/sdp',
        'application/trickle-ice-sdpfrag',
      ])
      expect(patches[0]!.body).toMatch(/^v=0[\s\S]*a=recvonly[\s\S]*m=application/)
      expect(video.srcObject).toBe(first.mediaStream)
      expect(first.mediaStream).toBeDefined()
      expect(second.mediaStream).toBeDefined()
      expect(video.id).toBe('') // the SDK never gets to look the app's element up or rewrite it
    })

    it('close() sends the DELETE and detaches only its own stream from the element', async () => {
      const video = document.createElement('video')
      const session = await live(() =>
        driver().subscribe(target('subscribe'), { mediaElement: video }, new AbortController().signal),
      )
      expect(video.srcObject).toBe(session.mediaStream)

      await session.close()
      await session.close()

      expect(methods().filter((m) => m.startsWith('DELETE'))).toEqual(['DELETE /live/whep/resource/r1'])
      expect(video.srcObject).toBeNull()
    })

    it('rejects with STREAM_NOT_FOUND on WHEP 404, with no unhandled rejection and nothing to DELETE', async () => {
      node.behaviour.postStatus = 404

      const error = await rejection(
        driver().subscribe(target('subscribe', 'missing'), {}, new AbortController().signal),
      )
      await settle()

      expect(error.code).toBe('STREAM_NOT_FOUND')
      expect(error.status).toBe(404)
      expect(error.streamName).toBe('missing')
      expect(error.message).toContain('"missing"')
      expect(unhandled).toEqual([])
      expect(methods().some((m) => m.startsWith('DELETE'))).toBe(false)
    })

    it('rejects with MEDIA_FAILED status 406 when the node rejects the connection (the SDK only says "Stream failure.")', async () => {
      node.behaviour.postStatus = 406

      const error = await rejection(driver().subscribe(target('subscribe'), {}, new AbortController().signal))
      await settle()

      expect(error.code).toBe('MEDIA_FAILED')
      expect(error.status).toBe(406)
      expect(unhandled).toEqual([])
    })

    it('reports a network drop after start to onEnd once; the node gets its DELETE', async () => {
      const session = await live(() =>
        driver().subscribe(target('subscribe'), {}, new AbortController().signal),
      )
      const ends: (Error | undefined)[] = []
      session.onEnd((error) => ends.push(error))

      peerOf().dropNetwork()

      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whep/resource/r1'))
      expect(ends).toHaveLength(1)
      expect(isBlueGreenError(ends[0], 'MEDIA_FAILED')).toBe(true)
      await session.close()
      expect(methods().filter((m) => m.startsWith('DELETE'))).toHaveLength(1)
    })

    it('reports the publisher going away (Subscribe.Play.Unpublish) to onEnd as STREAM_NOT_FOUND', async () => {
      const session = await live(() =>
        driver().subscribe(target('subscribe'), {}, new AbortController().signal),
      )
      const ends: (Error | undefined)[] = []
      session.onEnd((error) => ends.push(error))

      const channel = peerOf().channels.find((c) => c.label === 'red5pro')!
      channel.onmessage?.({
        data: JSON.stringify({ data: { type: 'status', code: 'NetStream.Play.UnpublishNotify' } }),
      })

      expect(ends).toHaveLength(1)
      expect(isBlueGreenError(ends[0], 'STREAM_NOT_FOUND')).toBe(true)
      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whep/resource/r1'))
    })

    it('rejects with ABORTED when aborted while the POST is in flight and DELETEs the resource answered afterwards', async () => {
      let releasePost: () => void = () => undefined
      node.behaviour.holdPost = new Promise<void>((resolve) => (releasePost = resolve))
      const controller = new AbortController()
      const pending = driver().subscribe(target('subscribe'), {}, controller.signal)
      await vi.waitFor(() => expect(methods()).toContain('POST /live/whep/endpoint/stream1'))

      controller.abort()
      expect((await rejection(pending)).code).toBe('ABORTED')

      releasePost()
      await vi.waitFor(() => expect(methods()).toContain('DELETE /live/whep/resource/r1'))
      await settle()
      expect(unhandled).toEqual([])
    })
  })

  describe('red5proDriver() on what differs between generations', () => {
    it('finds out what the loaded build offers from its exports and prototypes, not its version', () => {
      const found = capabilitiesOf(currentSdk!)
      const major = majorOf(currentBuild)
      expect(found.generation).toBe(major >= 15 ? 'ts' : 'classic')
      expect(found.endpoint).toBe(major >= 13)
      expect(found.statsMonitorByDefault).toBe(currentBuild.version === '15.2.0')
      if (major >= 15) {
        expect(found.build).toMatch(/^15\./)
      } else {
        expect(found.build).toBe('11-14 (no getVersion)')
      }
    })

    const fast = { livenessIntervalMs: 50, inactivityTimeoutMs: 200, disconnectGraceMs: 100 }

    it.each(['publish', 'subscribe'] as const)(
      '%s: notices a frozen node from the peer connection statistics (no SDK event), closes the connection and DELETEs',
      async (kind) => {
        const d = driver(fast)
        const session = await live(() =>
          kind === 'publish'
            ? d.publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal)
            : d.subscribe(target('subscribe'), {}, new AbortController().signal),
        )
        const ends: (Error | undefined)[] = []
        session.onEnd((error) => ends.push(error))
        const peer = peerOf()

        peer.freeze()

        await vi.waitFor(() => expect(ends).toHaveLength(1), { timeout: 3000 })
        expect(isBlueGreenError(ends[0], 'MEDIA_FAILED')).toBe(true)
        expect(ends[0]!.message).toContain('nothing received')
        // What the SDK leaves open on 15.x viewers is released: the connection and the node's resource.
        await vi.waitFor(() => expect(peer.closed).toBe(true))
        await vi.waitFor(() =>
          expect(methods()).toContain(`DELETE /live/${kind === 'publish' ? 'whip' : 'whep'}/resource/r1`),
        )
        await session.close()
        expect(methods().filter((m) => m.startsWith('DELETE'))).toHaveLength(1)
      },
    )

    it('subscribe: a frozen source (RTP stops, the node still sends RTCP) is a stall, not an end; media back ends it', async () => {
      const session = await live(() =>
        driver(fast).subscribe(target('subscribe'), {}, new AbortController().signal),
      )
      const ends: (Error | undefined)[] = []
      const stalls: boolean[] = []
      session.onEnd((error) => ends.push(error))
      session.onStall?.((stalled) => stalls.push(stalled))
      const peer = peerOf()
      await vi.waitFor(() => expect(peer.statsReads).toBeGreaterThan(3)) // media seen flowing first

      peer.sourceFrozen = true
      await vi.waitFor(() => expect(stalls).toEqual([true]), { timeout: 3000 })
      await new Promise((resolve) => setTimeout(resolve, 800)) // several inactivity periods and graces
      expect(ends).toEqual([])
      expect(peer.closed).toBe(false)

      peer.sourceFrozen = false
      await vi.waitFor(() => expect(stalls).toEqual([true, false]), { timeout: 3000 })
      expect(ends).toEqual([])
      await session.close()
    })

    it('a healthy session is not ended by the watch', async () => {
      const session = await live(() =>
        driver(fast).subscribe(target('subscribe'), {}, new AbortController().signal),
      )
      const ends: (Error | undefined)[] = []
      session.onEnd((error) => ends.push(error))

      await new Promise((resolve) => setTimeout(resolve, 600))

      expect(ends).toEqual([])
      expect(peerOf().statsReads).toBeGreaterThan(3)
    })

    it('leaves no stats monitor polling the closed publisher (15.2 turns one on by default)', async () => {
      const session = await live(() =>
        driver().publish(target('publish'), { mediaStream: cameraStream() }, new AbortController().signal),
      )
      const peer = peerOf()
      await session.close()
      const readsAtClose = peer.statsReads

      await new Promise((resolve) => setTimeout(resolve, 3300)) // 15.2's monitor interval is 3 s

      expect(peer.statsReads).toBe(readsAtClose)
    })

    it('names the generation it drives in the log, and sees a second copy of the SDK on the page', async () => {
      const lines: string[] = []
      const logger = {
        info: (m: string) => lines.push(`info ${m}`),
        warn: (m: string) => lines.push(`warn ${m}`),
      }
      vi.stubGlobal('red5prosdk', {
        WHIPClient: function WHIPClient() {},
        WHEPClient: function WHEPClient() {},
      })
      try {
        await live(() =>
          driver({ logger }).publish(
            target('publish'),
            { mediaStream: cameraStream() },
            new AbortController().signal,
          ),
        )
      } finally {
        vi.stubGlobal('red5prosdk', undefined)
      }
      const generation = majorOf(currentBuild) >= 15 ? 'ts' : 'classic'
      expect(lines.find((l) => l.includes('using red5pro-webrtc-sdk'))).toContain(`(${generation} generation`)
      expect(lines.some((l) => l.startsWith('warn') && l.includes('second copy'))).toBe(true)
    })
  })
})
