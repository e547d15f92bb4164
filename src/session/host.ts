/**
 * The seam between sessions and the rest of the client (STYLE principle 4). Sessions and the swap
 * coordinator never see discovery or Stream Managers: they ask a `SessionHost`, which the client implements.
 */
import type { Environment } from '../environment'
import type { Assignment, ConnectionParams, EnvironmentInfo, Manifest, SessionKind } from '../types'
import type { Driver } from './drivers/Driver'
import type { ResolvedSessionSettings } from './options'

/** How a session asks {@link SessionHost.resolve}. @internal */
export interface HostResolveOptions {
  /** The session's connection parameters merged over the client's. */
  readonly connectionParams?: ConnectionParams | undefined
  /**
   * A reconnect's call (not a new session's, nor a swap's move, which the swap plan spreads): every
   * Stream Manager request it makes, to production, to the backup that answers for it or confirms a
   * failover, waits for its turn in the client's pacing (session/pacing.ts).
   */
  readonly paced?: boolean | undefined
}

/**
 * What sessions need from the client. Implemented by the client (`createClient`); tests implement it over an
 * in-memory manifest. Every method must be safe to call concurrently from many sessions.
 * @internal
 */
export interface SessionHost {
  /** Clock, random and logger. Sessions take every timer from `env.clock`. */
  readonly env: Environment
  /** Reconnect policy, migration settings and client-wide connection parameters, resolved. */
  readonly settings: ResolvedSessionSettings
  /**
   * True when the client selected its environment by NAME (a QA client): its sessions never move to
   * another environment, and fail with `ENVIRONMENT_OFFLINE` when theirs goes offline or away (DESIGN 5.6).
   */
  readonly pinned: boolean
  /** The accepted manifest now (`undefined` before the first one). */
  manifest(): Manifest | undefined
  /**
   * The environment the client's selector (role or name) picks in `manifest`.
   * @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN` when the selector matches nothing, `ENVIRONMENT_OFFLINE`
   *   when it picks an `offline` environment
   */
  select(manifest: Manifest): EnvironmentInfo
  /**
   * A manifest no older than its ttl: revalidates first when the accepted one is older; when revalidation
   * fails, the last good one (DESIGN 5.1).
   * @throws {BlueGreenError} `DISCOVERY_UNAVAILABLE` (or a `MANIFEST_*` code) when there is no good manifest
   *   at all; `ABORTED` when `signal` aborts
   */
  fresh(signal: AbortSignal): Promise<Manifest>
  /**
   * Called before every reconnect attempt: revalidates (joining the revalidation in flight) when the
   * manifest is due, else resolves at once. Due means at least its ttl old (a dropped session does not make
   * the manifest stale) and, while discovery fails, not before the client's own jittered backoff allows the
   * next try; so every session of the client shares one revalidation. `force` (the benchmark's baseline
   * without storm control) revalidates regardless. Never rejects: on failure the client keeps its last good
   * manifest and emits `stale`. A new revision is announced through {@link SessionHost.onManifest} before
   * this resolves, so the attempt goes where it points.
   */
  revalidate(force?: boolean): Promise<void>
  /**
   * Where else a subscriber whose stream is not on `environment` may find it: the other half of a failover
   * in flux (DESIGN 11: a broadcaster and its viewers are never split for longer than one retry), or
   * `undefined`. Never for a pinned client.
   */
  failoverPartner?(manifest: Manifest, environment: string): string | undefined
  /** True while a failover runs or has just ended (DESIGN 11): streams are moving between the pair. */
  failoverInFlux?(): boolean
  /**
   * A live session's connection on `environment` may be lost (its driver's `onDisconnected`): the client
   * may check that environment's Stream Manager now, during the connection's grace, so that a failover is
   * decided by the time the session reconnects (DESIGN 11). Returns at once.
   */
  connectionInDoubt?(environment: string): void
  /**
   * Asks `environment`'s Stream Manager where to publish or play `streamName`.
   * @throws {BlueGreenError} `STREAM_NOT_FOUND`, `NO_CAPACITY`, `ENVIRONMENT_OFFLINE`, `ENVIRONMENT_UNKNOWN`,
   *   `STREAM_MANAGER_UNAVAILABLE`, `STREAM_MANAGER_INVALID_RESPONSE`, `HOST_NOT_ALLOWED`,
   *   `INVALID_ARGUMENT` (a bad stream name), `TIMEOUT`, `ABORTED`
   */
  resolve(
    environment: string,
    kind: SessionKind,
    streamName: string,
    signal: AbortSignal,
    options?: HostResolveOptions,
  ): Promise<Assignment>
  /**
   * The driver that connects to `assignment` (the configured one, or the one `'auto'` picks).
   * @throws {BlueGreenError} `DRIVER_UNAVAILABLE` when no driver can reach it
   */
  driverFor(assignment: Assignment): Promise<Driver>
  /**
   * Calls `listener` with each newly accepted revision (and the one before it). Returns the unsubscribe
   * function. Listeners are called synchronously in acceptance order, after {@link SessionHost.manifest}
   * returns the new revision; a throwing listener must not break the client.
   */
  onManifest(listener: (manifest: Manifest, previous: Manifest | undefined) => void): () => void
}
