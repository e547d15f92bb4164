/**
 * What `red5proDriver` loads with its first session: the SDK (from the source given, or Red5's script
 * tag), what that build can do, where it is told to signal, and one `Red5proSession` per publish or
 * subscribe. Kept out of the package's entry so that creating a client or a driver loads none of it.
 * @internal
 */
import { scopedLogger, systemClock, type Clock, type Logger } from '../../../environment'
import { abortedError, BlueGreenError } from '../../../errors'
import type { SessionKind } from '../../../types'
import type {
  Driver,
  DriverPublishOptions,
  DriverSession,
  DriverSubscribeOptions,
  SignalingTarget,
} from '../Driver'
import type { Red5proDriverOptions } from '../red5pro'
import { livenessFor } from '../liveness'
import type { LivenessSettings } from '../liveness'
import { RED5PRO_START_TIMEOUT_MS, RED5PRO_TEARDOWN_TIMEOUT_MS } from './defaults'
import type { Red5proCapabilities } from './generations'
import { capabilitiesOf, generationFor, reportLoadedSdk } from './generations'
import type { Red5proSdk, Red5proSdkSource } from './sdk'
import { browserMissing, findRed5proSdk, loadRed5proSdk } from './sdk'
import { Red5proSession } from './session'
import type { Red5proAddress } from './session'
import { canRed5proSdkReach, parseProxyEndpoint, parseRed5proEndpoint } from './target'

/** The driver's options, validated, with defaults filled in. @internal */
export interface Red5proRuntimeSettings {
  readonly sdk: Red5proSdkSource | undefined
  readonly startTimeoutMs: number
  readonly teardownTimeoutMs: number
  /** What the options set; the rest are the session kind's defaults. */
  readonly liveness: Partial<Omit<LivenessSettings, 'clock'>>
  readonly logger: Logger
  readonly clock: Clock
  readonly random: () => number
  readonly sdkConfig: Readonly<Record<string, unknown>>
}

/** Starts sessions for one driver. @internal */
export interface Red5proRuntime {
  start(
    kind: SessionKind,
    target: SignalingTarget,
    options: DriverPublishOptions | DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession>
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

/** The runtime of one `red5proDriver`: its SDK, loaded once, and its sessions. @internal */
export function createRed5proRuntime(settings: Red5proRuntimeSettings): Red5proRuntime {
  const { logger } = settings
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
    const missing = settings.sdk === undefined ? browserMissing() : undefined
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
    loading ??= loadRed5proSdk(settings.sdk).catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }

  return {
    async start(kind, target, startOptions, signal) {
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
        liveness: livenessFor(kind, settings.liveness),
        clock: settings.clock,
        logger,
        random: settings.random,
        startTimeoutMs: settings.startTimeoutMs,
        teardownTimeoutMs: settings.teardownTimeoutMs,
        sdkConfig: settings.sdkConfig,
      })
      return session.start(startOptions, signal)
    },
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
  // Built here, not with red5proDriver(): see ./defaults.ts (the façade stays out of the app's entry).
  const runtime = createRed5proRuntime({
    sdk,
    startTimeoutMs: RED5PRO_START_TIMEOUT_MS,
    teardownTimeoutMs: RED5PRO_TEARDOWN_TIMEOUT_MS,
    liveness: {},
    logger: scopedLogger(options.logger, 'driver:red5pro'),
    clock: options.clock ?? systemClock(),
    random: options.random ?? Math.random,
    sdkConfig: {},
  })
  return {
    driver: {
      name: 'red5pro',
      publish: (target, publishOptions, signal) => runtime.start('publish', target, publishOptions, signal),
      subscribe: (target, subscribeOptions, signal) =>
        runtime.start('subscribe', target, subscribeOptions, signal),
    },
    build: found.build,
    canReach: (endpoint) => canRed5proSdkReach(endpoint, { endpointOption: found.endpoint }),
  }
}
