/**
 * Public client options and their resolution into the settings the internals use (which never see
 * `undefined`). Defaults live in {@link DEFAULTS}.
 */
import type { Clock, FetchLike, KeyValueStorage, Logger } from './environment'
import { BlueGreenError } from './errors'
import type { TrustedKey } from './discovery/envelope'
import type { Driver } from './session/drivers/Driver'
import type { ConnectionParams } from './types'

/** Browser QA overrides: let a tester choose staging without a code change. Both are off by default. */
export interface OverrideOptions {
  /** A query parameter (e.g. `'bg-env'`) whose value selects a role or environment listed in the manifest. @default false */
  queryParam?: string | false
  /** A storage key (e.g. `'bg-env'`) whose value selects a role or environment listed in the manifest. @default false */
  storageKey?: string | false
}

/** What a reconnect policy is told before each attempt. */
export interface ReconnectContext {
  /** 1 for the first retry. */
  readonly attempt: number
  /** Milliseconds since the session dropped. */
  readonly elapsedMs: number
  /** Why the previous attempt (or the session) failed. */
  readonly error: Error | undefined
}

/** Decides how long to wait before each reconnect attempt; `null` stops (the session fails). */
export interface ReconnectPolicy {
  /** Milliseconds to wait before attempt `context.attempt`, or `null` to give up. A throw also gives up. */
  nextDelayMs(context: ReconnectContext): number | null
}

/** Options of the default reconnect policy: capped exponential backoff with full jitter. */
export interface ReconnectOptions {
  /** First step of the backoff. @default 500 */
  initialDelayMs?: number
  /** Largest step. @default 15000 */
  maxDelayMs?: number
  /** Attempts before the session fails. @default Infinity */
  maxAttempts?: number
}

/** How sessions move during a swap (DESIGN section 5). */
export interface MigrationOptions {
  /** Connect the new session before closing the old one. @default true */
  makeBeforeBreak?: boolean
  /** The longest window subscribers are spread over. @default 60000 */
  windowMs?: number
  /** Subscribers wait at least this long after a swap, so publishers arrive first. @default 2000 */
  leadMs?: number
  /** Subscribers finish at least this long before `drainDeadline`. @default 5000 */
  marginMs?: number
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
  reconnect: { initialDelayMs: 500, maxDelayMs: 15_000, maxAttempts: Number.POSITIVE_INFINITY },
  migration: { makeBeforeBreak: true, windowMs: 60_000, leadMs: 2_000, marginMs: 5_000 },
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
  readonly migration: Required<MigrationOptions>
  readonly reconnect: ReconnectPolicy | Required<ReconnectOptions>
  readonly driver: 'auto' | Driver
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
  const reconnect =
    options.reconnect && 'nextDelayMs' in options.reconnect
      ? options.reconnect
      : { ...DEFAULTS.reconnect, ...(options.reconnect as ReconnectOptions | undefined) }
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
    migration: { ...DEFAULTS.migration, ...options.migration },
    reconnect,
    driver: options.driver ?? 'auto',
    connectionParams: options.connectionParams,
    rtcConfiguration: options.rtcConfiguration,
  }
}
