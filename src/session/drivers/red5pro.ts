/**
 * `red5proDriver`: the driver that publishes and subscribes with Red5 Pro's own browser SDK
 * (`red5pro-webrtc-sdk` 11 to 15.2, WHIPClient / WHEPClient), loaded with `import()` on the first session.
 * It is browser-only; in Node use `whipDriver` with werift. docs/drivers-red5pro.md lists the SDK's
 * generations, their traps and how each is neutralised.
 */
import type { Clock, Logger } from '../../environment'
import { scopedLogger, systemClock } from '../../environment'
import { abortedError, BlueGreenError } from '../../errors'
import type { SessionKind } from '../../types'
import type {
  Driver,
  DriverPublishOptions,
  DriverSession,
  DriverSubscribeOptions,
  SignalingTarget,
} from './Driver'
import type { Red5proCapabilities } from './red5pro/generations'
import { capabilitiesOf, generationFor, reportLoadedSdk } from './red5pro/generations'
import type { Red5proSdk } from './red5pro/sdk'
import { browserMissing, findRed5proSdk, isRed5proSdkSource, loadRed5proSdk } from './red5pro/sdk'
import type { Red5proSdkSource } from './red5pro/sdk'
import { Red5proSession } from './red5pro/session'
import type { Red5proAddress } from './red5pro/session'
import { canRed5proSdkReach, parseProxyEndpoint, parseRed5proEndpoint } from './red5pro/target'

export { canRed5proSdkReach }
export type {
  Red5proSdk,
  Red5proSdkConfig,
  Red5proSdkEmitter,
  Red5proSdkEvent,
  Red5proSdkEventHandler,
  Red5proSdkPlaybackView,
  Red5proSdkSource,
  Red5proWhepClient,
  Red5proWhipClient,
} from './red5pro/sdk'

/** Options of {@link red5proDriver}. All optional. */
export interface Red5proDriverOptions {
  /**
   * Red5's SDK, any build from 11 to 15.2: a loader run on the first session (lazy: the SDK lands in its
   * own chunk), e.g. `() => import('red5pro-webrtc-sdk')`, or the SDK object (`window.red5prosdk` from
   * Red5's script tag, or a module you imported). It needs `WHIPClient` and `WHEPClient`; what else it
   * offers decides how the driver drives it (docs/drivers-red5pro.md).
   * @default `window.red5prosdk` when Red5's script is on the page; otherwise sessions reject with
   * `DRIVER_UNAVAILABLE` saying how to give it
   */
  readonly sdk?: Red5proSdkSource | undefined
  /** Where log lines go (as `[red5pro-bluegreen:driver:red5pro] ...`). @default no logging */
  readonly logger?: Partial<Logger> | undefined
  /** Timers for the start-up and teardown bounds. @default the system clock */
  readonly clock?: Clock | undefined
  /** Randomness for WHEP `requestId`s where `crypto.randomUUID` is missing. @default Math.random */
  readonly random?: (() => number) | undefined
  /**
   * How long publish/subscribe may take until media flows (`Publish.Start` / `Subscribe.Start`), camera
   * permission prompt included; then it rejects with `TIMEOUT`. The SDK itself never gives up. `0`
   * disables the bound (the `signal` still applies).
   * @default 30000
   */
  readonly startTimeoutMs?: number | undefined
  /** How long close() waits for the node to answer the DELETE before it resolves anyway. @default 5000 */
  readonly teardownTimeoutMs?: number | undefined
  /** How often the SDK's peer connection statistics are read to notice a dead connection. @default 1000 */
  readonly livenessIntervalMs?: number | undefined
  /** Nothing at all received (no RTP, RTCP or STUN) this long counts as disconnected. @default 3000 */
  readonly inactivityTimeoutMs?: number | undefined
  /** Disconnected (by ICE or by silence) this long ends the session. @default 2000 */
  readonly disconnectGraceMs?: number | undefined
  /**
   * Extra init properties for WHIPClient/WHEPClient (`bandwidth`, `mediaConstraints`, `forceVP8`,
   * `videoEncoding`, ...; see the SDK's PUBLISHER_README/SUBSCRIBER_README). The driver's own keys
   * (`protocol`, `host`, `port`, `app`, `streamName`, `endpoint`, `subscriptionId`, `requestId`,
   * `trickleIce`, `enableChannelSignaling`, `includeDataChannel`, `connectionParams`, `mediaElementId`,
   * `clearMediaOnUnpublish`, and on 15.2 the publisher's `stats: null`) always win; `rtcConfiguration`
   * here is used when the session passes none.
   * @default {}
   */
  readonly sdkConfig?: Readonly<Record<string, unknown>> | undefined
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const checked = nonNegative(name, value, fallback)
  if (checked === 0) {
    throw new BlueGreenError('INVALID_ARGUMENT', `red5proDriver({ ${name} }) must be a number > 0, got 0.`)
  }
  return checked
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `red5proDriver({ ${name} }) must be a number >= 0 (0 disables the bound), got ${String(value)}.`,
    )
  }
  return value
}

/** Rejects with ABORTED as soon as `signal` aborts, else settles like `work`. */
function abortable<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(what, signal.reason))
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

/** The URL's shape, before any SDK is loaded: every generation takes `parts`; `proxy` needs 13+. */
function shapeOf(kind: SessionKind, target: SignalingTarget) {
  const context = { url: target.endpoint, environment: target.environment, streamName: target.streamName }
  const parts = parseRed5proEndpoint(target.endpoint)
  const proxy = parts ? undefined : parseProxyEndpoint(target.endpoint)
  const protocolKind = parts?.protocolKind ?? proxy?.protocolKind
  if (protocolKind === undefined) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5proDriver cannot signal to ${target.endpoint}: red5pro-webrtc-sdk builds ` +
        '{protocol}://{host}:{port}/{app}/whip|whep/endpoint/{stream} URLs without a query, or (13+) takes a Stream ' +
        'Manager 2.0 proxy URL /as/v1/proxy/whip|whep/{app}/{stream}. Use whipDriver() for this target.',
      context,
    )
  }
  const expected = kind === 'publish' ? 'whip' : 'whep'
  if (protocolKind !== expected) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `red5proDriver.${kind}() was given a ${protocolKind.toUpperCase()} endpoint (${target.endpoint}); ` +
        `${kind} needs a ${expected.toUpperCase()} URL.`,
      context,
    )
  }
  return { parts, proxy, context }
}

/** How the loaded SDK is told where to signal, or why it cannot be. */
function addressFor(
  shape: ReturnType<typeof shapeOf>,
  target: SignalingTarget,
  capabilities: Red5proCapabilities,
): Red5proAddress {
  if (shape.parts) {
    return { mode: 'parts', parts: shape.parts }
  }
  if (!capabilities.endpoint || !shape.proxy) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5pro-webrtc-sdk ${capabilities.build} cannot reach the Stream Manager 2.0 proxy (${target.endpoint}): ` +
        'the `endpoint` init option it needs arrived in 13.0. Upgrade red5pro-webrtc-sdk, or use whipDriver() ' +
        "(driver: 'auto' does so by itself).",
      shape.context,
    )
  }
  return { mode: 'endpoint', proxy: shape.proxy, nodeGroup: target.nodeGroup ?? 'default' }
}

/**
 * Creates the driver that wraps the WHIPClient / WHEPClient of `red5pro-webrtc-sdk`, any generation from
 * 11 to 15.2 (it adapts to what the loaded SDK offers, never to its version string). The SDK is imported
 * on the first publish/subscribe (once per driver), never at import time; pass `sdk` to use another
 * build. Browser only: in Node, publish/subscribe reject with `DRIVER_UNAVAILABLE` without loading it.
 * Targets: Stream Manager 1.x proxy and node URLs with every generation; the Stream Manager 2.0 proxy
 * with 13+ (`endpoint` + `connectionParams.nodeGroup`, the SDK following `Session-Host`).
 * A dead connection is noticed from the SDK's peer connection (state and statistics) within
 * `inactivityTimeoutMs + disconnectGraceMs` (about 5 s), on every generation.
 *
 * publish/subscribe resolve when the SDK reports `Publish.Start` / `Subscribe.Start` (the `red5pro` data
 * channel is open, so media flows), and reject with:
 * - `STREAM_NOT_FOUND`: subscribe to a stream the node does not carry (WHEP 404/409);
 * - `MEDIA_FAILED`: refused or failed start-up; `status` 409 (WHIP: name already publishing), 404,
 *   401/406 (not authorised: check connectionParams, do not retry as is) when the SDK lets it be known;
 * - `DRIVER_UNAVAILABLE`: no browser, SDK missing, an SDK build lacking a method the driver needs, or a
 *   target the SDK cannot express (see {@link canRed5proSdkReach}); retrying does not help;
 * - `ABORTED` (the signal), `TIMEOUT` (`startTimeoutMs`), `INVALID_ARGUMENT` (WHEP URL for publish...).
 *
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when `options` are malformed (bad `sdk`, negative timeouts).
 * @example
 * ```ts
 * const client = createClient({ discovery: 'https://cdn.example.com/discovery.json', driver: red5proDriver() })
 * ```
 */
export function red5proDriver(options: Red5proDriverOptions = {}): Driver {
  if (options.sdk !== undefined && !isRed5proSdkSource(options.sdk)) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      'red5proDriver({ sdk }) needs the SDK object (with the WHIPClient and WHEPClient classes of red5pro-webrtc-sdk ' +
        "11 to 15) or a function that loads it, such as () => import('red5pro-webrtc-sdk').",
    )
  }
  const startTimeoutMs = nonNegative('startTimeoutMs', options.startTimeoutMs, 30_000)
  const teardownTimeoutMs = nonNegative('teardownTimeoutMs', options.teardownTimeoutMs, 5_000)
  const liveness = {
    intervalMs: positive('livenessIntervalMs', options.livenessIntervalMs, 1_000),
    inactivityMs: positive('inactivityTimeoutMs', options.inactivityTimeoutMs, 3_000),
    graceMs: nonNegative('disconnectGraceMs', options.disconnectGraceMs, 2_000),
  }
  const logger = scopedLogger(options.logger, 'driver:red5pro')
  const clock = options.clock ?? systemClock()
  const random = options.random ?? Math.random
  const sdkConfig = options.sdkConfig ?? {}
  let loading: Promise<Red5proSdk> | undefined
  const known = new WeakMap<Red5proSdk, Red5proCapabilities>()
  const capabilities = (sdk: Red5proSdk): Red5proCapabilities => {
    let found = known.get(sdk)
    if (!found) {
      found = capabilitiesOf(sdk)
      known.set(sdk, found)
      reportLoadedSdk(sdk, found, logger)
    }
    return found
  }

  const loadSdk = (): Promise<Red5proSdk> => {
    // A given SDK is trusted to run here (tests pass stand-ins); Red5's own need a browser.
    const missing = options.sdk === undefined ? browserMissing() : undefined
    if (missing !== undefined) {
      return Promise.reject(
        new BlueGreenError(
          'DRIVER_UNAVAILABLE',
          `red5proDriver needs a browser: ${missing}, and red5pro-webrtc-sdk 11-14 read window.RTCPeerConnection ` +
            'when they load. In Node, use whipDriver() with a Node WebRTC stack such as werift.',
        ),
      )
    }
    // Cached per driver; a failed load (e.g. a chunk that did not arrive) is retried on the next session.
    loading ??= loadRed5proSdk(options.sdk).catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }

  const start = async (
    kind: SessionKind,
    target: SignalingTarget,
    startOptions: DriverPublishOptions | DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> => {
    const what = `red5proDriver.${kind}("${target.streamName}")`
    if (signal.aborted) {
      throw abortedError(what, signal.reason)
    }
    const shape = shapeOf(kind, target)
    const sdk = await abortable(loadSdk(), signal, what)
    const found = capabilities(sdk)
    const session = new Red5proSession(kind, target, addressFor(shape, target, found), {
      sdk,
      capabilities: found,
      generation: generationFor(found),
      liveness,
      clock,
      logger,
      random,
      startTimeoutMs,
      teardownTimeoutMs,
      sdkConfig,
    })
    return session.start(startOptions, signal)
  }

  return {
    name: 'red5pro',
    publish: (target, publishOptions, signal) => start('publish', target, publishOptions, signal),
    subscribe: (target, subscribeOptions, signal) => start('subscribe', target, subscribeOptions, signal),
  }
}

/** What `driver: 'auto'` needs: the driver over an already imported SDK, and which endpoints it reaches. @internal */
export interface AutoRed5pro {
  readonly driver: Driver
  /** The build, for logs. */
  readonly build: string
  canReach(endpoint: string): boolean
}

/**
 * For `driver: 'auto'`: the Red5 SDK driver over `module` (what `import('red5pro-webrtc-sdk')` gave), or
 * `undefined` when the module has no WHIPClient/WHEPClient (e.g. a bundler alias mapped it to an empty
 * module), so that whipDriver is used instead. @internal
 */
export function red5proForAuto(
  module: unknown,
  options: Omit<Red5proDriverOptions, 'sdk'>,
): AutoRed5pro | undefined {
  const sdk = findRed5proSdk(module)
  if (!sdk) {
    return undefined
  }
  const found = capabilitiesOf(sdk)
  return {
    driver: red5proDriver({ ...options, sdk }),
    build: found.build,
    canReach: (endpoint) => canRed5proSdkReach(endpoint, { endpointOption: found.endpoint }),
  }
}
