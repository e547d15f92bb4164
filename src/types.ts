/**
 * The data that flows through the library: manifest -> environment -> assignment.
 */

/** The state of an environment, as the manifest says. */
export type EnvironmentState = 'serving' | 'draining' | 'offline'

/** Stream Manager API generation: `sm1` = Stream Manager 1.x REST API 4.0, `sm2` = Stream Manager 2.0 `/as/v1`. */
export type StreamManagerApi = 'sm1' | 'sm2'

/** How media signalling reaches a node: through the Stream Manager's proxy, or straight to the node. */
export type Transport = 'proxy' | 'direct'

/** What a session does: send media (`publish`, WHIP) or receive it (`subscribe`, WHEP). */
export type SessionKind = 'publish' | 'subscribe'

/** One environment of the manifest, with defaults applied. */
export interface ManifestEnvironment {
  /** Absolute base URL of the environment's Stream Manager. */
  readonly streamManager: string
  /** Which Stream Manager API generation it speaks. */
  readonly api: StreamManagerApi
  /** Stream Manager 2.0 node group. @default 'default' */
  readonly nodeGroup: string
  /** The Red5 Pro webapp streams live in. @default 'live' */
  readonly app: string
  /** Signalling path. @default 'proxy' */
  readonly transport: Transport
  /** @default 'serving' */
  readonly state: EnvironmentState
  /** ISO time after which a draining environment goes away; present when `state` is `draining`. */
  readonly drainDeadline?: string
  /** Optional region hint passed to the Stream Manager. */
  readonly region?: string
}

/** An accepted discovery manifest (format version 1), with defaults applied. */
export interface Manifest {
  /** Always 1. */
  readonly manifestVersion: 1
  /** Strictly increasing with every change. */
  readonly revision: number
  /** When the operator issued it (ISO time), if given. */
  readonly issuedAt?: string
  /** After this ISO time the manifest is not accepted. */
  readonly expiresAt?: string
  /** Seconds a client may use it before revalidating (1..3600). @default 30 */
  readonly ttl: number
  /** Role name to environment name; `production` is always present. */
  readonly roles: Readonly<Record<string, string>>
  /** Environment name to environment. */
  readonly environments: Readonly<Record<string, ManifestEnvironment>>
}

/** The environment a client (or session) uses, as seen through the accepted manifest. */
export interface EnvironmentInfo {
  /** Environment name, e.g. `blue`. */
  readonly name: string
  /** The role that selected it (or the first role mapping to it), e.g. `production`; `undefined` when none. */
  readonly role: string | undefined
  /** Its state in the accepted manifest. */
  readonly state: EnvironmentState
  /** Its Stream Manager base URL. */
  readonly streamManager: string
  /** Its Stream Manager API generation. */
  readonly api: StreamManagerApi
  /** The manifest revision this information comes from. */
  readonly revision: number
  /** The drain deadline when `state` is `draining`. */
  readonly drainDeadline?: string
}

/** Where a stream is published to or played from, as the Stream Manager assigned it. */
export interface Assignment {
  /** Environment name the node belongs to. */
  readonly environment: string
  /** `publish` (origin, WHIP) or `subscribe` (edge, WHEP). */
  readonly kind: SessionKind
  /** The stream name as given. */
  readonly streamName: string
  /** The webapp (scope) of the stream. */
  readonly app: string
  /** The node's address (`host` or `host:port`) as the Stream Manager returned it. */
  readonly serverAddress: string
  /** The node's role: `origin`, `edge`, `relay`, `transcoder` or `allinone`. */
  readonly nodeRole: string
  /** The WHIP (publish) or WHEP (subscribe) URL to signal to. */
  readonly endpoint: string
  /** How `endpoint` reaches the node. */
  readonly transport: Transport
  /** The API generation of the Stream Manager that assigned it. */
  readonly api: StreamManagerApi
  /**
   * Stream Manager 2.0: the node group asked (Red5's SDK 13+ passes it as `connectionParams.nodeGroup`
   * to the proxy). Absent for Stream Manager 1.x.
   */
  readonly nodeGroup?: string | undefined
}

/** Round-trip authentication and other parameters passed to the node on WHIP/WHEP requests. */
export type ConnectionParams = Readonly<Record<string, string | number | boolean>>
