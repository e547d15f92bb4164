/**
 * The emulator's public interface: what `startEmulator()` resolves with, and the options of its actions.
 * Import them through `red5pro-bluegreen/emulator` (this comment carries no internal tag: one here
 * would strip the import below it from the published .d.ts).
 */
import type { EnvironmentState, Manifest } from '../types'
import type {
  EmulatedEnvironment,
  EmulatorEvent,
  EmulatorMediaNode,
  EmulatorState,
  EnvironmentName,
  KillMode,
} from './types'

/** Options of the actions that start a drain. */
export interface DrainOptions {
  /** Seconds until the drained environment's `drainDeadline` (0..86400). @default the emulator's `drainSeconds` */
  drainSeconds?: number
}

/** Options of `kill()`. */
export interface KillOptions {
  /**
   * `reset`: its Stream Manager resets its connections and closes its port, its node drops every
   * session. `silent`: its Stream Manager and node stop answering but keep every connection open
   * (a partition). Anything else is refused with `INVALID_ARGUMENT`. @default 'reset'
   */
  mode?: KillMode
}

/**
 * A running emulated blue/green cluster. Create it with `startEmulator()`.
 */
export interface Emulator {
  /** The public base URL, `http://127.0.0.1:PORT`. */
  readonly url: string
  /** The public port. */
  readonly port: number
  /** The manifest URL to give `createClient({ discovery })`. */
  readonly discoveryUrl: string
  /** The demo page. */
  readonly demoUrl: string
  /** Both environments, as they run now. */
  readonly environments: Readonly<Record<EnvironmentName, EmulatedEnvironment>>
  /** The manifest being served (the payload, when signed). */
  readonly manifest: Manifest
  /** The current revision. */
  readonly revision: number
  /** The signing public key (base64 raw Ed25519), when `signed`. */
  readonly publicKey: string | undefined
  /** The signing public key as SPKI PEM, when `signed`. */
  readonly publicKeyPem: string | undefined
  /** The signing key id, when `signed`. */
  readonly keyid: string | undefined
  /**
   * Makes `environment` production: roles swap, the old production drains until now + `drainSeconds`,
   * revision + 1. Resolves with the new manifest.
   * @throws {BlueGreenError} `INVALID_ARGUMENT` (already production, bad drainSeconds), `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  promote(environment: EnvironmentName, options?: DrainOptions): Promise<Manifest>
  /**
   * Promotes back the environment that was production before the last promotion (a new revision).
   * @throws {BlueGreenError} `INVALID_ARGUMENT` when nothing was promoted yet, `CLOSED`
   */
  rollback(options?: DrainOptions): Promise<Manifest>
  /**
   * Sets an environment's state (`draining` gets a deadline now + `drainSeconds`), revision + 1.
   * @throws {BlueGreenError} `INVALID_ARGUMENT` (production cannot go offline), `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  setState(environment: EnvironmentName, state: EnvironmentState, options?: DrainOptions): Promise<Manifest>
  /**
   * Sets `role` to `environment`, or removes it with `null` (`production` cannot be removed nor moved
   * here: use promote()). Revision + 1. E.g. `setRole('failover', 'blue')` names the backup (DESIGN 11).
   * @throws {BlueGreenError} `INVALID_ARGUMENT` (bad role name, production), `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  setRole(role: string, environment: EnvironmentName | null): Promise<Manifest>
  /**
   * The environment dies; the manifest is left alone, as when a cluster dies. `mode: 'reset'` (default):
   * its Stream Manager's sockets are reset and its port closed, its media node is killed (sessions drop).
   * `mode: 'silent'`: a network partition: its Stream Manager accepts connections and never answers, its
   * media node holds its HTTP requests and sends and takes no packet (no RTP or RTCP out, incoming
   * packets dropped, ICE consent checks unanswered) while every connection stays open. Killing a
   * silently killed environment with `reset` turns the partition into a crash; the other way round
   * does nothing.
   * @throws {BlueGreenError} `INVALID_ARGUMENT` (unknown mode), `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  kill(environment: EnvironmentName, options?: KillOptions): Promise<void>
  /**
   * Brings a killed environment back and resolves with the current manifest. After a `reset` kill it
   * starts afresh (its old Stream Manager port if free, else a new one: then the manifest is
   * republished, revision + 1; no session survived). After a `silent` kill the partition heals, as a
   * real one does: same ports, no new revision, the requests held meanwhile are answered if their
   * client still waits, and the media sessions resume where both ends still hold them (a client that
   * failed over meanwhile has closed its own).
   * @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  revive(environment: EnvironmentName): Promise<Manifest>
  /** `true`: discovery answers 503 until called with `false`. */
  failDiscovery(fail: boolean): Promise<void>
  /** The environment's media node while it runs, silently killed included (for stats in tests). */
  node(environment: EnvironmentName): EmulatorMediaNode | undefined
  /** What `GET /api/state` answers. */
  state(): EmulatorState
  /** Calls `listener` on every event; returns the unsubscribe function. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void
  /** Closes every server, node, socket and timer. Idempotent. */
  close(): Promise<void>
}
