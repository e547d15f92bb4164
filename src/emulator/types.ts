/**
 * The emulator's data types: its options, what it reports about its environments (state, events), the
 * media node it runs, and what a Stream Manager handler is told. Types only: every emulator room imports
 * them from here, so none of them imports another one back.
 * Import them through `red5pro-bluegreen/emulator` (this comment carries no internal tag: one here
 * would strip the import below it from the published .d.ts).
 */
import type { Logger } from '../environment'
import type { EnvironmentState, Manifest, StreamManagerApi } from '../types'

/** The two environments of the emulated cluster. */
export type EnvironmentName = 'blue' | 'green'

/**
 * How `kill()` takes an environment down (DESIGN 11): `reset` (its Stream Manager resets its connections
 * and closes its port, its media node drops every session: a crashed cluster) or `silent` (its Stream
 * Manager and media node stop answering but keep every connection open: HTTP requests hang unanswered,
 * media packets vanish both ways, ICE consent checks go unanswered: a network partition).
 */
export type KillMode = 'reset' | 'silent'

/** Options of a media node, as `startMediaNode` in `./mediaNode` takes them. */
export interface EmulatorMediaNodeOptions {
  /** A name for logs, e.g. `green-node`. */
  name: string
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Port to listen on; 0 = any free port. */
  port?: number
  /** Which WHEP flavour the node speaks: Red5's server offer, the standard client offer, or both. */
  whepFlavour?: 'server-offer' | 'client-offer' | 'auto'
  /** Where the node logs. */
  logger?: Partial<Logger>
}

/** A media node playing Red5 Pro's part (WHIP/WHEP over HTTP), as `./mediaNode` provides it. */
export interface EmulatorMediaNode {
  /** The name it was started with. */
  readonly name: string
  /** `127.0.0.1:PORT`: what the Stream Managers answer as `serverAddress`. */
  readonly serverAddress: string
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** Published streams as `app/stream`. */
  streams(): string[]
  /** True when `app/stream` is being published on this node. */
  hasStream(app: string, stream: string): boolean
  /** Session counts and the signalling requests the node received. */
  stats(): {
    /** Publishing sessions now. */
    readonly publishers: number
    /** Playing sessions now. */
    readonly subscribers: number
    /** Every signalling request received, oldest first. */
    readonly requests: readonly {
      /** HTTP method. */
      readonly method: string
      /** Path, without the query. */
      readonly path: string
      /** Query parameters. */
      readonly query: Readonly<Record<string, string>>
      /** The request's `Content-Type`, when it had one. */
      readonly contentType?: string
    }[]
  }
  /**
   * A network partition (a silent kill): HTTP requests held unanswered, media packets dropped both ways,
   * connections kept open. Optional: a node without it is only cut off at its Stream Manager.
   */
  freeze?(): void
  /** Heals {@link freeze}. */
  thaw?(): void
  /** Stops abruptly: sockets reset, media sessions dropped without goodbye. */
  kill(): Promise<void>
  /** Stops gracefully. */
  close(): Promise<void>
}

/** Starts a media node; the default loads `./mediaNode` (and werift) on first use. */
export type MediaNodeFactory = (options: EmulatorMediaNodeOptions) => Promise<EmulatorMediaNode>

/** Per-environment settings (`blue` and `green` options of {@link EmulatorOptions}). */
export interface EmulatorEnvironmentOptions {
  /** The Stream Manager generation it speaks. @default 'sm2' for blue, 'sm1' for green */
  api?: StreamManagerApi
  /** The webapp streams live in. @default 'live' */
  app?: string
  /** Stream Manager 2.0 node group (`default` is always accepted too). @default 'default' */
  nodeGroup?: string
  /** Region (1.x) or sub-group (2.0) the Stream Manager reports. @default 'local' */
  region?: string
  /** Port of its Stream Manager; 0 = any free port. @default 0 */
  port?: number
  /** Port of its media node; 0 = any free port. @default 0 */
  nodePort?: number
  /** WHEP flavour of its media node. @default 'auto' */
  whepFlavour?: 'server-offer' | 'client-offer' | 'auto'
}

/** A signing key for the manifest. Without `privateKey`, a fresh Ed25519 key is generated. */
export interface EmulatorSigningKey {
  /** The key id written into the envelope (a hint for clients). @default 'emulator' */
  keyid?: string
  /** Ed25519 private key, PKCS#8 PEM or base64 32-byte seed (as `red5pro-bluegreen keygen` writes it). */
  privateKey?: string
}

/** Options of {@link startEmulator}. All optional. */
export interface EmulatorOptions {
  /** The public port (discovery, operator API, demo page); 0 = any free port. @default 0 */
  port?: number
  /** Serve the manifest as a DSSE envelope signed with a generated (or the given) Ed25519 key. @default false */
  signed?: boolean | EmulatorSigningKey
  /** The manifest's `ttl` in seconds (1..3600); short, so a demo swap shows quickly. @default 5 */
  ttl?: number
  /** Drain window of `promote()` / `rollback()` when none is given, in seconds. @default 30 */
  drainSeconds?: number
  /** Lifetime of each issued manifest (`expiresAt`), in seconds; re-issued when half of it is left. @default 86400 */
  expiresInSeconds?: number
  /** Where the emulator logs a line per action; `false` for silence. @default lines on stderr */
  logger?: Partial<Logger> | false
  /** Settings of the blue environment (Stream Manager 2.0 by default). */
  blue?: EmulatorEnvironmentOptions
  /** Settings of the green environment (Stream Manager 1.x by default). */
  green?: EmulatorEnvironmentOptions
  /** Starts the media nodes. Tests may pass a fake. @default the werift media node of `./mediaNode` */
  mediaNode?: MediaNodeFactory
  /**
   * Starts with the `failover` role (DESIGN 11) naming this environment: the backup clients use while
   * production is unreachable. @default no failover role
   */
  failover?: EnvironmentName
  /**
   * A round-trip delay, in milliseconds (0..10000), added to every request to the Stream Managers (their
   * assignments and WHIP/WHEP proxy, CORS preflights included) and to the discovery URL, as if the
   * cluster were that far away: e.g. 50 to measure time to first frame as users far from it see it.
   * Media itself is not delayed. @default 0
   */
  latencyMs?: number
}

/** One environment as the emulator runs it now. */
export interface EmulatedEnvironment {
  /** `blue` or `green`. */
  readonly name: EnvironmentName
  /** Base URL of its Stream Manager (changes when a killed environment is revived on a new port). */
  readonly streamManager: string
  /** The Stream Manager generation it speaks. */
  readonly api: StreamManagerApi
  /** Its webapp. */
  readonly app: string
  /** Its Stream Manager 2.0 node group. */
  readonly nodeGroup: string
  /** Its state in the current manifest. */
  readonly state: EnvironmentState
  /** When `state` is `draining`: the ISO time sessions should have moved by. */
  readonly drainDeadline?: string
  /** Roles that name it (`production`, `staging`). */
  readonly roles: readonly string[]
  /** False after `kill()` until `revive()`. */
  readonly alive: boolean
  /** How it was killed, while it is not alive. */
  readonly killed?: KillMode
  /** Its media node, while it runs (a silently killed one included). */
  readonly node?: {
    /** The node's name, e.g. `green-node-1`. */
    readonly name: string
    /** What the Stream Manager answers as `serverAddress` (`127.0.0.1:PORT`). */
    readonly serverAddress: string
    /** `http://127.0.0.1:PORT`. */
    readonly url: string
  }
}

/** One environment in {@link EmulatorState}: {@link EmulatedEnvironment} plus its media sessions. */
export interface EnvironmentStatus extends EmulatedEnvironment {
  /** Streams published on its node, as `app/stream`. */
  readonly streams: readonly string[]
  /** Publishing sessions on its node. */
  readonly publishers: number
  /** Subscribing sessions on its node. */
  readonly subscribers: number
}

/** What `GET /api/state` answers. */
export interface EmulatorState {
  /** The public base URL. */
  readonly url: string
  /** The manifest URL. */
  readonly discoveryUrl: string
  /** The current revision. */
  readonly revision: number
  /** The current manifest. */
  readonly manifest: Manifest
  /** Discovery: failing on purpose or not, the ETag served, and answers counted by kind. */
  readonly discovery: {
    /** True while `failDiscovery()` makes it fail on purpose. */
    readonly failing: boolean
    /** The ETag of the manifest being served. */
    readonly etag: string | undefined
    /** Answers so far, by kind. */
    readonly served: {
      /** 200 with the manifest. */
      readonly ok: number
      /** 304 Not Modified. */
      readonly notModified: number
      /** Failures served on purpose. */
      readonly failed: number
    }
  }
  /** The signing key's id and public key, when the manifest is signed. */
  readonly signing?: {
    /** The key id in the envelope's signature. */
    readonly keyid: string
    /** The public key, base64 raw Ed25519 (for `trustedKeys`). */
    readonly publicKey: string
  }
  /** Both environments. */
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentStatus>>
}

/** Kinds of {@link EmulatorEvent}. */
export type EmulatorEventType =
  | 'start'
  | 'manifest'
  | 'promote'
  | 'rollback'
  | 'state'
  | 'role'
  | 'kill'
  | 'revive'
  | 'discovery'
  | 'deadline'
  | 'close'

/** One entry of the emulator's timeline (also sent on `GET /api/events`). */
export interface EmulatorEvent {
  /** Increasing from 1 (the SSE `id`). */
  readonly id: number
  /** What happened. */
  readonly type: EmulatorEventType
  /** ISO time. */
  readonly at: string
  /** One line for humans. */
  readonly message: string
  /** The manifest revision after the event. */
  readonly revision: number
  /** The environment concerned, if one. */
  readonly environment?: EnvironmentName
  /** The environment's state after the event, if one. */
  readonly state?: EnvironmentState
  /** For `kill` events: how it was killed. */
  readonly mode?: KillMode
}

/** What a Stream Manager handler needs to know about its environment. @internal */
export interface StreamManagerContext {
  /** The environment name, for messages. */
  readonly environment: string
  /** The Stream Manager 2.0 node group. */
  readonly nodeGroup: string
  /** Region / sub-group reported in answers. */
  readonly region: string
  readonly logger: Logger
  /** The environment's running media nodes (empty when killed). */
  nodes(): readonly EmulatorMediaNode[]
  /** This Stream Manager's own base URL. */
  baseUrl(): string
}
