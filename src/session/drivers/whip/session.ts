/**
 * One WHIP (publish) or WHEP (subscribe) connection: signalling over HTTP, the peer connection, the
 * watch for an unexpected end, and teardown. Created by `whipDriver()`; see `../whip.ts` for the
 * public options.
 * @internal
 */
import { sleep, type Environment } from '../../../environment'
import { abortedError, BlueGreenError } from '../../../errors'
import { uniqueId } from '../../../internal/ids'
import type { SessionKind } from '../../../types'
import type { DriverPublishOptions, DriverSession, DriverSubscribeOptions, SignalingTarget } from '../Driver'
import { redactUrl } from './http'
import {
  readCounters,
  type LivenessSettings,
  type LivenessWatch,
  type PeerCounters,
  type DisconnectedListener,
  type StallListener,
} from '../liveness'
import { isUnpublishNotice, messageText, UNPUBLISH_CODE } from './channel'
import { WhipSignalling, withConnectionParams } from './signalling'
import { boundedStart } from './startup'
import { Trickle } from './trickle'
import { startWatch } from './watch'
import {
  type DataChannelLike,
  type DescriptionLike,
  type PeerConnectionConstructor,
  type PeerConnectionLike,
  type TrackLike,
} from './peer'
import { inSectionOrder, isSdpOffer, type CandidateLike } from './sdp'
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

/** How long a viewer's SDP answer waits for its first local candidate, in ms (see waitForFirstCandidate). */
const ANSWER_CANDIDATE_WAIT_MS = 50

type Phase = 'starting' | 'live' | 'ended' | 'closed'

function isConnected(pc: PeerConnectionLike): boolean {
  const state = pc.connectionState as string | undefined
  if (state !== undefined) {
    return state === 'connected'
  }
  return pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed'
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
  private readonly trickle: Trickle
  /** True from the node's offer until the node has answered the PATCH with our SDP answer. */
  private answerPending = false
  private readonly signalling: WhipSignalling
  private liveness: LivenessWatch | undefined
  private readonly stallListeners: StallListener[] = []
  private readonly disconnectedListeners: DisconnectedListener[] = []
  /** The statistics when media was first seen: the watch's starting point. */
  private countersAtStart: PeerCounters | undefined
  private readonly log: Environment['logger']
  private readonly what: string

  private constructor(
    private readonly settings: WhipSettings,
    private readonly target: SignalingTarget,
    private readonly options: DriverPublishOptions & DriverSubscribeOptions,
  ) {
    this.kind = target.kind
    this.log = settings.env.logger
    this.what = `${target.kind === 'publish' ? 'WHIP publish' : 'WHEP subscribe'} of "${target.streamName}"`
    this.signalling = new WhipSignalling(settings, target, this.what)
    const { env, requestTimeoutMs, trickleBatchMs } = settings
    this.trickle = new Trickle(
      {
        env,
        what: this.what,
        requestTimeoutMs,
        trickleBatchMs,
        // Red5's server-offer flavour: nothing trickles before the node has taken the SDP answer (a
        // candidate for a description it has not got yet can be refused, and the answer carries them).
        resource: () => (this.answerPending ? undefined : this.resource),
        localSdp: () => this.pc?.localDescription?.sdp,
        open: () => this.phase === 'starting' || this.phase === 'live',
        setTimer: (fn, ms) => this.setTimer(fn, ms),
      },
      settings.trickle,
    )
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

  /**
   * Listens to a frozen source (subscribe): `true` when media stopped while the node still answers (RTCP
   * sender reports, STUN), `false` when media flows again. The session stays open meanwhile.
   */
  onStall(listener: StallListener): void {
    if (this.phase === 'starting' || this.phase === 'live') {
      this.stallListeners.push(listener)
    }
  }

  /** See {@link DriverSession.onDisconnected}: the liveness watch's grace starting (`true`) or ending. */
  onDisconnected(listener: DisconnectedListener): void {
    if (this.phase === 'starting' || this.phase === 'live') {
      this.disconnectedListeners.push(listener)
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
    const { env, connectTimeoutMs } = this.settings
    const bounds = { what: this.what, target: this.target, clock: env.clock, connectTimeoutMs, signal }
    try {
      await boundedStart(bounds, (startup) => this.connect(startup))
    } catch (failure) {
      this.log.warn(`${this.what} failed to start: ${(failure as Error).message}`)
      this.phase = 'closed'
      void this.teardown()
      throw failure
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
    const postUrl = withConnectionParams(endpoint, routing, params, this.log, this.what)

    // OPTIONS only brings ICE servers (`Link` headers), which a peer connection needs before it gathers.
    // A viewer's POST does not wait for it: both go out together, which takes a round trip (and the CORS
    // preflight of the OPTIONS) off the time to first frame; the answer is awaited where a configuration
    // is needed. Should the POST fail first, its error is the one that counts.
    const linkServers = this.signalling.readOptions(endpoint.toString(), signal)
    linkServers.catch(() => undefined)
    // max-bundle by default: one transport per session (WHIP/WHEP servers bundle anyway), and werift 0.24
    // leaks the extra UDP sockets of an unbundled offerer after close(). Callers can still override it.
    const base: RTCConfiguration = {
      bundlePolicy: 'max-bundle',
      ...settings.rtcConfiguration,
      ...this.options.rtcConfiguration,
    }
    const configured = async (): Promise<RTCConfiguration> => {
      const servers = await linkServers
      this.checkpoint(signal)
      return { ...base, iceServers: [...(base.iceServers ?? []), ...servers] }
    }

    if (target.kind === 'publish') {
      await this.connectPublish(Peer, await configured(), postUrl, routing, signal)
    } else {
      await this.connectSubscribe(Peer, base, configured, postUrl, routing, signal)
    }
    await this.waitForMedia(signal)
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
        this.trickle.add((event as { candidate?: CandidateLike | null }).candidate ?? undefined)
      }
    })
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc === this.pc && pc.iceGatheringState === 'complete') {
        this.trickle.add(undefined)
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
    if (!this.trickle.enabled) {
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
    this.trickle.schedule()
  }

  /**
   * WHEP. `base` is the configuration without the OPTIONS' ICE servers, `configured()` waits for them:
   * the client offer is made (and POSTed) before they are known, and gathering starts only once they are.
   */
  private async connectSubscribe(
    Peer: PeerConnectionConstructor,
    base: RTCConfiguration,
    configured: () => Promise<RTCConfiguration>,
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
      const probe = this.newPeer(Peer, base)
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
      this.answerPending = true
      const pc = this.newPeer(Peer, await configured())
      this.pc = pc
      if (this.settings.dataChannelLabel !== false) {
        this.watchChannel(pc.createDataChannel(this.settings.dataChannelLabel, { ordered: true } as never))
      }
      await pc.setRemoteDescription({ type: 'offer', sdp: body } as never)
      const answer = await pc.createAnswer()
      await pc.setLocalDescription(answer as never)
      this.checkpoint(signal)
      if (this.trickle.enabled) {
        await this.waitForFirstCandidate(pc, signal)
      } else {
        await this.waitForGathering(pc, signal)
      }
      try {
        await this.signalling.patchAnswer(
          this.resourceUrl,
          pc.localDescription?.sdp ?? answer.sdp ?? '',
          signal,
        )
      } finally {
        this.answerPending = false
      }
      this.trickle.schedule()
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
    const configuration = await configured()
    if (configuration.iceServers!.length > (base.iceServers?.length ?? 0)) {
      pc.setConfiguration(configuration as never) // before setLocalDescription: nothing gathered yet
    }
    await pc.setLocalDescription(offer as never)
    this.checkpoint(signal)
    await pc.setRemoteDescription({ type: 'answer', sdp: body } as never)
    this.trickle.schedule()
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
      return await this.signalling.post(
        url,
        sdp,
        routing,
        signal,
        (resource: string) => {
          this.resource = resource
        },
        (aborting: AbortSignal) => this.checkpoint(aborting),
      )
    } finally {
      settle()
    }
  }

  /**
   * A viewer's answer waits a moment (at most {@link ANSWER_CANDIDATE_WAIT_MS}) for the first local
   * candidate, so the host candidates, gathered within milliseconds, ride on the answer: a node that
   * needs the viewer's candidates to finish ICE then has them with the answer, not one trickle request
   * (and its CORS preflight) later. The rest still trickles.
   */
  private async waitForFirstCandidate(pc: PeerConnectionLike, signal: AbortSignal): Promise<void> {
    const { clock } = this.settings.env
    const deadline = clock.now() + ANSWER_CANDIDATE_WAIT_MS
    while (
      !/^a=candidate:/m.test(pc.localDescription?.sdp ?? '') &&
      pc.iceGatheringState !== 'complete' &&
      clock.now() < deadline
    ) {
      await sleep(clock, 5, signal)
    }
  }

  private waitForGathering(pc: PeerConnectionLike, signal: AbortSignal): Promise<void> {
    const { clock } = this.settings.env
    const deadline = clock.now() + this.settings.iceGatheringTimeoutMs
    const poll = async (): Promise<void> => {
      while (pc.iceGatheringState !== 'complete' && !this.trickle.complete && clock.now() < deadline) {
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
          this.countersAtStart = counters
          return
        }
      }
      await sleep(clock, this.settings.mediaPollIntervalMs, signal)
    }
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

  /** Watches the live connection (state and getStats(); see watch.ts) and ends the session when it dies. */
  private startLiveness(): void {
    const pc = this.pc
    if (pc === undefined) {
      return
    }
    this.liveness = startWatch({
      pc,
      kind: this.kind,
      env: this.settings.env,
      liveness: this.settings.liveness,
      target: this.target,
      what: this.what,
      baseline: this.countersAtStart,
      end: (error) => this.end(error),
      stallListeners: this.stallListeners,
      disconnectedListeners: this.disconnectedListeners,
    })
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
    this.trickle.forget()
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
    if (resource !== undefined) {
      await this.signalling.remove(resource)
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
