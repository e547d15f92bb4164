/**
 * Public options of sessions and swaps, and their resolution into the settings the session code uses
 * (STYLE principle 11: options in, resolved options inside; internals never see `undefined`).
 * Small on purpose: the client resolves these at `createClient()` while the session code loads later.
 */
import { BlueGreenError } from '../errors'
import type { ConnectionParams } from '../types'
import { defaultReconnectPolicy, type ReconnectOptions, type ReconnectPolicy } from './ReconnectPolicy'

/** Options of `client.publish()`. */
export interface PublishOptions {
  /** The stream to publish (1..255 characters; see DESIGN section 10). */
  streamName: string
  /** The media to send. When absent the driver captures its own (camera and microphone). */
  mediaStream?: MediaStream | undefined
  /** An element to show the local preview in (muted). */
  mediaElement?: HTMLMediaElement | undefined
  /** Parameters for the node (round-trip authentication); merged over the client's `connectionParams`. */
  connectionParams?: ConnectionParams | undefined
  /** Aborts start-up (`publish()` rejects with `ABORTED`); ignored once the session is live. */
  signal?: AbortSignal | undefined
}

/** Options of `client.subscribe()`. */
export interface SubscribeOptions {
  /** The stream to play. */
  streamName: string
  /**
   * An element to play the stream in. The session attaches one `MediaStream` to it and keeps that same
   * object attached across reconnects and migrations (it swaps the tracks inside), where `MediaStream` exists.
   */
  mediaElement?: HTMLMediaElement | undefined
  /** Parameters for the node (round-trip authentication); merged over the client's `connectionParams`. */
  connectionParams?: ConnectionParams | undefined
  /** Aborts start-up (`subscribe()` rejects with `ABORTED`); ignored once the session is live. */
  signal?: AbortSignal | undefined
  /**
   * When the stream is not published anywhere yet, keep retrying with backoff until it is (or until
   * `signal` aborts) instead of rejecting with `STREAM_NOT_FOUND`.
   * @default false
   */
  waitForStream?: boolean | undefined
}

/** How sessions move between environments during a swap (DESIGN section 10). */
export interface MigrationOptions {
  /**
   * Make the new connection live before closing the old one. `false` closes the old one first (only
   * useful to measure what make-before-break saves).
   * @default true
   */
  makeBeforeBreak?: boolean
  /** The longest window subscribers spread their moves over, from the new revision. @default 60000 */
  windowMs?: number
  /** No subscriber moves sooner than this after a new revision (publishers move first). @default 2000 */
  leadMs?: number
  /** Every subscriber has moved this long before the old environment's `drainDeadline`. @default 5000 */
  marginMs?: number
}

/** {@link MigrationOptions} with defaults applied. @internal */
export interface MigrationSettings {
  readonly makeBeforeBreak: boolean
  readonly windowMs: number
  readonly leadMs: number
  readonly marginMs: number
}

/** Defaults of {@link MigrationOptions}. @internal */
export const MIGRATION_DEFAULTS: MigrationSettings = {
  makeBeforeBreak: true,
  windowMs: 60_000,
  leadMs: 2_000,
  marginMs: 5_000,
}

/** The session-related options of `createClient()`. @internal */
export interface SessionSettingsOptions {
  reconnect?: ReconnectPolicy | ReconnectOptions | undefined
  migration?: MigrationOptions | undefined
  connectionParams?: ConnectionParams | undefined
  rtcConfiguration?: RTCConfiguration | undefined
}

/** Everything sessions need from the client's options, resolved. @internal */
export interface ResolvedSessionSettings {
  /** Delays between recovery attempts (and between retries of a move). */
  readonly reconnect: ReconnectPolicy
  /** How swaps move sessions. */
  readonly migration: MigrationSettings
  /** Client-wide node parameters; a session's own are merged over them. */
  readonly connectionParams?: ConnectionParams | undefined
  /** Passed to drivers' peer connections. */
  readonly rtcConfiguration?: RTCConfiguration | undefined
}

function isPolicy(value: unknown): value is ReconnectPolicy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ReconnectPolicy).nextDelayMs === 'function'
  )
}

function checkDuration(name: keyof MigrationOptions, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `migration.${name} must be a finite number of milliseconds >= 0; got ${String(value)}.`,
    )
  }
  return value
}

/**
 * Validates the session options of `createClient()` and fills in defaults. The lead calls this once per
 * client; the result goes into `SessionHost.settings`.
 *
 * @param options - `reconnect` (a policy or options of the default one), `migration`, `connectionParams`,
 *   `rtcConfiguration`
 * @param random - the client's `[0, 1)` source, used by the default reconnect policy
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when an option has the wrong type or range
 * @internal
 */
export function resolveSessionSettings(
  options: SessionSettingsOptions,
  random: () => number,
): ResolvedSessionSettings {
  const reconnect = isPolicy(options.reconnect)
    ? options.reconnect
    : defaultReconnectPolicy(options.reconnect, random)
  const migration = options.migration ?? {}
  if (typeof migration !== 'object' || migration === null) {
    throw new BlueGreenError('INVALID_ARGUMENT', `migration must be an object; got ${String(migration)}.`)
  }
  const makeBeforeBreak = migration.makeBeforeBreak ?? MIGRATION_DEFAULTS.makeBeforeBreak
  if (typeof makeBeforeBreak !== 'boolean') {
    throw new BlueGreenError('INVALID_ARGUMENT', `migration.makeBeforeBreak must be a boolean.`)
  }
  return {
    reconnect,
    migration: {
      makeBeforeBreak,
      windowMs: checkDuration('windowMs', migration.windowMs ?? MIGRATION_DEFAULTS.windowMs),
      leadMs: checkDuration('leadMs', migration.leadMs ?? MIGRATION_DEFAULTS.leadMs),
      marginMs: checkDuration('marginMs', migration.marginMs ?? MIGRATION_DEFAULTS.marginMs),
    },
    connectionParams: options.connectionParams,
    rtcConfiguration: options.rtcConfiguration,
  }
}
