/**
 * One WHIP (publish) or WHEP (subscribe) connection: signalling over HTTP, the peer connection, the
 * watch for an unexpected end, and teardown. Created by `whipDriver()`; see `../whip.ts` for the
 * public options.
 * @internal
 */
import { sleep, type Environment } from '../../../environment'
import { abortedError, BlueGreenError, isBlueGreenError } from '../../../errors'
import { fullJitterDelay } from '../../../internal/backoff'
import { uniqueId } from '../../../internal/ids'
import { parseRetryAfter } from '../../../internal/retryAfter'
import type { ConnectionParams, SessionKind } from '../../../types'
import type { DriverPublishOptions, DriverSession, DriverSubscribeOptions, SignalingTarget } from '../Driver'
import {
  describeErrorBody,
  parseIceServerLinks,
  redactUrl,
  resolveResourceUrl,
  sendRequest,
  type IceServer,
  type WhipResponse,
} from './http'
import { LivenessWatch, livenessFor, readCounters } from '../liveness'
import type { LivenessSettings } from '../liveness'
import {
  type DataChannelLike,
  type DescriptionLike,
  type PeerConnectionConstructor,
  type PeerConnectionLike,
  type TrackLike,
} from './peer'
import { buildTrickleFragment, inSectionOrder, isSdpOffer, looksLikeSdp, type CandidateLike } from './sdp'
import { trackStream } from './trackStream'

/** Which WHEP dialect to speak. @internal */
export type WhepFlavourSetting = 'auto' | 'server-offer' | 'client-offer'

/** The driver's options with every default filled in. @internal */
export interface WhipSettings {
  readonly env: Environment
  readonly RTCPeerConnection: PeerConnectionConstructor | undefined
  readonly rtcConfiguration: RTCConfiguration | undefined
  readonly whepFlavour: WhepFlavourSetting
  readonly trickle: boolean
  readonly dataChannelLabel: string | false
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly iceGatheringTimeoutMs: number
  readonly trickleBatchMs: number
  readonly mediaPollIntervalMs: number
  /** Liveness timings the options set; the rest are the session kind's defaults (../liveness.ts). */
  readonly liveness: Partial<Omit<LivenessSettings, 'clock'>>
  readonly maxPostAttempts: number
  readonly maxRetryAfterMs: number
  readonly deleteTimeoutMs: number
}

/** A session made by `whipDriver()`: a {@link DriverSession} with what Node users need besides. */
export interface WhipDriverSession extends DriverSession {
  /** `publish` (WHIP) or `subscribe` (WHEP). */
  readonly kind: SessionKind
  /** The WHIP/WHEP resource URL the server gave (PATCH and DELETE go there). */
  readonly resourceUrl: string
  /**
   * Publish: the tracks being sent. Subscribe: the remote tracks received. In Node these are werift
   * `MediaStreamTrack`s (cast to werift's type to use `onReceiveRtp`), since Node has no `MediaStream`.
   */
  readonly tracks: readonly MediaStreamTrack[]
  /** The peer connection (browser or werift), e.g. for `getStats()`. Do not close it: call `close()`. */
  readonly peerConnection: PeerConnectionLike
}

type Phase = 'starting' | 'live' | 'ended' | 'closed'

const UNPUBLISH_CODE = 'NetStream.Play.UnpublishNotify'

function isConnected(pc: PeerConnectionLike): boolean {
  const state = pc.connectionState as string | undefined
  if (state !== undefined) {
    return state === 'connected'
  }
  return pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed'
}

/** Text of a data channel message (string, ArrayBuffer, Node Buffer or other view). */
function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') {
    return data
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(data)
  }
  return undefined
}

/** True when a Red5 data channel message says the publisher went away. */
function isUnpublishNotice(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { data?: { type?: unknown; code?: unknown; status?: unknown } }
    const data = parsed.data
    return (data?.type === 'status' && data.code === UNPUBLISH_CODE) || data?.status === UNPUBLISH_CODE
  } catch {
    return false
  }
}

/**
 * A WHIP/WHEP connection. Use {@link WhipSession.start}; the instance is the {@link WhipDriverSession}.
 * @internal
 */
export class WhipSession implements WhipDriverSession {
  readonly kind: SessionKind
  mediaStream?: MediaStream

  private phase: Phase = 'starting'
  private pc: PeerConnectionLike | undefined
  private probe: PeerConnectionLike | undefined
  private resource: string | undefined
  private readonly remoteTracks: MediaStreamTrack[] = []
  private localTracks: MediaStreamTrack[] = []
  private capturedTracks: MediaStreamTrack[] = []
  private readonly timers = new Set<unknown>()
  private readonly endListeners: ((error?: Error) => void)[] = []
  private endError: Error | undefined
  private fatal: BlueGreenError | undefined
  private teardownPromise: Promise<void> | undefined
  private postSettled: Promise<unknown> = Promise.resolve()
  private readonly pending: CandidateLike[] = []
  private gatheringComplete = false
  private endOfCandidatesSent = false
  private trickleOn: boolean
  private trickleTimer: unknown
  private trickleChain: Promise<void> = Promise.resolve()
  private liveness: LivenessWatch | undefined
  /** Bytes received when media was first seen: the watch's starting point. */
  private receivedAtStart = -1
  private readonly log: Environment['logger']
  private readonly what: string

  private constructor(
    private readonly settings: WhipSettings,
    private readonly target: SignalingTarget,
    private readonly options: DriverPublishOptions & DriverSubscribeOptions,
  ) {
    this.kind = target.kind
    this.trickleOn = settings.trickle
    this.log = settings.env.logger
    this.what = `${target.kind === 'publish' ? 'WHIP publish' : 'WHEP subscribe'} of "${target.streamName}"`
  }

  /**
   * Connects and resolves once media flows.
   * @throws {BlueGreenError} `ABORTED`, `TIMEOUT`, `STREAM_NOT_FOUND`, `MEDIA_FAILED`, `INVALID_ARGUMENT`,
   * `DRIVER_UNAVAILABLE`.
   */
  static async start(
    settings: WhipSettings,
    target: SignalingTarget,
    options: DriverPublishOptions & DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<WhipSession> {
    const session = new WhipSession(settings, target, options)
    await session.run(signal)
    return session
  }

  get resourceUrl(): string {
    return this.resource ?? ''
  }

  get tracks(): readonly MediaStreamTrack[] {
    return this.kind === 'publish' ? this.localTracks : this.remoteTracks
  }

  get peerConnection(): PeerConnectionLike {
    if (this.pc === undefined) {
      throw new BlueGreenError('CLOSED', `${this.what} has no peer connection (it never started).`)
    }
    return this.pc
  }

  onEnd(listener: (error?: Error) => void): void {
    if (this.phase === 'ended') {
      const error = this.endError
      queueMicrotask(() => this.callEndListener(listener, error))
      return
    }
    if (this.phase !== 'closed') {
      this.endListeners.push(listener)
    }
  }

  close(): Promise<void> {
    if (this.phase === 'starting' || this.phase === 'live') {
      this.phase = 'closed'
      this.log.info(`${this.what}: closing`)
    }
    return this.teardown()
  }

  // ---------------------------------------------------------------- start-up

  private async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) {
      throw abortedError(this.what, signal.reason)
    }
    const { clock } = this.settings.env
    const startup = new AbortController()
    const onAbort = (): void => startup.abort(abortedError(this.what, signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    const timeout = clock.setTimeout(() => {
      startup.abort(
        new BlueGreenError(
          'TIMEOUT',
          `${this.what} did not get media flowing within ${this.settings.connectTimeoutMs} ms ` +
            `(${redactUrl(this.target.endpoint)}). Check that UDP reaches the node, or raise connectTimeoutMs.`,
          {
            url: redactUrl(this.target.endpoint),
            streamName: this.target.streamName,
            environment: this.target.environment,
          },
        ),
      )
    }, this.settings.connectTimeoutMs)
    const work = this.connect(startup.signal)
    work.catch(() => undefined)
    try {
      await new Promise<void>((resolve, reject) => {
        const onStop = (): void => reject(startup.signal.reason)
        if (startup.signal.aborted) {
          onStop()
          return
        }
        startup.signal.addEventListener('abort', onStop, { once: true })
        work.then(
          () => {
            startup.signal.removeEventListener('abort', onStop)
            resolve()
          },
          (error: unknown) => {
            startup.signal.removeEventListener('abort', onStop)
            reject(error)
          },
        )
      })
    } catch (error) {
      if (!startup.signal.aborted) {
        startup.abort(error)
      }
      const failure = toStartError(error, this.what, this.target)
      this.log.warn(`${this.what} failed to start: ${failure.message}`)
      this.phase = 'closed'
      void this.teardown()
      throw failure
    } finally {
      clock.clearTimeout(timeout)
      signal.removeEventListener('abort', onAbort)
    }
    if (this.phase !== 'starting') {
      // closed (or ended) while the last step was finishing
      throw this.endError ?? abortedError(this.what, signal.reason)
    }
    this.phase = 'live'
    this.log.info(`${this.what}: media flowing (${redactUrl(this.resourceUrl)})`)
    this.startLiveness()
  }

  private checkpoint(signal: AbortSignal): void {
    if (signal.aborted) {
      throw signal.reason
    }
    if (this.fatal !== undefined) {
      throw this.fatal
    }
  }

  private async connect(signal: AbortSignal): Promise<void> {
    const { target, settings } = this
    const Peer =
      settings.RTCPeerConnection ??
      (globalThis as { RTCPeerConnection?: PeerConnectionConstructor }).RTCPeerConnection
    if (Peer === undefined) {
      throw new BlueGreenError(
        'DRIVER_UNAVAILABLE',
        `${this.what}: no RTCPeerConnection here. In Node, pass werift's: whipDriver({ RTCPeerConnection }) ` +
          `with RTCPeerConnection from 'werift'.`,
      )
    }
    let endpoint: URL
    try {
      endpoint = new URL(target.endpoint)
    } catch (error) {
      throw new BlueGreenError(
        'INVALID_ARGUMENT',
        `${this.what}: the endpoint "${target.endpoint}" is not an absolute URL.`,
        { cause: error, streamName: target.streamName },
      )
    }
    if (target.kind === 'subscribe') {
      // One id per attempt: the Stream Manager 2.0 proxy pins a subscriber's requests to a node with it.
      endpoint.searchParams.set('requestId', uniqueId(settings.env.random))
    }
    const routing = new URLSearchParams(endpoint.search)
    const params = { ...target.connectionParams, ...this.options.connectionParams }
    const postUrl = this.withConnectionParams(endpoint, routing, params)

    const linkServers = await this.readOptions(endpoint.toString(), signal)
    this.checkpoint(signal)
    // max-bundle by default: one transport per session (WHIP/WHEP servers bundle anyway), and werift 0.24
    // leaks the extra UDP sockets of an unbundled offerer after close(). Callers can still override it.
    const base: RTCConfiguration = {
      bundlePolicy: 'max-bundle',
      ...settings.rtcConfiguration,
      ...this.options.rtcConfiguration,
    }
    const iceServers = [...(base.iceServers ?? []), ...linkServers]
    const configuration: RTCConfiguration = { ...base, iceServers }

    if (target.kind === 'publish') {
      await this.connectPublish(Peer, configuration, postUrl, routing, signal)
    } else {
      await this.connectSubscribe(Peer, configuration, postUrl, routing, signal)
    }
    await this.waitForMedia(signal)
  }

  private withConnectionParams(endpoint: URL, routing: URLSearchParams, params: ConnectionParams): string {
    const url = new URL(endpoint.toString())
    {
      const keys: string[] = []
      for (const [key, value] of Object.entries(params)) {
        if (routing.has(key)) {
          this.log.warn(`${this.what}: connection parameter "${key}" would override the endpoint's; skipped`)
          continue
        }
        url.searchParams.append(key, String(value))
        keys.push(key)
      }
      if (keys.length > 0) {
        this.log.debug(`${this.what}: connection parameters ${keys.join(', ')}`)
      }
    }
    return url.toString()
  }

  /** OPTIONS first: learns ICE servers from `Link` headers. Tolerates servers that refuse OPTIONS. */
  private async readOptions(url: string, signal: AbortSignal): Promise<IceServer[]> {
    let response: WhipResponse
    try {
      response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
        method: 'OPTIONS',
        url,
        timeoutMs: this.settings.requestTimeoutMs,
        signal,
        what: this.what,
      })
    } catch (error) {
      if (isBlueGreenError(error, 'MEDIA_FAILED')) {
        // Some servers (or their CORS setup) refuse OPTIONS; the POST will say clearly if it is worse.
        this.log.warn(
          `${this.what}: OPTIONS failed, continuing without server ICE servers (${error.message})`,
        )
        return []
      }
      throw error
    }
    if (response.status !== 200 && response.status !== 204) {
      this.log.debug(`${this.what}: OPTIONS answered ${response.status}; no ICE servers from the server`)
      return []
    }
    const servers = parseIceServerLinks(response.headers)
    if (servers.length > 0) {
      this.log.debug(`${this.what}: ${servers.length} ICE server(s) from Link headers`)
    }
    return servers
  }

  private newPeer(Peer: PeerConnectionConstructor, configuration: RTCConfiguration): PeerConnectionLike {
    let pc: PeerConnectionLike
    try {
      pc = new Peer(configuration as never)
    } catch (error) {
      throw new BlueGreenError('MEDIA_FAILED', `${this.what}: could not create an RTCPeerConnection.`, {
        cause: error,
      })
    }
    pc.addEventListener('icecandidate', (event) => {
      if (pc === this.pc) {
        this.onLocalCandidate((event as { candidate?: CandidateLike | null }).candidate ?? undefined)
      }
    })
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc === this.pc && pc.iceGatheringState === 'complete') {
        this.onLocalCandidate(undefined)
      }
    })
    const onState = (): void => {
      if (pc === this.pc) {
        this.onConnectionState()
      }
    }
    pc.addEventListener('connectionstatechange', onState)
    pc.addEventListener('iceconnectionstatechange', onState)
    pc.addEventListener('track', (event) => {
      if (pc === this.pc) {
        this.onRemoteTrack((event as { track: MediaStreamTrack }).track)
      }
    })
    pc.addEventListener('datachannel', (event) => {
      if (pc === this.pc) {
        this.watchChannel((event as { channel: DataChannelLike }).channel)
      }
    })
    return pc
  }

  private async connectPublish(
    Peer: PeerConnectionConstructor,
    configuration: RTCConfiguration,
    postUrl: string,
    routing: URLSearchParams,
    signal: AbortSignal,
  ): Promise<void> {
    const stream = this.options.mediaStream ?? (await this.capture())
    this.checkpoint(signal)
    this.mediaStream = stream
    this.localTracks = stream.getTracks()
    if (this.localTracks.length === 0) {
      throw new BlueGreenError('INVALID_ARGUMENT', `${this.what}: the mediaStream has no tracks to send.`, {
        streamName: this.target.streamName,
      })
    }
    if (this.options.mediaElement !== undefined) {
      this.options.mediaElement.muted = true // a local preview must not play the microphone back
      this.options.mediaElement.srcObject = stream
    }
    const pc = this.newPeer(Peer, configuration)
    this.pc = pc
    // Audio first in every engine (Safari captures video first): see inSectionOrder.
    for (const track of inSectionOrder(this.localTracks)) {
      pc.addTransceiver(track as never, { direction: 'sendonly', streams: [stream] } as never)
    }
    const offer = await pc.createOffer()
    await pc.setLocalDescription(offer as never)
    this.checkpoint(signal)
    if (!this.trickleOn) {
      await this.waitForGathering(pc, signal)
    }
    const answer = await this.post(postUrl, pc.localDescription?.sdp ?? offer.sdp ?? '', routing, signal)
    if (isSdpOffer(answer)) {
      throw new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the WHIP endpoint answered with an SDP offer, not an answer (${redactUrl(postUrl)}). ` +
          'Is this a WHEP endpoint?',
        { url: redactUrl(postUrl), streamName: this.target.streamName },
      )
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer } as never)
    this.scheduleTrickle()
  }

  private async connectSubscribe(
    Peer: PeerConnectionConstructor,
    configuration: RTCConfiguration,
    postUrl: string,
    routing: URLSearchParams,
    signal: AbortSignal,
  ): Promise<void> {
    const flavour = this.settings.whepFlavour
    if (typeof globalThis.MediaStream === 'function') {
      this.mediaStream = new globalThis.MediaStream()
      if (this.options.mediaElement !== undefined) {
        this.options.mediaElement.srcObject = this.mediaStream
      }
    } else {
      this.mediaStream = trackStream() // Node: the remote tracks, through the MediaStream calls
    }
    let offer: DescriptionLike | undefined
    if (flavour !== 'server-offer') {
      // The client offer. It is applied only if the server answers it (RFC 9725); with Red5's
      // server-offer flavour it is discarded, together with this peer connection: transceivers that
      // no server m-line takes would otherwise linger (werift then even reports the connection failed).
      const probe = this.newPeer(Peer, configuration)
      this.probe = probe
      probe.addTransceiver('audio' as never, { direction: 'recvonly' } as never)
      probe.addTransceiver('video' as never, { direction: 'recvonly' } as never)
      if (this.settings.dataChannelLabel !== false) {
        this.watchChannel(probe.createDataChannel(this.settings.dataChannelLabel, { ordered: true } as never))
      }
      offer = await probe.createOffer()
      this.checkpoint(signal)
    }
    const body = await this.post(postUrl, offer?.sdp ?? '', routing, signal)
    if (isSdpOffer(body)) {
      if (flavour === 'client-offer') {
        throw new BlueGreenError(
          'MEDIA_FAILED',
          `${this.what}: the WHEP endpoint answered with its own offer (Red5's server-offer flavour) but ` +
            `whepFlavour is 'client-offer'. Use 'auto'.`,
          { url: redactUrl(postUrl), streamName: this.target.streamName },
        )
      }
      this.closeProbe()
      const pc = this.newPeer(Peer, configuration)
      this.pc = pc
      if (this.settings.dataChannelLabel !== false) {
        this.watchChannel(pc.createDataChannel(this.settings.dataChannelLabel, { ordered: true } as never))
      }
      await pc.setRemoteDescription({ type: 'offer', sdp: body } as never)
      const answer = await pc.createAnswer()
      await pc.setLocalDescription(answer as never)
      this.checkpoint(signal)
      if (!this.trickleOn) {
        await this.waitForGathering(pc, signal)
      }
      await this.patchAnswer(pc.localDescription?.sdp ?? answer.sdp ?? '', signal)
      this.scheduleTrickle()
      return
    }
    if (offer === undefined || this.probe === undefined) {
      throw new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: whepFlavour is 'server-offer' but the WHEP endpoint did not answer with an SDP offer ` +
          `(${redactUrl(postUrl)}). Use 'auto' for RFC 9725 servers.`,
        { url: redactUrl(postUrl), streamName: this.target.streamName },
      )
    }
    const pc = this.probe
    this.probe = undefined
    this.pc = pc
    await pc.setLocalDescription(offer as never)
    this.checkpoint(signal)
    await pc.setRemoteDescription({ type: 'answer', sdp: body } as never)
    this.scheduleTrickle()
  }

  private async capture(): Promise<MediaStream> {
    const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices
    if (devices === undefined || typeof devices.getUserMedia !== 'function') {
      throw new BlueGreenError(
        'INVALID_ARGUMENT',
        `${this.what}: no mediaStream was given and this environment cannot capture one. Pass mediaStream.`,
        { streamName: this.target.streamName },
      )
    }
    try {
      const stream = await devices.getUserMedia({ audio: true, video: true })
      this.capturedTracks = stream.getTracks()
      return stream
    } catch (error) {
      throw new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: could not capture camera and microphone (${error instanceof Error ? error.name : String(error)}). ` +
          'Grant access or pass mediaStream.',
        { cause: error, streamName: this.target.streamName },
      )
    }
  }

  private async post(
    url: string,
    sdp: string,
    routing: URLSearchParams,
    signal: AbortSignal,
  ): Promise<string> {
    let settle: () => void = () => undefined
    this.postSettled = new Promise<void>((resolve) => {
      settle = resolve
    })
    try {
      return await this.postWithRetry(url, sdp, routing, signal)
    } finally {
      settle()
    }
  }

  private async postWithRetry(
    url: string,
    sdp: string,
    routing: URLSearchParams,
    signal: AbortSignal,
  ): Promise<string> {
    const { env, maxPostAttempts, maxRetryAfterMs, requestTimeoutMs } = this.settings
    for (let attempt = 1; ; attempt++) {
      // Not aborted by `signal`: if the server creates a resource we must learn its URL to DELETE it.
      const response = await sendRequest(env.fetch, env.clock, {
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/sdp' },
        body: sdp,
        timeoutMs: requestTimeoutMs,
        what: this.what,
      })
      if (response.status >= 200 && response.status < 300) {
        this.resource = resolveResourceUrl(response.headers.get('location'), url, routing)
        if (response.headers.get('location') === null) {
          this.log.warn(`${this.what}: no Location in the POST answer; using ${redactUrl(this.resource)}`)
        }
        this.log.debug(`${this.what}: resource ${redactUrl(this.resource)}`)
        this.checkpoint(signal)
        if (!looksLikeSdp(response.body)) {
          throw new BlueGreenError(
            'MEDIA_FAILED',
            `${this.what}: the POST answer (${response.status}) has no SDP body (${redactUrl(url)}).`,
            { url: redactUrl(url), status: response.status, streamName: this.target.streamName },
          )
        }
        return response.body
      }
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), env.clock.now())
      if ((response.status === 503 || response.status === 429) && attempt < maxPostAttempts) {
        const delay =
          retryAfter === undefined
            ? fullJitterDelay(attempt, 500, 5000, env.random)
            : Math.min(retryAfter, maxRetryAfterMs)
        this.log.info(`${this.what}: ${response.status} from the server, retrying in ${delay} ms`)
        await sleep(env.clock, delay, signal)
        continue
      }
      throw this.postError(response, url, retryAfter)
    }
  }

  private postError(response: WhipResponse, url: string, retryAfterMs: number | undefined): BlueGreenError {
    const { status } = response
    const detail = describeErrorBody(response.body)
    const said = detail === '' ? '' : `: "${detail}"`
    const context = {
      url: redactUrl(url),
      status,
      streamName: this.target.streamName,
      environment: this.target.environment,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    }
    const where = `${redactUrl(url)}`
    if (this.kind === 'subscribe' && (status === 404 || status === 409)) {
      return new BlueGreenError(
        'STREAM_NOT_FOUND',
        `${this.what}: the stream is not published on this node (WHEP ${status}${said}, ${where}). ` +
          'Publish it first, or retry once it is live.',
        context,
      )
    }
    if (status === 401 || status === 403 || status === 406) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node refused the connection (${status}${said}, ${where}). ` +
          'Check the connectionParams (round-trip authentication); retrying will not help.',
        context,
      )
    }
    if (this.kind === 'publish' && status === 409) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the stream is already being published (409${said}, ${where}). ` +
          'Stop the other publisher or use another stream name.',
        context,
      )
    }
    if (status === 503 || status === 429) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node is busy (${status}${said}, ${where}) after ${this.settings.maxPostAttempts} attempt(s).`,
        context,
      )
    }
    return new BlueGreenError(
      'MEDIA_FAILED',
      `${this.what}: POST answered ${status}${said} (${where}).`,
      context,
    )
  }

  private async patchAnswer(sdp: string, signal: AbortSignal): Promise<void> {
    const response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
      method: 'PATCH',
      url: this.resourceUrl,
      headers: { 'Content-Type': 'application/sdp' },
      body: sdp,
      timeoutMs: this.settings.requestTimeoutMs,
      signal,
      what: this.what,
    })
    if (response.status < 200 || response.status >= 300) {
      const detail = describeErrorBody(response.body)
      throw new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node refused the SDP answer (PATCH ${response.status}${detail === '' ? '' : `: "${detail}"`}, ` +
          `${redactUrl(this.resourceUrl)}).`,
        { url: redactUrl(this.resourceUrl), status: response.status, streamName: this.target.streamName },
      )
    }
  }

  private waitForGathering(pc: PeerConnectionLike, signal: AbortSignal): Promise<void> {
    const { clock } = this.settings.env
    const deadline = clock.now() + this.settings.iceGatheringTimeoutMs
    const poll = async (): Promise<void> => {
      while (pc.iceGatheringState !== 'complete' && !this.gatheringComplete && clock.now() < deadline) {
        await sleep(clock, Math.min(20, this.settings.mediaPollIntervalMs), signal)
      }
    }
    return poll()
  }

  private async waitForMedia(signal: AbortSignal): Promise<void> {
    const { clock } = this.settings.env
    for (;;) {
      this.checkpoint(signal)
      const pc = this.pc
      if (pc === undefined) {
        throw new BlueGreenError('MEDIA_FAILED', `${this.what}: no peer connection.`)
      }
      const state = pc.connectionState as string | undefined
      if (state === 'failed' || state === 'closed' || pc.iceConnectionState === 'failed') {
        throw new BlueGreenError(
          'MEDIA_FAILED',
          `${this.what}: the connection ${state === 'closed' ? 'was closed' : 'failed'} before media flowed ` +
            `(ICE ${pc.iceConnectionState}). Check that UDP reaches the node and that ICE servers are right.`,
          { url: redactUrl(this.resourceUrl), streamName: this.target.streamName },
        )
      }
      const counters = await readCounters(pc)
      this.checkpoint(signal)
      if (counters !== undefined) {
        if (
          this.kind === 'subscribe'
            ? counters.inboundMediaBytes > 0
            : isConnected(pc) && counters.outboundMediaBytes > 0
        ) {
          this.receivedAtStart = counters.receivedBytes + counters.inboundMediaBytes
          return
        }
      }
      await sleep(clock, this.settings.mediaPollIntervalMs, signal)
    }
  }

  // ---------------------------------------------------------------- trickle ICE

  private onLocalCandidate(candidate: CandidateLike | undefined): void {
    if (candidate === undefined || candidate.candidate === '') {
      this.gatheringComplete = true
    } else {
      this.pending.push(candidate)
    }
    this.scheduleTrickle()
  }

  /** Batches candidates for `trickleBatchMs`, then PATCHes them (once the resource URL is known). */
  private scheduleTrickle(): void {
    if (!this.trickleOn || this.resource === undefined || this.trickleTimer !== undefined) {
      return
    }
    if (this.phase === 'ended' || this.phase === 'closed') {
      return
    }
    if (this.pending.length === 0 && !(this.gatheringComplete && !this.endOfCandidatesSent)) {
      return
    }
    this.trickleTimer = this.setTimer(() => {
      this.trickleTimer = undefined
      this.trickleChain = this.trickleChain.then(() => this.flushTrickle())
    }, this.settings.trickleBatchMs)
  }

  private async flushTrickle(): Promise<void> {
    if (!this.trickleOn || this.phase === 'ended' || this.phase === 'closed') {
      return
    }
    const batch = this.pending.splice(0)
    const end = this.gatheringComplete && !this.endOfCandidatesSent
    const fragment = buildTrickleFragment(this.pc?.localDescription?.sdp, batch, end)
    if (fragment === undefined) {
      return
    }
    if (end) {
      this.endOfCandidatesSent = true
    }
    try {
      const response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
        method: 'PATCH',
        url: this.resourceUrl,
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
        body: fragment,
        timeoutMs: this.settings.requestTimeoutMs,
        what: this.what,
      })
      if (response.status === 405 || response.status === 501) {
        this.trickleOn = false
        this.log.debug(`${this.what}: the server does not take trickled candidates (${response.status})`)
      } else if (response.status < 200 || response.status >= 300) {
        this.log.warn(`${this.what}: trickle PATCH answered ${response.status}`)
      } else {
        this.log.debug(
          `${this.what}: trickled ${batch.length} candidate(s)${end ? ' and end-of-candidates' : ''}`,
        )
      }
    } catch (error) {
      this.log.warn(`${this.what}: trickle PATCH failed`, error)
    }
    this.scheduleTrickle()
  }

  // ---------------------------------------------------------------- media and data channel

  private onRemoteTrack(track: MediaStreamTrack): void {
    if (this.remoteTracks.includes(track)) {
      return
    }
    this.remoteTracks.push(track)
    this.mediaStream?.addTrack(track)
    const like = track as unknown as TrackLike
    like.addEventListener?.('ended', () => {
      const all = this.remoteTracks.every((t) => t.readyState === 'ended')
      if (all && this.phase === 'live') {
        this.end(
          new BlueGreenError('MEDIA_FAILED', `${this.what}: the remote tracks ended.`, {
            streamName: this.target.streamName,
            environment: this.target.environment,
          }),
        )
      }
    })
  }

  private watchChannel(channel: DataChannelLike): void {
    channel.addEventListener('message', (event) => {
      const text = messageText((event as { data?: unknown }).data)
      if (text === undefined || !isUnpublishNotice(text)) {
        return
      }
      const error = new BlueGreenError(
        'STREAM_NOT_FOUND',
        `${this.what}: the publisher stopped (the node sent ${UNPUBLISH_CODE}). Subscribe again once it is back.`,
        { streamName: this.target.streamName, environment: this.target.environment },
      )
      this.log.info(`${this.what}: the node says the stream was unpublished`)
      if (this.phase === 'starting') {
        this.fatal = error
      } else {
        this.end(error)
      }
    })
  }

  // ---------------------------------------------------------------- liveness

  private onConnectionState(): void {
    if (this.phase === 'live') {
      this.liveness?.check()
    }
  }

  /** Watches the live connection (state and getStats(); see liveness.ts) and ends the session when it dies. */
  private startLiveness(): void {
    const pc = this.pc
    if (pc === undefined) {
      return
    }
    const { env, liveness } = this.settings
    this.liveness = new LivenessWatch(
      pc,
      { clock: env.clock, ...livenessFor(this.kind, liveness) },
      (verdict) =>
        this.end(
          new BlueGreenError('MEDIA_FAILED', `${this.what}: ${verdict.detail}.`, {
            streamName: this.target.streamName,
            environment: this.target.environment,
          }),
        ),
      this.log,
      this.what,
    )
    this.liveness.start(this.receivedAtStart)
    this.liveness.check()
  }

  // ---------------------------------------------------------------- end and teardown

  private callEndListener(listener: (error?: Error) => void, error: Error | undefined): void {
    try {
      listener(error)
    } catch (thrown) {
      this.log.error(`${this.what}: an onEnd listener threw`, thrown)
    }
  }

  private end(error: Error): void {
    if (this.phase !== 'live') {
      return
    }
    this.phase = 'ended'
    this.endError = error
    this.log.warn(`${this.what} ended: ${error.message}`)
    void this.teardown()
    for (const listener of this.endListeners.splice(0)) {
      this.callEndListener(listener, error)
    }
  }

  private closeProbe(): void {
    const probe = this.probe
    this.probe = undefined
    if (probe !== undefined) {
      try {
        void Promise.resolve(probe.close()).catch(() => undefined)
      } catch {
        // already closed
      }
    }
  }

  private teardown(): Promise<void> {
    this.teardownPromise ??= this.doTeardown()
    return this.teardownPromise
  }

  private async doTeardown(): Promise<void> {
    for (const timer of this.timers) {
      this.settings.env.clock.clearTimeout(timer)
    }
    this.timers.clear()
    this.trickleTimer = undefined
    this.liveness?.stop()
    this.closeProbe()
    const pc = this.pc
    if (pc !== undefined) {
      try {
        await Promise.resolve(pc.close())
      } catch (error) {
        this.log.debug(`${this.what}: closing the peer connection threw`, error)
      }
    }
    for (const track of this.capturedTracks) {
      track.stop()
    }
    // A POST still in flight may yet create a resource: wait for it (bounded by requestTimeoutMs).
    await this.postSettled
    const resource = this.resource
    if (resource === undefined) {
      return
    }
    try {
      const response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
        method: 'DELETE',
        url: resource,
        timeoutMs: this.settings.deleteTimeoutMs,
        what: this.what,
      })
      this.log.debug(`${this.what}: DELETE answered ${response.status}`)
    } catch (error) {
      this.log.debug(`${this.what}: DELETE failed (best effort)`, error)
    }
  }

  private setTimer(fn: () => void, ms: number): unknown {
    const handle = this.settings.env.clock.setTimeout(() => {
      this.timers.delete(handle)
      fn()
    }, ms)
    this.timers.add(handle)
    return handle
  }

  private clearTimer(handle: unknown): void {
    this.settings.env.clock.clearTimeout(handle)
    this.timers.delete(handle)
  }
}

function toStartError(error: unknown, what: string, target: SignalingTarget): BlueGreenError {
  if (isBlueGreenError(error)) {
    return error
  }
  return new BlueGreenError(
    'MEDIA_FAILED',
    `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      streamName: target.streamName,
      environment: target.environment,
    },
  )
}
