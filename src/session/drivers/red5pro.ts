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
import type { Red5proRuntime, Red5proRuntimeSettings } from './red5pro/driver'
import { RED5PRO_START_TIMEOUT_MS, RED5PRO_TEARDOWN_TIMEOUT_MS } from './red5pro/defaults'
import type { Red5proSdkSource } from './red5pro/sdk'
import { canRed5proSdkReach } from './red5pro/target'

export { canRed5proSdkReach }
export type {
  Red5proClientClass,
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
  /** How often the SDK's peer connection statistics are read. @default 250 */
  readonly livenessIntervalMs?: number | undefined
  /**
   * Nothing at all received (no RTP, RTCP or STUN) this long counts as disconnected.
   * For a broadcaster: no RTCP feedback from a node whose feedback has come steadily (congestion
   * feedback, transport-wide or REMB, every 50-200 ms), else at least 1.5 s between the node's receiver reports.
   * @default 750
   */
  readonly inactivityTimeoutMs?: number | undefined
  /** Disconnected (by ICE or by silence) this long ends the session. @default 250 */
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

/**
 * Creates the driver that wraps the WHIPClient / WHEPClient of `red5pro-webrtc-sdk`, any generation from
 * 11 to 15.2 (it adapts to what the loaded SDK offers, never to its version string). The SDK is imported
 * on the first publish/subscribe (once per driver), never at import time; pass `sdk` to use another
 * build. Browser only: in Node, publish/subscribe reject with `DRIVER_UNAVAILABLE` without loading it.
 * Targets: Stream Manager 1.x proxy and node URLs with every generation; the Stream Manager 2.0 proxy
 * with 13+ (`endpoint` + `connectionParams.nodeGroup`, the SDK following `Session-Host`).
 * A dead connection is noticed from the SDK's peer connection (state and statistics) within
 * `inactivityTimeoutMs + disconnectGraceMs` (about 1 s for a viewer, 1.75 s for a broadcaster), on every
 * generation.
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
  const sdk = options.sdk as { WHIPClient?: unknown; WHEPClient?: unknown } | undefined
  if (
    sdk !== undefined &&
    typeof sdk !== 'function' &&
    (typeof sdk !== 'object' ||
      sdk === null ||
      typeof sdk.WHIPClient !== 'function' ||
      typeof sdk.WHEPClient !== 'function')
  ) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      'red5proDriver({ sdk }) needs the SDK object (with the WHIPClient and WHEPClient classes of red5pro-webrtc-sdk ' +
        "11 to 15) or a function that loads it, such as () => import('red5pro-webrtc-sdk').",
    )
  }
  const startTimeoutMs = nonNegative('startTimeoutMs', options.startTimeoutMs, RED5PRO_START_TIMEOUT_MS)
  const teardownTimeoutMs = nonNegative(
    'teardownTimeoutMs',
    options.teardownTimeoutMs,
    RED5PRO_TEARDOWN_TIMEOUT_MS,
  )
  // What the options set; the rest are the session kind's defaults (liveness.ts).
  const liveness = {
    ...(options.livenessIntervalMs === undefined
      ? {}
      : { intervalMs: positive('livenessIntervalMs', options.livenessIntervalMs, 1_000) }),
    ...(options.inactivityTimeoutMs === undefined
      ? {}
      : { inactivityMs: positive('inactivityTimeoutMs', options.inactivityTimeoutMs, 3_000) }),
    ...(options.disconnectGraceMs === undefined
      ? {}
      : { graceMs: nonNegative('disconnectGraceMs', options.disconnectGraceMs, 2_000) }),
  }
  const settings: Red5proRuntimeSettings = {
    sdk: options.sdk,
    startTimeoutMs,
    teardownTimeoutMs,
    liveness,
    logger: scopedLogger(options.logger, 'driver:red5pro'),
    clock: options.clock ?? systemClock(),
    random: options.random ?? Math.random,
    sdkConfig: options.sdkConfig ?? {},
  }
  // The SDK handling and the session are loaded with the first publish/subscribe, so an app that only
  // creates this driver (or none) loads none of it up front. Cached per driver; retried after a failure.
  let runtime: Promise<Red5proRuntime> | undefined
  const start = async (
    kind: SessionKind,
    target: SignalingTarget,
    startOptions: DriverPublishOptions | DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> => {
    if (signal.aborted) {
      throw abortedError(`red5proDriver.${kind}("${target.streamName}")`, signal.reason)
    }
    runtime ??= import('./red5pro/driver').then(
      (module) => module.createRed5proRuntime(settings),
      (error: unknown) => {
        runtime = undefined
        throw error
      },
    )
    return (await runtime).start(kind, target, startOptions, signal)
  }

  return {
    name: 'red5pro',
    publish: (target, publishOptions, signal) => start('publish', target, publishOptions, signal),
    subscribe: (target, subscribeOptions, signal) => start('subscribe', target, subscribeOptions, signal),
  }
}
