/**
 * Public client options and their resolution into the settings the internals use (which never see
 * `undefined`). Defaults live in {@link DEFAULTS}.
 */
import type { Clock, FetchLike, KeyValueStorage, Logger } from './environment'
import { BlueGreenError } from './errors'
import type { TrustedKey } from './discovery/envelope'
import { isLoopbackHost } from './internal/hosts'
import type { FailoverOptions } from './failover'
import type { Driver } from './session/drivers/Driver'
import type { Red5proSdkSource } from './session/drivers/red5pro/sdk'
import type { MigrationOptions } from './session/options'
import type { ReconnectOptions, ReconnectPolicy } from './session/ReconnectPolicy'
import type { ConnectionParams } from './types'

export type { MigrationOptions } from './session/options'
export type { ReconnectContext, ReconnectOptions, ReconnectPolicy } from './session/ReconnectPolicy'

/** Browser QA overrides: let a tester choose staging without a code change. Both are off by default. */
export interface OverrideOptions {
  /** A query parameter (e.g. `'bg-env'`) whose value selects a role or environment listed in the manifest. @default false */
  queryParam?: string | false
  /** A storage key (e.g. `'bg-env'`) whose value selects a role or environment listed in the manifest. @default false */
  storageKey?: string | false
}

/** Options of {@link createClient}. All optional except one of `discovery` / `manifest`. */
export interface ClientOptions {
  /** The manifest URL, or mirrors tried in order. */
  discovery?: string | readonly string[]
  /** An inline manifest (object or signed envelope) instead of `discovery`: no fetching. */
  manifest?: unknown
  /** A role (`production`, `staging`, ...) or an environment name (`blue`: pins the client, for QA). @default 'production' */
  environment?: string
  /** Browser QA overrides (off by default). */
  overrides?: OverrideOptions
  /** Ed25519 keys allowed to sign the manifest; once set, unsigned manifests are refused. */
  trustedKeys?: readonly TrustedKey[]
  /** Valid signatures from distinct trusted keys required. @default 1 */
  threshold?: number
  /** Host patterns (`*.example.com`) every Stream Manager (and direct node) host must match. */
  allowedHosts?: readonly string[]
  /** Allow http Stream Managers on non-loopback hosts (development only). @default false */
  allowInsecure?: boolean
  /** Bound on each HTTP request, in milliseconds. @default 10000 */
  timeoutMs?: number
  /** Reconnect policy or options for the default one. */
  reconnect?: ReconnectPolicy | ReconnectOptions
  /** How sessions move during a swap. */
  migration?: MigrationOptions
  /** `'auto'` (default: the driver that can reach each endpoint), or a driver such as `whipDriver()`. @default 'auto' */
  driver?: 'auto' | Driver
  /**
   * Red5's SDK for `driver: 'auto'` (which then uses it wherever the build can reach the endpoint, and
   * whipDriver elsewhere): a loader such as `() => import('red5pro-webrtc-sdk')` (run on the first session,
   * so the SDK stays in its own chunk), or the SDK object. Ignored with an explicit `driver`.
   * @default `window.red5prosdk` when Red5's script is on the page, else none (whipDriver everywhere)
   */
  red5proSdk?: Red5proSdkSource
  /**
   * Failover (DESIGN 11) timings: how long production must answer before clients return from the backup
   * (`stableMs`), how often it is probed. Failover itself happens only when the manifest has a `failover` role.
   */
  failover?: FailoverOptions
  /** Parameters for the nodes on every session (round-trip authentication). */
  connectionParams?: ConnectionParams
  /** Passed to peer connections. */
  rtcConfiguration?: RTCConfiguration
  /** The fetch to use. @default globalThis.fetch */
  fetch?: FetchLike
  /** Where the highest accepted revision is kept. @default localStorage in browsers, memory elsewhere */
  storage?: KeyValueStorage
  /** Time and timers. @default the system clock */
  clock?: Clock
  /** Randomness in [0, 1). @default Math.random */
  random?: () => number
  /** Where log lines go (`console` fits). @default none */
  logger?: Partial<Logger>
}

/** Defaults of every option. @internal */
export const DEFAULTS = {
  environment: 'production',
  threshold: 1,
  timeoutMs: 10_000,
} as const

/** Options with defaults applied. @internal */
export interface ResolvedClientOptions {
  readonly urls: readonly string[]
  readonly inline: unknown
  readonly environment: string
  readonly overrides: { readonly queryParam: string | false; readonly storageKey: string | false }
  readonly trustedKeys: readonly TrustedKey[]
  readonly threshold: number
  readonly allowedHosts: readonly string[]
  readonly allowInsecure: boolean
  readonly timeoutMs: number
  readonly driver: 'auto' | Driver
  readonly red5proSdk: Red5proSdkSource | undefined
  readonly connectionParams: ConnectionParams | undefined
  readonly rtcConfiguration: RTCConfiguration | undefined
}

function argument(message: string): BlueGreenError {
  return new BlueGreenError('INVALID_ARGUMENT', `createClient: ${message}`)
}

/** Validates options and fills defaults. @throws {BlueGreenError} `INVALID_ARGUMENT` @internal */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) {
    throw argument('pass an options object with `discovery` (the manifest URL) or `manifest`.')
  }
  const urls = options.discovery === undefined ? [] : [options.discovery].flat()
  if (urls.length === 0 && options.manifest === undefined) {
    throw argument('pass `discovery` (the manifest URL or a list of mirrors) or an inline `manifest`.')
  }
  for (const url of urls) {
    let parsed: URL
    try {
      parsed = new URL(String(url))
    } catch {
      throw argument(`discovery URL "${String(url)}" is not an absolute URL.`)
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw argument(`discovery URL "${String(url)}" must be http(s).`)
    }
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && options.allowInsecure !== true) {
      throw argument(
        `discovery URL "${String(url)}" must use https: over plain http anyone on the path can rewrite the manifest (http is allowed only on loopback, or with allowInsecure for development).`,
      )
    }
  }
  const threshold = options.threshold ?? DEFAULTS.threshold
  const trustedKeys = options.trustedKeys ?? []
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw argument('`threshold` must be an integer >= 1.')
  }
  if (trustedKeys.length > 0 && threshold > trustedKeys.length) {
    throw argument(
      `\`threshold\` is ${threshold} but only ${trustedKeys.length} trusted key(s) are configured.`,
    )
  }
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  if (!(timeoutMs > 0)) {
    throw argument('`timeoutMs` must be a positive number of milliseconds.')
  }
  const sdk = options.red5proSdk as { WHIPClient?: unknown; WHEPClient?: unknown } | undefined
  if (
    sdk !== undefined &&
    typeof sdk !== 'function' &&
    (typeof sdk !== 'object' ||
      sdk === null ||
      typeof sdk.WHIPClient !== 'function' ||
      typeof sdk.WHEPClient !== 'function')
  ) {
    throw argument(
      "`red5proSdk` must be Red5's SDK object (with WHIPClient and WHEPClient) or a function that loads it, such as " +
        "() => import('red5pro-webrtc-sdk').",
    )
  }
  return {
    urls: urls.map(String),
    inline: options.manifest,
    environment: options.environment ?? DEFAULTS.environment,
    overrides: {
      queryParam: options.overrides?.queryParam ?? false,
      storageKey: options.overrides?.storageKey ?? false,
    },
    trustedKeys,
    threshold,
    allowedHosts: options.allowedHosts ?? [],
    allowInsecure: options.allowInsecure ?? false,
    timeoutMs,
    driver: options.driver ?? 'auto',
    red5proSdk: options.red5proSdk,
    connectionParams: options.connectionParams,
    rtcConfiguration: options.rtcConfiguration,
  }
}
