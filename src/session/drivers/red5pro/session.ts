/**
 * One publish or subscribe made with the Red5 SDK's WHIPClient / WHEPClient: starts it, turns the SDK's
 * events and odd rejections into typed errors, reports an unexpected end once, and tears down what it
 * opened (peer connection, server resource, listeners) exactly once. The SDK traps it works around are
 * listed in docs/drivers-red5pro.md.
 */
import type { Clock, Logger } from '../../../environment'
import { uniqueId } from '../../../internal/ids'
import { abortedError, BlueGreenError, closedError } from '../../../errors'
import type { SessionKind } from '../../../types'
import type { DriverPublishOptions, DriverSession, DriverSubscribeOptions, SignalingTarget } from '../Driver'
import { LivenessWatch, passOn, type DisconnectedListener, type StallListener } from '../liveness'
import type { LivenessSettings } from '../liveness'
import type { Red5proCapabilities, Red5proGeneration } from './generations'
import {
  isStreamMissingText,
  SDK_EVENT,
  sdkFailureText,
  signalingHelperOf,
  statusOfSdkFailure,
  swallow,
} from './sdk'
import type {
  Red5proSdk,
  Red5proSdkConfig,
  Red5proSdkEvent,
  Red5proWhepClient,
  Red5proWhipClient,
  SdkSignalingHelper,
} from './sdk'
import type { Red5proEndpointParts, Red5proProxyEndpoint } from './target'
import { encodeConnectionParams } from './target'
import { mergeIceServers } from './ice'

/** How the SDK is told where to signal: host/port/app parts (every generation) or `endpoint` (13+). @internal */
export type Red5proAddress =
  | { readonly mode: 'parts'; readonly parts: Red5proEndpointParts }
  | { readonly mode: 'endpoint'; readonly proxy: Red5proProxyEndpoint; readonly nodeGroup: string }

/** What a {@link Red5proSession} needs from its driver. @internal */
export interface Red5proSessionDeps {
  readonly sdk: Red5proSdk
  readonly capabilities: Red5proCapabilities
  readonly generation: Red5proGeneration
  /** Timings of the liveness watch on the SDK's peer connection (the clock is `clock`). */
  readonly liveness: Omit<LivenessSettings, 'clock'>
  readonly clock: Clock
  readonly logger: Logger
  readonly random: () => number
  readonly startTimeoutMs: number
  readonly teardownTimeoutMs: number
  readonly sdkConfig: Readonly<Record<string, unknown>>
}

type Phase = 'starting' | 'live' | 'ended' | 'failed' | 'closed'

const noop = (): void => undefined

/**
 * The SDK's own default `rtcConfiguration`, as a fresh object per session: the SDK keeps its default in
 * a module-level object and writes into it (ICE servers from OPTIONS `Link` headers,
 * `encodedInsertableStreams`), so one environment's TURN servers would leak into the next session.
 */
function freshRtcConfiguration(given: unknown): RTCConfiguration {
  if (typeof given === 'object' && given !== null) {
    return { ...(given as RTCConfiguration) }
  }
  return {
    iceServers: [{ urls: 'stun:stun2.l.google.com:19302' }],
    iceCandidatePoolSize: 2,
    bundlePolicy: 'max-bundle',
  }
}

function isMediaStream(value: unknown): value is MediaStream {
  return typeof value === 'object' && value !== null && typeof (value as MediaStream).getTracks === 'function'
}

function stopTracks(stream: unknown): void {
  if (isMediaStream(stream)) {
    for (const track of stream.getTracks()) {
      track.stop()
    }
  }
}

/** Attaches `stream` to `element` unless it already shows it. */
function attach(element: HTMLMediaElement, stream: MediaStream, logger: Logger): void {
  try {
    if (element.srcObject !== stream) {
      element.srcObject = stream
    }
  } catch (error) {
    logger.warn('could not attach the stream to the media element', error)
  }
}

/** One WHIPClient or WHEPClient session. Created by `red5proDriver`; use it as a `DriverSession`. @internal */
export class Red5proSession implements DriverSession {
  /**
   * Publish: the local stream (given, or captured by the SDK). Subscribe: the remote stream. Absent
   * until known. (A field, not a getter: `DriverSession.mediaStream` is optional under
   * `exactOptionalPropertyTypes`.)
   */
  declare mediaStream?: MediaStream
  private phase: Phase = 'starting'
  private wasLive = false
  private options: DriverPublishOptions & DriverSubscribeOptions = {}
  private client: Red5proWhipClient | Red5proWhepClient | undefined
  private helper: SdkSignalingHelper | undefined
  private readonly deletes: Promise<void>[] = []
  private offerInFlight: Promise<void> | undefined
  /** The POST has settled and a DELETE went out after it (15 keeps its resource URL after tearDown). */
  private deletedAfterOffer = false
  private offerSettled = false
  private signalingFailure: unknown
  private localStream: MediaStream | undefined
  private endListeners: ((error?: Error) => void)[] = []
  private readonly stallListeners: StallListener[] = []
  private readonly disconnectedListeners: DisconnectedListener[] = []
  private endError: BlueGreenError | undefined
  private settle: { resolve: (session: DriverSession) => void; reject: (error: Error) => void } | undefined
  private cleanupStart: () => void = noop
  private teardownPromise: Promise<void> | undefined
  private closePromise: Promise<void> | undefined
  private released = false
  private liveness: LivenessWatch | undefined
  private unwatchPeer: () => void = noop
  private readonly requestId: string
  private readonly what: string
  /** The one listener given to the SDK; it must never throw (the SDK's emitter has no try/catch). */
  private readonly onSdkEvent = (event: Red5proSdkEvent): void => {
    try {
      this.handle(event)
    } catch (error) {
      this.deps.logger.error(`handling the SDK event ${String(event?.type)} failed`, error)
    }
  }

  constructor(
    private readonly kind: SessionKind,
    private readonly target: SignalingTarget,
    private readonly address: Red5proAddress,
    private readonly deps: Red5proSessionDeps,
  ) {
    this.requestId = uniqueId(deps.random)
    this.what = `red5proDriver.${kind}("${target.streamName}")`
  }

  /** See {@link DriverSession.onEnd}. A listener registered after the end is called at once (async). */
  onEnd(listener: (error?: Error) => void): void {
    if (this.endError !== undefined) {
      const error = this.endError
      queueMicrotask(() => this.notifyEnd(listener, error))
      return
    }
    this.endListeners.push(listener)
  }

  /** See {@link DriverSession.onStall}: the liveness watch's frozen-source signal on the SDK's peer connection. */
  onStall(listener: StallListener): void {
    this.stallListeners.push(listener)
  }

  /** See {@link DriverSession.onDisconnected}: the liveness watch's grace starting (`true`) or ending. */
  onDisconnected(listener: DisconnectedListener): void {
    this.disconnectedListeners.push(listener)
  }

  /** See {@link DriverSession.close}: releases the node's resource (DELETE) and the peer connection. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      if (this.phase === 'starting') {
        this.failStart(closedError(this.what))
      }
      this.phase = 'closed'
      this.endListeners = []
      await this.teardown()
    })()
    return this.closePromise
  }

  /**
   * Starts the session; resolves on `Publish.Start` / `Subscribe.Start` (media flows), rejects with a
   * typed error otherwise. @internal
   */
  start(options: DriverPublishOptions | DriverSubscribeOptions, signal: AbortSignal): Promise<DriverSession> {
    this.options = options
    return new Promise<DriverSession>((resolve, reject) => {
      this.settle = { resolve, reject }
      const onAbort = (): void => this.failStart(abortedError(this.what, signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })
      const { clock, startTimeoutMs } = this.deps
      const timer =
        startTimeoutMs > 0 && Number.isFinite(startTimeoutMs)
          ? clock.setTimeout(() => this.failStart(this.timeoutError()), startTimeoutMs)
          : undefined
      this.cleanupStart = () => {
        signal.removeEventListener('abort', onAbort)
        if (timer !== undefined) {
          clock.clearTimeout(timer)
        }
      }
      if (signal.aborted) {
        onAbort()
        return
      }
      this.deps.logger.debug(`${this.what}: starting at ${this.target.endpoint}`)
      this.run().catch((error: unknown) => this.failStart(this.failureError('start', error)))
    })
  }

  private async run(): Promise<void> {
    const { sdk, generation } = this.deps
    if (this.kind === 'publish') {
      const given = this.options.mediaStream
      const client = new sdk.WHIPClient()
      this.requireMethods(client, 'WHIPClient', [given ? 'initWithStream' : 'init', 'publish', 'unpublish'])
      this.client = client
      client.on('*', this.onSdkEvent)
      const config = this.config()
      try {
        // initWithStream is the SDK's way to publish an existing stream; `onGetUserMedia` would loop
        // forever (11-14) on a stream whose first track is video (it takes that for a bad gUM result).
        await (given ? client.initWithStream(config, given) : client.init(config))
      } catch (error) {
        throw this.initError(error)
      }
      if (given) {
        this.mediaStream = given
        this.attachPreview(given)
      }
      if (this.phase !== 'starting') {
        return
      }
      this.instrument(client, config)
      client.publish().then(noop, (error: unknown) => this.fail(this.failureError('publish', error)))
      return
    }
    const client = new sdk.WHEPClient()
    this.requireMethods(client, 'WHEPClient', [
      'init',
      'subscribe',
      'unsubscribe',
      ...(generation.name === 'classic' ? ['setView'] : []),
    ])
    this.client = client
    client.on('*', this.onSdkEvent)
    const config = this.config()
    try {
      await client.init(config)
    } catch (error) {
      throw this.initError(error)
    }
    if (this.phase !== 'starting') {
      return
    }
    generation.prepareSubscriber(client, { onRemoteStream: (stream) => this.noteRemoteStream(stream) })
    this.instrument(client, config)
    client.subscribe().then(noop, (error: unknown) => this.fail(this.failureError('subscribe', error)))
  }

  /** Refuses, before anything starts, an SDK build that lacks a method the driver calls. */
  private requireMethods(client: object, type: string, methods: readonly string[]): void {
    const missing = methods.filter(
      (method) => typeof (client as Record<string, unknown>)[method] !== 'function',
    )
    if (missing.length > 0) {
      throw new BlueGreenError(
        'DRIVER_UNAVAILABLE',
        `red5pro-webrtc-sdk ${this.deps.capabilities.build} has no ${missing.map((m) => `${type}.${m}()`).join(', ')}, ` +
          `which red5proDriver needs for ${this.what}; retrying will not help. Use a Red5 SDK build from 11 to 15 ` +
          '(docs/drivers-red5pro.md lists what each offers), or whipDriver().',
        this.context(),
      )
    }
  }

  /** The init config. The driver's keys win over `sdkConfig`; see docs/drivers-red5pro.md for each. */
  private config(): Red5proSdkConfig {
    const { address, deps } = this
    const params: Record<string, string | number | boolean> = {
      ...this.target.connectionParams,
      ...this.options.connectionParams,
    }
    const config: Red5proSdkConfig = {
      ...deps.sdkConfig,
      ...deps.generation.startConfig(this.kind, deps.capabilities),
      // A private copy: 11-14 keep their default in one module-level object and write into it.
      rtcConfiguration: freshRtcConfiguration(this.givenRtcConfiguration()),
      // `true` would stop the tracks of a stream the next (migrated) session still sends.
      clearMediaOnUnpublish: false,
    }
    if (address.mode === 'parts') {
      const { parts } = address
      // `ws`/`wss`: the one spelling both init() and initWithStream() map to http/https
      // (11-14's initWithStream turns `http` into https).
      config.protocol = parts.protocol === 'https' ? 'wss' : 'ws'
      config.host = parts.host
      config.port = parts.port
      config.app = parts.app
      config.streamName = parts.streamName
    } else {
      // 13+: the Stream Manager 2.0 proxy, as Red5's docs reach it: `endpoint` verbatim (no query: WHEP
      // appends `?requestId=` blindly) and the node group; the SDK follows the `Session-Host` it answers.
      config.endpoint = address.proxy.endpoint
      config.protocol = address.proxy.endpoint.startsWith('https:') ? 'wss' : 'ws'
      config.app = this.target.app
      config.streamName = this.target.streamName
      params.nodeGroup = address.nodeGroup
    }
    config.connectionParams = encodeConnectionParams(params)
    if (this.kind === 'subscribe') {
      // `subscriptionId` in 11-14, `requestId` in 15: the WHEP request id, fresh per attempt.
      config.subscriptionId = this.requestId
      config.requestId = this.requestId
    }
    return config
  }

  private givenRtcConfiguration(): RTCConfiguration | undefined {
    const given = this.options.rtcConfiguration ?? this.deps.sdkConfig.rtcConfiguration
    return typeof given === 'object' && given !== null ? (given as RTCConfiguration) : undefined
  }

  /**
   * Wraps the SDK's signalling helper on this instance only:
   * - checks that it signals where the driver told it (an SDK that ignored `endpoint` is refused);
   * - OPTIONS: the ICE servers the node advertises in `Link` headers are merged with the configured ones
   *   (11-14 and 15.0 replace the configured list with them; 15.2 ignores them when a list is configured);
   * - POST: remembers what it threw (its message tells the HTTP status) and which POST is in flight (an
   *   answer arriving after teardown leaves a resource to DELETE);
   * - DELETE: catches the one 11-14 fire and forget (a network failure there would be an unhandled
   *   rejection) so close() can wait for it.
   */
  private instrument(client: object, config: Red5proSdkConfig): void {
    const helper = signalingHelperOf(client)
    if (!helper) {
      this.deps.logger.debug(
        `${this.what}: no SDK signalling helper found; statuses, late DELETEs and Link ICE servers are left to the SDK`,
      )
      return
    }
    this.helper = helper
    this.checkSignalingUrl(helper)
    const getOptions = helper.getOptions
    const rtc = config.rtcConfiguration as RTCConfiguration
    const configured = rtc.iceServers ?? []
    if (typeof getOptions === 'function' && configured.length > 0) {
      helper.getOptions = async (...args: unknown[]) => {
        const merged = mergeIceServers(await getOptions.apply(helper, args), configured)
        // Every generation ends up with the merged list: 11 and 15.0 take `links`; 12-14 build the peer
        // connection from the configuration object they were given (this one, by reference), and 15.2
        // keeps it when its list is not empty.
        rtc.iceServers = merged.links
        return merged
      }
    }
    const postSDPOffer = helper.postSDPOffer
    if (typeof postSDPOffer === 'function') {
      helper.postSDPOffer = (...args: unknown[]) => {
        const posted = Promise.resolve(postSDPOffer.apply(helper, args))
        this.offerSettled = false
        this.offerInFlight = posted.then(
          () => void (this.offerSettled = true),
          () => void (this.offerSettled = true),
        )
        return posted.catch((failure: unknown) => {
          this.signalingFailure = failure
          return Promise.reject(failure)
        })
      }
    }
    const tearDown = helper.tearDown
    if (typeof tearDown === 'function') {
      helper.tearDown = (...args: unknown[]) => {
        this.deletedAfterOffer ||= this.offerSettled
        let pending: Promise<unknown>
        try {
          pending = Promise.resolve(tearDown.apply(helper, args))
        } catch (error) {
          pending = Promise.reject(error)
        }
        const settled = pending.then(noop, (error: unknown) =>
          this.deps.logger.warn(
            `${this.what}: the DELETE of the session resource failed; the node will expire it`,
            error,
          ),
        )
        this.deletes.push(settled)
        return settled
      }
    }
  }

  /** An SDK that does not use the `endpoint` it was given (12.x ignores the key) would signal elsewhere. */
  private checkSignalingUrl(helper: SdkSignalingHelper): void {
    const { address } = this
    const url = helper._url
    if (address.mode !== 'endpoint' || typeof url !== 'string' || url.startsWith(address.proxy.endpoint)) {
      return
    }
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5pro-webrtc-sdk ${this.deps.capabilities.build} ignored the \`endpoint\` option (it would signal to ${url}), ` +
        `so it cannot reach the Stream Manager 2.0 proxy for ${this.what}. Use Red5's SDK 13 or later, or whipDriver().`,
      this.context(),
    )
  }

  private handle(event: Red5proSdkEvent): void {
    const { type, data } = event
    switch (type) {
      case SDK_EVENT.localStream:
        if (isMediaStream(data)) {
          this.localStream = data
          this.mediaStream ??= data
          this.attachPreview(data)
        }
        return
      case SDK_EVENT.trackAdded: {
        const streams = (data as { streams?: unknown } | undefined)?.streams
        const first: unknown = Array.isArray(streams) ? streams[0] : undefined
        if (isMediaStream(first)) {
          this.noteRemoteStream(first)
        }
        return
      }
      case SDK_EVENT.remoteStream:
        if (isMediaStream(data)) {
          this.noteRemoteStream(data)
        }
        return
      case SDK_EVENT.publishStart:
      case SDK_EVENT.subscribeStart:
        this.succeedStart()
        return
      case SDK_EVENT.publishInvalidName:
        if (this.client) {
          this.deps.generation.onPublishRefused(this.client)
        }
        this.fail(this.failureError(type, this.signalingFailure))
        return
      case SDK_EVENT.connectFailure:
        // Only a start-up failure: after Publish.Start it reports a late trickle PATCH problem while
        // media flows; real ends come as *.Connection.Closed / *.Fail.
        if (this.phase === 'starting') {
          this.fail(this.failureError(type, this.signalingFailure ?? data))
        }
        return
      case SDK_EVENT.subscribeInvalidName:
      case SDK_EVENT.subscribeUnpublish:
      case SDK_EVENT.publishFail:
      case SDK_EVENT.subscribeFail:
      case SDK_EVENT.publisherClosed:
      case SDK_EVENT.subscriberClosed:
        this.fail(
          this.phase === 'starting' ? this.failureError(type, this.signalingFailure) : this.endErrorFor(type),
        )
        return
      default:
        return
    }
  }

  private succeedStart(): void {
    if (this.phase !== 'starting') {
      return
    }
    this.phase = 'live'
    this.wasLive = true
    this.cleanupStart()
    if (this.kind === 'subscribe' && this.mediaStream === undefined) {
      const remote = this.client?.getMediaStream?.()
      if (isMediaStream(remote)) {
        this.noteRemoteStream(remote)
      }
    }
    this.watchPeer()
    this.deps.logger.debug(`${this.what}: live (request ${this.requestId})`)
    this.settle?.resolve(this)
  }

  /**
   * Watches the SDK's peer connection (state and getStats()) so a dead connection ends the session in
   * seconds on every generation: the SDK's own signals take 11-18 s, and a 15.x viewer gets none.
   */
  private watchPeer(): void {
    let pc: RTCPeerConnection | undefined
    try {
      pc = this.client?.getPeerConnection?.()
    } catch {
      pc = undefined
    }
    if (pc === undefined || pc === null || typeof pc.getStats !== 'function') {
      this.deps.logger.info(
        `${this.what}: red5pro-webrtc-sdk ${this.deps.capabilities.build} gives no peer connection; only its own (slow) ` +
          'signals will tell a dead connection',
      )
      return
    }
    const watch = new LivenessWatch(
      pc,
      { clock: this.deps.clock, ...this.deps.liveness },
      (verdict) =>
        this.fail(
          new BlueGreenError(
            'MEDIA_FAILED',
            `${this.subject} ended: ${verdict.detail}. Reconnect to continue.`,
            this.context(),
          ),
        ),
      this.deps.logger,
      this.what,
      passOn(this.stallListeners, this.disconnectedListeners),
    )
    this.liveness = watch
    const onState = (): void => watch.check()
    pc.addEventListener('connectionstatechange', onState)
    pc.addEventListener('iceconnectionstatechange', onState)
    const watched = pc
    this.unwatchPeer = () => {
      watch.stop()
      watched.removeEventListener('connectionstatechange', onState)
      watched.removeEventListener('iceconnectionstatechange', onState)
    }
    watch.start()
  }

  private failStart(error: BlueGreenError): void {
    if (this.phase !== 'starting') {
      return
    }
    this.phase = 'failed'
    this.cleanupStart()
    this.deps.logger.debug(`${this.what}: start failed (${error.code})`)
    this.settle?.reject(error)
    void this.teardown()
  }

  private fail(error: BlueGreenError): void {
    if (this.phase === 'starting') {
      this.failStart(error)
    } else if (this.phase === 'live') {
      this.end(error)
    }
  }

  /** An unexpected end after start: release the server side, then tell the listeners once. */
  private end(error: BlueGreenError): void {
    this.phase = 'ended'
    this.endError = error
    this.unwatchPeer()
    this.deps.logger.info(`${this.what}: ended (${error.message})`)
    if (this.client) {
      // A dropped WHIPClient sends no DELETE (the node would keep the stream name taken), and a 15.x
      // WHEPClient whose node froze leaves its peer connection open: release both now.
      this.release(this.client)
    }
    for (const listener of this.endListeners.splice(0)) {
      this.notifyEnd(listener, error)
    }
  }

  private notifyEnd(listener: (error?: Error) => void, error: BlueGreenError): void {
    try {
      listener(error)
    } catch (thrown) {
      this.deps.logger.error(`${this.what}: an onEnd listener threw`, thrown)
    }
  }

  private release(client: Red5proWhipClient | Red5proWhepClient): void {
    if (this.released) {
      return
    }
    this.released = true
    // 15.2's publisher stats monitor would keep polling the closed connection.
    const unmonitor = (client as { unmonitorStats?: unknown }).unmonitorStats
    if (typeof unmonitor === 'function') {
      try {
        unmonitor.call(client)
      } catch (error) {
        this.deps.logger.debug(`${this.what}: the SDK refused to stop its stats monitor`, error)
      }
    }
    try {
      swallow(
        this.kind === 'publish'
          ? (client as Red5proWhipClient).unpublish()
          : (client as Red5proWhepClient).unsubscribe(),
      )
    } catch (error) {
      // WHEPClient.unsubscribe() throws before subscribe() ran (nothing is open then).
      this.deps.logger.debug(`${this.what}: the SDK refused to stop`, error)
    }
  }

  private teardown(): Promise<void> {
    this.teardownPromise ??= this.runTeardown().catch((error: unknown) =>
      this.deps.logger.error(`${this.what}: teardown failed`, error),
    )
    return this.teardownPromise
  }

  private async runTeardown(): Promise<void> {
    const client = this.client
    if (!client) {
      return
    }
    const deadline = this.deps.clock.now() + this.deps.teardownTimeoutMs
    this.unwatchPeer()
    this.release(client)
    await this.until(deadline, Promise.all(this.deletes))
    const helper = this.helper
    if (this.offerInFlight && typeof helper?.tearDown === 'function') {
      // A POST answered after the release created a resource only the helper knows: DELETE it too
      // (a no-op when there is none), unless the release already did, after the answer.
      await this.until(deadline, this.offerInFlight)
      if (!this.deletedAfterOffer) {
        swallow(helper.tearDown())
      }
      await this.until(deadline, Promise.all(this.deletes))
    }
    client.off('*', this.onSdkEvent)
    if (this.kind === 'publish' && !this.options.mediaStream && !this.wasLive) {
      // Media the SDK captured for a session that never went live has no other owner.
      stopTracks(this.localStream)
      this.deps.generation.pendingLocalMedia(client)?.then(stopTracks, noop)
    }
    const element = this.options.mediaElement
    if (this.kind === 'subscribe' && element && this.mediaStream && element.srcObject === this.mediaStream) {
      element.srcObject = null
    }
  }

  /** Waits for `work`, but not past `deadline` (teardown must finish even if the node hangs). */
  private until(deadline: number, work: Promise<unknown>): Promise<void> {
    const { clock } = this.deps
    const remaining = deadline - clock.now()
    if (remaining <= 0) {
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(() => {
        this.deps.logger.warn(
          `${this.what}: teardown gave up waiting for the node after ${this.deps.teardownTimeoutMs} ms`,
        )
        resolve()
      }, remaining)
      const done = (): void => {
        clock.clearTimeout(timer)
        resolve()
      }
      work.then(done, done)
    })
  }

  private attachPreview(stream: MediaStream): void {
    const element = this.options.mediaElement
    if (element) {
      attach(element, stream, this.deps.logger)
    }
  }

  private noteRemoteStream(stream: MediaStream): void {
    this.mediaStream = stream
    const element = this.options.mediaElement
    if (element && this.phase !== 'closed' && this.phase !== 'failed') {
      attach(element, stream, this.deps.logger)
    }
  }

  // --- Errors ------------------------------------------------------------------------------------

  private get protocolName(): string {
    return this.kind === 'publish' ? 'WHIP' : 'WHEP'
  }

  private get subject(): string {
    const verb = this.kind === 'publish' ? 'Publishing' : 'Subscribing to'
    return `${verb} "${this.target.streamName}" on environment "${this.target.environment}" (${this.target.endpoint})`
  }

  private context(status?: number): {
    url: string
    environment: string
    streamName: string
    status?: number
  } {
    const context = {
      url: this.target.endpoint,
      environment: this.target.environment,
      streamName: this.target.streamName,
    }
    return status === undefined ? context : { ...context, status }
  }

  /** The error for a failure before media flowed; `source` is the SDK event or the call that failed. */
  private failureError(source: string, failure: unknown): BlueGreenError {
    if (failure instanceof BlueGreenError) {
      return failure
    }
    const detail = sdkFailureText(failure) ?? sdkFailureText(this.signalingFailure)
    const status =
      statusOfSdkFailure(this.kind, this.signalingFailure) ?? statusOfSdkFailure(this.kind, failure)
    const cause = failure ?? this.signalingFailure
    const http = status === undefined ? this.protocolName : `${this.protocolName} ${status}`
    if (
      this.kind === 'subscribe' &&
      (source === SDK_EVENT.subscribeInvalidName ||
        source === SDK_EVENT.subscribeUnpublish ||
        status === 404 ||
        status === 409 ||
        isStreamMissingText(sdkFailureText(failure)))
    ) {
      return new BlueGreenError(
        'STREAM_NOT_FOUND',
        `${this.subject} failed: the node does not carry that stream (${http}). Retry once it is published there.`,
        { ...this.context(status), cause },
      )
    }
    if (status === 401 || status === 403 || status === 406) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.subject} was refused as not authorised (${http}: ${detail ?? 'rejected'}). Check connectionParams ` +
          '(username, password, token); retrying with the same ones will not help.',
        { ...this.context(status), cause },
      )
    }
    if (
      this.kind === 'publish' &&
      (source === SDK_EVENT.publishInvalidName || status === 409 || status === 404)
    ) {
      const reason =
        status === 404
          ? 'the node found no scope for this app and stream name (WHIP 404). Check the app and stream names.'
          : `the stream name is already being published there (${http}). Stop the other publisher, or retry ` +
            'once the node has released the name.'
      return new BlueGreenError('MEDIA_FAILED', `${this.subject} was refused: ${reason}`, {
        ...this.context(status),
        cause,
      })
    }
    return new BlueGreenError(
      'MEDIA_FAILED',
      `${this.subject} failed before media flowed (${source}${detail ? `: ${detail}` : ''}${status ? `, ${http}` : ''}). ` +
        'The node or the network refused the session; retrying may help.',
      { ...this.context(status), cause },
    )
  }

  /** The error given to onEnd listeners for an end after start. */
  private endErrorFor(event: string): BlueGreenError {
    if (event === SDK_EVENT.subscribeUnpublish) {
      return new BlueGreenError(
        'STREAM_NOT_FOUND',
        `${this.subject} ended: the publisher stopped (${event}). Subscribe again once it is published.`,
        this.context(),
      )
    }
    return new BlueGreenError(
      'MEDIA_FAILED',
      `${this.subject} ended: the connection to the node was lost (${event}). Reconnect to continue.`,
      this.context(),
    )
  }

  private initError(error: unknown): BlueGreenError {
    const client = this.kind === 'publish' ? 'WHIPClient' : 'WHEPClient'
    return new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5pro-webrtc-sdk could not initialise a ${client} for ${this.what}: ${sdkFailureText(error) ?? 'unknown reason'}. ` +
        'It needs a browser with RTCPeerConnection, RTCSessionDescription and RTCIceCandidate present when the SDK ' +
        'module first loaded; use whipDriver() elsewhere.',
      { ...this.context(), cause: error },
    )
  }

  private timeoutError(): BlueGreenError {
    return new BlueGreenError(
      'TIMEOUT',
      `${this.subject} did not start within ${this.deps.startTimeoutMs} ms (no ${
        this.kind === 'publish' ? 'Publish.Start' : 'Subscribe.Start'
      } from the SDK: the red5pro data channel never opened). Check that the node is reachable for media ` +
        '(UDP/TURN), or raise startTimeoutMs.',
      this.context(),
    )
  }
}
