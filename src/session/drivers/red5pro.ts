/**
 * `red5proDriver`: the driver that publishes and subscribes with Red5 Pro's own browser SDK
 * (`red5pro-webrtc-sdk` 11, WHIPClient / WHEPClient), loaded with `import()` on the first session.
 * It is browser-only; in Node use `whipDriver` with werift. docs/drivers-red5pro.md lists the SDK's
 * traps and how each is neutralised.
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
import type { Red5proSdk } from './red5pro/sdk'
import { browserMissing, importRed5proSdk, isRed5proSdk } from './red5pro/sdk'
import { Red5proSession } from './red5pro/session'
import { parseRed5proEndpoint } from './red5pro/target'
import type { Red5proEndpointParts } from './red5pro/target'

export { canRed5proSdkReach } from './red5pro/target'
export type {
  Red5proSdk,
  Red5proSdkConfig,
  Red5proSdkEmitter,
  Red5proSdkEvent,
  Red5proSdkEventHandler,
  Red5proSdkPlaybackView,
  Red5proWhepClient,
  Red5proWhipClient,
} from './red5pro/sdk'

/** Options of {@link red5proDriver}. All optional. */
export interface Red5proDriverOptions {
  /**
   * An SDK object to use instead of importing `red5pro-webrtc-sdk` (e.g. a newer Red5 build you ship,
   * or `window.red5prosdk` from a script tag). Needs `WHIPClient` and `WHEPClient`.
   * @default the `red5pro-webrtc-sdk` package, imported on the first publish/subscribe
   */
  readonly sdk?: Red5proSdk | undefined
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
  /**
   * Extra init properties for WHIPClient/WHEPClient (`bandwidth`, `mediaConstraints`, `forceVP8`,
   * `videoEncoding`, ...; see the SDK's PUBLISHER_README/SUBSCRIBER_README). The driver's own keys
   * (`protocol`, `host`, `port`, `app`, `streamName`, `subscriptionId`, `trickleIce`,
   * `enableChannelSignaling`, `connectionParams`, `mediaElementId`, `clearMediaOnUnpublish`) always win;
   * `rtcConfiguration` here is used when the session passes none.
   * @default {}
   */
  readonly sdkConfig?: Readonly<Record<string, unknown>> | undefined
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

function endpointParts(kind: SessionKind, target: SignalingTarget): Red5proEndpointParts {
  const parts = parseRed5proEndpoint(target.endpoint)
  const context = { url: target.endpoint, environment: target.environment, streamName: target.streamName }
  if (!parts) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5proDriver cannot signal to ${target.endpoint}: red5pro-webrtc-sdk 11 only builds ` +
        '{protocol}://{host}:{port}/{app}/whip|whep/endpoint/{stream} URLs without a query (a Stream Manager ' +
        '2.0 proxy URL such as /as/v1/proxy/... cannot be expressed). Use whipDriver() for this target.',
      context,
    )
  }
  const expected = kind === 'publish' ? 'whip' : 'whep'
  if (parts.protocolKind !== expected) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `red5proDriver.${kind}() was given a ${parts.protocolKind.toUpperCase()} endpoint (${target.endpoint}); ` +
        `${kind} needs a /${expected}/endpoint/ URL.`,
      context,
    )
  }
  return parts
}

/**
 * Creates the driver that wraps `red5pro-webrtc-sdk` 11's WHIPClient / WHEPClient. The SDK is imported
 * on the first publish/subscribe (once per driver), never at import time; pass `sdk` to use another
 * build. Browser only: in Node, publish/subscribe reject with `DRIVER_UNAVAILABLE` without loading it.
 *
 * publish/subscribe resolve when the SDK reports `Publish.Start` / `Subscribe.Start` (the `red5pro` data
 * channel is open, so media flows), and reject with:
 * - `STREAM_NOT_FOUND`: subscribe to a stream the node does not carry (WHEP 404/409);
 * - `MEDIA_FAILED`: refused or failed start-up; `status` 409 (WHIP: name already publishing), 404,
 *   401/406 (not authorised: check connectionParams, do not retry as is) when the SDK lets it be known;
 * - `DRIVER_UNAVAILABLE`: no browser, SDK missing, or a target the SDK cannot express (see
 *   {@link canRed5proSdkReach});
 * - `ABORTED` (the signal), `TIMEOUT` (`startTimeoutMs`), `INVALID_ARGUMENT` (WHEP URL for publish...).
 *
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when `options` are malformed (bad `sdk`, negative timeouts).
 * @example
 * ```ts
 * const client = createClient({ discovery: 'https://cdn.example.com/discovery.json', driver: red5proDriver() })
 * ```
 */
export function red5proDriver(options: Red5proDriverOptions = {}): Driver {
  if (options.sdk !== undefined && !isRed5proSdk(options.sdk)) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      'red5proDriver({ sdk }) needs an object with the WHIPClient and WHEPClient classes of red5pro-webrtc-sdk 11+.',
    )
  }
  const startTimeoutMs = nonNegative('startTimeoutMs', options.startTimeoutMs, 30_000)
  const teardownTimeoutMs = nonNegative('teardownTimeoutMs', options.teardownTimeoutMs, 5_000)
  const logger = scopedLogger(options.logger, 'driver:red5pro')
  const clock = options.clock ?? systemClock()
  const random = options.random ?? Math.random
  const sdkConfig = options.sdkConfig ?? {}
  let loading: Promise<Red5proSdk> | undefined

  const loadSdk = (): Promise<Red5proSdk> => {
    if (options.sdk !== undefined) {
      return Promise.resolve(options.sdk)
    }
    const missing = browserMissing()
    if (missing !== undefined) {
      return Promise.reject(
        new BlueGreenError(
          'DRIVER_UNAVAILABLE',
          `red5proDriver needs a browser: ${missing}, and red5pro-webrtc-sdk reads window.RTCPeerConnection ` +
            'when it loads. In Node, use whipDriver() with a Node WebRTC stack such as werift.',
        ),
      )
    }
    // Cached per driver, not per module; a failed import (e.g. a chunk that did not load) is retried.
    loading ??= importRed5proSdk().catch((error: unknown) => {
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
    const parts = endpointParts(kind, target)
    const sdk = await abortable(loadSdk(), signal, what)
    const session = new Red5proSession(kind, target, parts, {
      sdk,
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
