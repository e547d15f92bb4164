/**
 * The local blue/green cluster: a discovery endpoint, two environments (each a Stream Manager HTTP
 * server on its own port plus one media node acting as origin and edge), an operator API with an event
 * stream, and the demo page, all on 127.0.0.1. Every operator action publishes a new manifest revision
 * (validated with the client's own `validateManifest`, signed when asked) through one queue, so
 * revisions never interleave.
 * @internal Import it through `red5pro-bluegreen/emulator` (`startEmulator`).
 */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { format } from 'node:util'

import { bytesToBase64, generateKeyPair, parsePrivateKey, signManifest } from '../discovery/dsse'
import { validateManifest } from '../discovery/manifest'
import { scopedLogger, type Logger } from '../environment'
import { BlueGreenError, closedError } from '../errors'
import type { EnvironmentState, Manifest, ManifestEnvironment, StreamManagerApi } from '../types'
import { DiscoveryEndpoint } from './discoveryServer'
import {
  HttpError,
  LOOPBACK,
  requestTarget,
  serveFile,
  startHttpServer,
  type Handler,
  type HttpServerHandle,
} from './http'
import { checkLatency, withLatency } from './latency'
import { OperatorApi } from './operatorApi'
import { createStreamManager1Handler, sm1ErrorBody } from './streamManager1'
import { createStreamManager2Handler, sm2ErrorBody } from './streamManager2'

/** The two environments of the emulated cluster. */
export type EnvironmentName = 'blue' | 'green'

const NAMES: readonly EnvironmentName[] = ['green', 'blue']

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
  /** Its media node, while alive. */
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
}

/** Options of the actions that start a drain. */
export interface DrainOptions {
  /** Seconds until the drained environment's `drainDeadline` (0..86400). @default the emulator's `drainSeconds` */
  drainSeconds?: number
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
   * The environment stops answering: its Stream Manager's sockets are reset and its port closed, its
   * media node is killed (sessions drop). The manifest is left alone, as when a cluster dies.
   * @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  kill(environment: EnvironmentName): Promise<void>
  /**
   * Brings a killed environment back (its old Stream Manager port if free, else a new one: then the
   * manifest is republished, revision + 1). Resolves with the current manifest.
   * @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  revive(environment: EnvironmentName): Promise<Manifest>
  /** `true`: discovery answers 503 until called with `false`. */
  failDiscovery(fail: boolean): Promise<void>
  /** The environment's media node while it is alive (for stats in tests). */
  node(environment: EnvironmentName): EmulatorMediaNode | undefined
  /** What `GET /api/state` answers. */
  state(): EmulatorState
  /** Calls `listener` on every event; returns the unsubscribe function. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void
  /** Closes every server, node, socket and timer. Idempotent. */
  close(): Promise<void>
}

const DISCOVERY_PATH = '/discovery.json'
const MAX_DRAIN_SECONDS = 86_400

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function stderrLogger(): Partial<Logger> {
  const write = (message: string, ...data: unknown[]): void => {
    process.stderr.write(`${format(message, ...data)}\n`)
  }
  return { info: write, warn: write, error: write }
}

/** The directory of the installed package (examples/demo and dist live there). */
function packageRoot(): string {
  const starts: string[] = []
  try {
    if (typeof __dirname === 'string') {
      starts.push(__dirname)
    }
  } catch {
    // ESM: no __dirname
  }
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)))
  } catch {
    // CJS build: import.meta is empty
  }
  for (const start of starts) {
    let dir = start
    for (let depth = 0; depth < 6; depth++) {
      const manifest = join(dir, 'package.json')
      if (existsSync(manifest)) {
        try {
          if (
            (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'red5pro-bluegreen'
          ) {
            return dir
          }
        } catch {
          // unreadable package.json: keep walking up
        }
      }
      dir = dirname(dir)
    }
  }
  return process.cwd()
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

async function signingKey(
  option: true | EmulatorSigningKey,
): Promise<{ keyid: string; privateKey: string; publicKey: string; publicKeyPem: string }> {
  const keyid = (option === true ? undefined : option.keyid) ?? 'emulator'
  const given = option === true ? undefined : option.privateKey
  if (given === undefined) {
    const pair = await generateKeyPair()
    return {
      keyid,
      privateKey: pair.privateKeyPem,
      publicKey: pair.publicKey,
      publicKeyPem: pair.publicKeyPem,
    }
  }
  let seed: Uint8Array
  try {
    seed = parsePrivateKey(given)
  } catch (error) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `startEmulator(): signed.privateKey is not an Ed25519 key.`,
      {
        cause: error,
      },
    )
  }
  const key = createPublicKey(
    createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  )
  const spki = key.export({ format: 'der', type: 'spki' })
  return {
    keyid,
    privateKey: given,
    publicKey: bytesToBase64(new Uint8Array(spki.subarray(spki.length - 32))),
    publicKeyPem: String(key.export({ format: 'pem', type: 'spki' })),
  }
}

function checkEnvironment(name: unknown): EnvironmentName {
  if (name !== 'blue' && name !== 'green') {
    throw new BlueGreenError(
      'ENVIRONMENT_UNKNOWN',
      `The emulator has no environment ${JSON.stringify(name)}; use "blue" or "green".`,
      typeof name === 'string' ? { environment: name } : {},
    )
  }
  return name
}

function checkSeconds(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `${what} must be a number from ${min} to ${max}, got ${String(value)}.`,
    )
  }
  return value
}

function checkPort(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `${what} must be a port number (0 = any free port), got ${String(value)}.`,
    )
  }
  return value
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

/** The roles and states the manifest is built from. */
interface Control {
  roles: Record<string, EnvironmentName>
  states: Record<EnvironmentName, { state: EnvironmentState; drainDeadline?: string }>
  /** The production before the last promotion (what `rollback()` promotes). */
  previousProduction: EnvironmentName | undefined
}

/** One environment's servers. */
class EnvironmentRuntime {
  readonly name: EnvironmentName
  readonly api: StreamManagerApi
  readonly app: string
  readonly nodeGroup: string
  readonly region: string
  readonly #options: EmulatorEnvironmentOptions
  readonly #factory: MediaNodeFactory
  readonly #logger: Logger
  readonly #nodeLogger: Partial<Logger> | undefined
  readonly #latencyMs: number
  #port: number
  #started = false
  node: EmulatorMediaNode | undefined
  server: HttpServerHandle | undefined

  constructor(
    name: EnvironmentName,
    options: EmulatorEnvironmentOptions,
    factory: MediaNodeFactory,
    logger: Logger,
    nodeLogger: Partial<Logger> | undefined,
    latencyMs = 0,
  ) {
    this.name = name
    this.#latencyMs = latencyMs
    this.api = options.api ?? (name === 'blue' ? 'sm2' : 'sm1')
    if (this.api !== 'sm1' && this.api !== 'sm2') {
      throw new BlueGreenError('INVALID_ARGUMENT', `startEmulator(): ${name}.api must be "sm1" or "sm2".`)
    }
    this.app = options.app ?? 'live'
    this.nodeGroup = options.nodeGroup ?? 'default'
    this.region = options.region ?? 'local'
    this.#port = checkPort(options.port ?? 0, `startEmulator(): ${name}.port`)
    checkPort(options.nodePort ?? 0, `startEmulator(): ${name}.nodePort`)
    this.#options = options
    this.#factory = factory
    this.#logger = logger
    this.#nodeLogger = nodeLogger
  }

  get alive(): boolean {
    return this.server !== undefined
  }

  get streamManager(): string {
    return `http://${LOOPBACK}:${this.#port}`
  }

  /** Starts the node, then the Stream Manager (on the last port used, or a new one if it is taken). */
  async start(): Promise<void> {
    const node = await this.#factory({
      name: `${this.name}-node`,
      host: LOOPBACK,
      port: this.#options.nodePort ?? 0,
      whepFlavour: this.#options.whepFlavour ?? 'auto',
      ...(this.#nodeLogger ? { logger: this.#nodeLogger } : {}),
    })
    const context: StreamManagerContext = {
      environment: this.name,
      nodeGroup: this.nodeGroup,
      region: this.region,
      logger: this.#logger,
      nodes: () => (this.node && this.server ? [this.node] : []),
      baseUrl: () => this.streamManager,
    }
    const handler = withLatency(
      this.api === 'sm1' ? createStreamManager1Handler(context) : createStreamManager2Handler(context),
      this.#latencyMs,
    )
    const settings = {
      logger: this.#logger,
      label: `${this.name} Stream Manager`,
      errorBody: this.api === 'sm1' ? sm1ErrorBody : sm2ErrorBody,
    }
    try {
      let server: HttpServerHandle
      try {
        server = await startHttpServer(handler, { ...settings, port: this.#port })
      } catch (error) {
        // A revived environment whose old port was taken meanwhile comes back on a new one.
        if (!this.#started || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
          throw error
        }
        server = await startHttpServer(handler, { ...settings, port: 0 })
      }
      this.#port = server.port
      this.node = node
      this.server = server
      this.#started = true
    } catch (error) {
      await node.close().catch(() => undefined)
      throw error
    }
  }

  /** Abrupt stop: sockets reset, node killed. */
  async kill(): Promise<void> {
    const { server, node } = this
    this.server = undefined
    this.node = undefined
    await Promise.all([server?.close(), node?.kill()])
  }

  /** Graceful stop. */
  async close(): Promise<void> {
    const { server, node } = this
    this.server = undefined
    this.node = undefined
    await Promise.all([server?.close(), node?.close()])
  }

  describe(control: Control): EmulatedEnvironment {
    const { state, drainDeadline } = control.states[this.name]
    const node = this.node
    return {
      name: this.name,
      streamManager: this.streamManager,
      api: this.api,
      app: this.app,
      nodeGroup: this.nodeGroup,
      state,
      ...(drainDeadline === undefined ? {} : { drainDeadline }),
      roles: Object.entries(control.roles)
        .filter(([, env]) => env === this.name)
        .map(([role]) => role),
      alive: this.alive,
      ...(node ? { node: { name: node.name, serverAddress: node.serverAddress, url: node.url } } : {}),
    }
  }
}

/** The emulator. @internal Use `startEmulator()`. */
class EmulatorImpl implements Emulator {
  readonly #logger: Logger
  readonly #runtimes: Record<EnvironmentName, EnvironmentRuntime>
  readonly #discovery = new DiscoveryEndpoint()
  readonly #operator: OperatorApi
  readonly #ttl: number
  readonly #drainSeconds: number
  readonly #expiresInSeconds: number
  readonly #latencyMs: number
  readonly #root = packageRoot()
  readonly #listeners = new Set<(event: EmulatorEvent) => void>()
  readonly #history: EmulatorEvent[] = []
  readonly #deadlineTimers = new Map<EnvironmentName, { deadline: string; timer: NodeJS.Timeout }>()
  #signing: { keyid: string; privateKey: string; publicKey: string; publicKeyPem: string } | undefined
  #server: HttpServerHandle | undefined
  #control: Control = {
    roles: { production: 'green', staging: 'blue' },
    states: { green: { state: 'serving' }, blue: { state: 'serving' } },
    previousProduction: undefined,
  }
  #manifest: Manifest | undefined
  #eventId = 0
  #queue: Promise<unknown> = Promise.resolve()
  #closing: Promise<void> | undefined

  constructor(options: EmulatorOptions, factory: MediaNodeFactory) {
    const raw = options.logger === false ? undefined : (options.logger ?? stderrLogger())
    this.#logger = scopedLogger(raw, 'emulator')
    this.#ttl = checkSeconds(options.ttl ?? 5, 'startEmulator(): ttl', 1, 3600)
    this.#drainSeconds = checkSeconds(
      options.drainSeconds ?? 30,
      'startEmulator(): drainSeconds',
      0,
      MAX_DRAIN_SECONDS,
    )
    this.#expiresInSeconds = checkSeconds(
      options.expiresInSeconds ?? 86_400,
      'startEmulator(): expiresInSeconds',
      60,
      366 * 86_400,
    )
    this.#latencyMs = checkLatency(options.latencyMs ?? 0, 'startEmulator(): latencyMs')
    if (options.failover !== undefined) {
      const backup = checkEnvironment(options.failover)
      if (backup === this.#control.roles.production) {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `startEmulator(): failover must name the environment that is not production (${backup} is), i.e. "blue".`,
        )
      }
      this.#control.roles.failover = backup
    }
    this.#runtimes = {
      green: new EnvironmentRuntime(
        'green',
        options.green ?? {},
        factory,
        this.#logger,
        raw,
        this.#latencyMs,
      ),
      blue: new EnvironmentRuntime('blue', options.blue ?? {}, factory, this.#logger, raw, this.#latencyMs),
    }
    this.#operator = new OperatorApi(this)
  }

  async start(options: EmulatorOptions): Promise<void> {
    const port = checkPort(options.port ?? 0, 'startEmulator(): port')
    try {
      if (options.signed) {
        this.#signing = await signingKey(options.signed)
      }
      // Both settle before anything is torn down, so a half-started environment cannot outlive a failure.
      const started = await Promise.allSettled(NAMES.map((name) => this.#runtimes[name].start()))
      const failed = started.find((result) => result.status === 'rejected')
      if (failed) {
        throw failed.reason
      }
      await this.#publish(this.#control, 1)
      const isDiscovery = (req: IncomingMessage): boolean => requestTarget(req).path === DISCOVERY_PATH
      this.#server = await startHttpServer(withLatency(this.#handler(), this.#latencyMs, isDiscovery), {
        port,
        logger: this.#logger,
        label: 'emulator',
      })
    } catch (error) {
      await this.#shutdown()
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `startEmulator(): a port is already in use (${(error as Error).message}); pick another port or 0 for any free one.`,
          { cause: error },
        )
      }
      throw error
    }
    this.#emit(
      'start',
      `emulator up at ${this.url}: production green (${this.#runtimes.green.api}) at ${this.#runtimes.green.streamManager}, staging blue (${this.#runtimes.blue.api}) at ${this.#runtimes.blue.streamManager}`,
    )
  }

  get url(): string {
    return this.#server?.url ?? ''
  }

  get port(): number {
    return this.#server?.port ?? 0
  }

  get discoveryUrl(): string {
    return `${this.url}${DISCOVERY_PATH}`
  }

  get demoUrl(): string {
    return `${this.url}/`
  }

  get environments(): Readonly<Record<EnvironmentName, EmulatedEnvironment>> {
    return {
      blue: this.#runtimes.blue.describe(this.#control),
      green: this.#runtimes.green.describe(this.#control),
    }
  }

  get manifest(): Manifest {
    return this.#manifest!
  }

  get revision(): number {
    return this.#manifest?.revision ?? 0
  }

  get publicKey(): string | undefined {
    return this.#signing?.publicKey
  }

  get publicKeyPem(): string | undefined {
    return this.#signing?.publicKeyPem
  }

  get keyid(): string | undefined {
    return this.#signing?.keyid
  }

  node(environment: EnvironmentName): EmulatorMediaNode | undefined {
    return this.#runtimes[checkEnvironment(environment)].node
  }

  promote(environment: EnvironmentName, options: DrainOptions = {}): Promise<Manifest> {
    return this.#serial(async () => {
      const target = checkEnvironment(environment)
      const drainSeconds = this.#drain(options)
      const from = this.#control.roles.production!
      if (from === target) {
        throw new BlueGreenError('INVALID_ARGUMENT', `${target} is already production; nothing to promote.`, {
          environment: target,
        })
      }
      const manifest = await this.#change((draft) => this.#swap(draft, target, drainSeconds))
      this.#emit(
        'promote',
        `promoted ${target} to production; ${from} drains until ${this.#control.states[from].drainDeadline} (revision ${manifest.revision})`,
        target,
      )
      return manifest
    })
  }

  rollback(options: DrainOptions = {}): Promise<Manifest> {
    return this.#serial(async () => {
      const back = this.#control.previousProduction
      if (back === undefined) {
        throw new BlueGreenError('INVALID_ARGUMENT', 'Nothing to roll back: no environment was promoted yet.')
      }
      const drainSeconds = this.#drain(options)
      const from = this.#control.roles.production!
      const manifest = await this.#change((draft) => this.#swap(draft, back, drainSeconds))
      this.#emit(
        'rollback',
        `rolled back: ${back} is production again; ${from} drains until ${this.#control.states[from].drainDeadline} (revision ${manifest.revision})`,
        back,
      )
      return manifest
    })
  }

  setState(
    environment: EnvironmentName,
    state: EnvironmentState,
    options: DrainOptions = {},
  ): Promise<Manifest> {
    return this.#serial(async () => {
      const name = checkEnvironment(environment)
      if (state !== 'serving' && state !== 'draining' && state !== 'offline') {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `setState(): state must be "serving", "draining" or "offline", got ${JSON.stringify(state)}.`,
        )
      }
      if (state === 'offline' && this.#control.roles.production === name) {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `${name} is production and production cannot be offline; promote the other environment first.`,
          { environment: name },
        )
      }
      const drainSeconds = this.#drain(options)
      const manifest = await this.#change((draft) => {
        draft.states[name] =
          state === 'draining'
            ? { state, drainDeadline: isoSeconds(Date.now() + drainSeconds * 1000) }
            : { state }
      })
      const deadline = this.#control.states[name].drainDeadline
      this.#emit(
        'state',
        `${name} is ${state}${deadline ? ` until ${deadline}` : ''} (revision ${manifest.revision})`,
        name,
      )
      return manifest
    })
  }

  setRole(role: string, environment: EnvironmentName | null): Promise<Manifest> {
    return this.#serial(async () => {
      if (typeof role !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(role) || role === 'production') {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `setRole(): role must match ^[a-z][a-z0-9-]{0,31}$ and not be "production" (use promote()), got ${JSON.stringify(role)}.`,
        )
      }
      const target = environment === null ? null : checkEnvironment(environment)
      const manifest = await this.#change((draft) => {
        draft.roles = Object.fromEntries(Object.entries(draft.roles).filter(([name]) => name !== role))
        if (target !== null) {
          draft.roles[role] = target
        }
      })
      this.#emit(
        'role',
        target === null
          ? `removed the ${role} role (revision ${manifest.revision})`
          : `${role} is ${target} (revision ${manifest.revision})`,
        target ?? undefined,
      )
      return manifest
    })
  }

  kill(environment: EnvironmentName): Promise<void> {
    return this.#serial(async () => {
      const runtime = this.#runtimes[checkEnvironment(environment)]
      if (!runtime.alive) {
        this.#logger.info(`${runtime.name} is already killed`)
        return
      }
      const sessions = runtime.node?.stats()
      await runtime.kill()
      this.#emit(
        'kill',
        `killed ${runtime.name}: its Stream Manager refuses connections and its media node dropped ${sessions ? sessions.publishers + sessions.subscribers : 0} session(s); the manifest still lists it`,
        runtime.name,
      )
    })
  }

  revive(environment: EnvironmentName): Promise<Manifest> {
    return this.#serial(async () => {
      const runtime = this.#runtimes[checkEnvironment(environment)]
      if (runtime.alive) {
        this.#logger.info(`${runtime.name} is alive; nothing to revive`)
        return this.manifest
      }
      const before = runtime.streamManager
      await runtime.start()
      const moved = runtime.streamManager !== before
      const manifest = moved ? await this.#change(() => undefined) : this.manifest
      this.#emit(
        'revive',
        `revived ${runtime.name} at ${runtime.streamManager}${moved ? ` (new port: revision ${manifest.revision})` : ''}`,
        runtime.name,
      )
      return manifest
    })
  }

  failDiscovery(fail: boolean): Promise<void> {
    return this.#serial(async () => {
      if (typeof fail !== 'boolean') {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `failDiscovery(): pass true or false, got ${String(fail)}.`,
        )
      }
      this.#discovery.failing = fail
      this.#emit('discovery', fail ? 'discovery now answers 503' : 'discovery answers again')
    })
  }

  state(): EmulatorState {
    const environments = this.environments
    const status = (name: EnvironmentName): EnvironmentStatus => {
      const node = this.#runtimes[name].node
      const stats = node?.stats()
      return {
        ...environments[name],
        streams: node?.streams() ?? [],
        publishers: stats?.publishers ?? 0,
        subscribers: stats?.subscribers ?? 0,
      }
    }
    return {
      url: this.url,
      discoveryUrl: this.discoveryUrl,
      revision: this.revision,
      manifest: this.manifest,
      discovery: {
        failing: this.#discovery.failing,
        etag: this.#discovery.document?.etag,
        served: { ...this.#discovery.served },
      },
      ...(this.#signing
        ? { signing: { keyid: this.#signing.keyid, publicKey: this.#signing.publicKey } }
        : {}),
      environments: { green: status('green'), blue: status('blue') },
    }
  }

  history(): readonly EmulatorEvent[] {
    return this.#history
  }

  onEvent(listener: (event: EmulatorEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue
      this.#emit('close', 'emulator closing')
      await this.#shutdown()
      this.#listeners.clear()
    })()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    for (const { timer } of this.#deadlineTimers.values()) {
      clearTimeout(timer)
    }
    this.#deadlineTimers.clear()
    this.#operator.close()
    const server = this.#server
    await Promise.all([server?.close(), ...NAMES.map((name) => this.#runtimes[name].close())])
  }

  /** Runs `action` after every earlier one; rejects with CLOSED once `close()` was called. */
  #serial<T>(action: () => Promise<T>): Promise<T> {
    if (this.#closing) {
      return Promise.reject(closedError('This emulator'))
    }
    const run = this.#queue.then(action)
    this.#queue = run.catch(() => undefined)
    return run
  }

  #drain(options: DrainOptions): number {
    return checkSeconds(options.drainSeconds ?? this.#drainSeconds, 'drainSeconds', 0, MAX_DRAIN_SECONDS)
  }

  /** Makes `target` production, the old production drains and takes the role `target` had. */
  #swap(draft: Control, target: EnvironmentName, drainSeconds: number): void {
    const from = draft.roles.production!
    for (const [role, env] of Object.entries(draft.roles)) {
      if (env === target) {
        draft.roles[role] = from
      }
    }
    draft.roles.production = target
    draft.states[target] = { state: 'serving' }
    draft.states[from] = { state: 'draining', drainDeadline: isoSeconds(Date.now() + drainSeconds * 1000) }
    draft.previousProduction = from
  }

  /** Applies `mutate` to a copy of the control state and publishes it as the next revision. */
  async #change(mutate: (draft: Control) => void): Promise<Manifest> {
    const draft = structuredClone(this.#control)
    mutate(draft)
    return this.#publish(draft, this.revision + 1)
  }

  /** Builds, validates, signs and serves the manifest of `control` as `revision`; then adopts `control`. */
  async #publish(control: Control, revision: number): Promise<Manifest> {
    const now = Date.now()
    const environments: Record<string, ManifestEnvironment> = {}
    for (const name of NAMES) {
      const runtime = this.#runtimes[name]
      const { state, drainDeadline } = control.states[name]
      environments[name] = {
        streamManager: runtime.streamManager,
        api: runtime.api,
        nodeGroup: runtime.nodeGroup,
        app: runtime.app,
        transport: 'proxy',
        state,
        ...(drainDeadline === undefined ? {} : { drainDeadline }),
      }
    }
    const manifest: Manifest = {
      manifestVersion: 1,
      revision,
      issuedAt: isoSeconds(now),
      expiresAt: isoSeconds(now + this.#expiresInSeconds * 1000),
      ttl: this.#ttl,
      roles: { ...control.roles },
      environments,
    }
    const payload = JSON.stringify(manifest, null, 2)
    // The client's own rules: the emulator never serves what a client would refuse.
    validateManifest(JSON.parse(payload), { now })
    const body = this.#signing
      ? JSON.stringify(
          await signManifest(payload, [{ keyid: this.#signing.keyid, privateKey: this.#signing.privateKey }]),
          null,
          2,
        )
      : payload
    this.#discovery.publish(Buffer.from(body), this.#ttl)
    this.#control = control
    this.#manifest = manifest
    this.#armDeadlines()
    if (revision > 1) {
      this.#emit('manifest', `published manifest revision ${revision}`)
    }
    return manifest
  }

  /** One timer per draining environment, to say when its deadline passes (it keeps serving). */
  #armDeadlines(): void {
    for (const name of NAMES) {
      const { state, drainDeadline } = this.#control.states[name]
      const armed = this.#deadlineTimers.get(name)
      if (armed && (state !== 'draining' || armed.deadline !== drainDeadline)) {
        clearTimeout(armed.timer)
        this.#deadlineTimers.delete(name)
      }
      if (state === 'draining' && drainDeadline !== undefined && !this.#deadlineTimers.has(name)) {
        const timer = setTimeout(
          () => {
            this.#deadlineTimers.delete(name)
            const sessions = this.#runtimes[name].node?.stats()
            this.#emit(
              'deadline',
              `${name}'s drain deadline ${drainDeadline} passed; it keeps serving its ${sessions ? sessions.publishers + sessions.subscribers : 0} session(s) until you kill it or set it offline`,
              name,
            )
          },
          Math.max(0, Date.parse(drainDeadline) - Date.now()),
        )
        timer.unref()
        this.#deadlineTimers.set(name, { deadline: drainDeadline, timer })
      }
    }
  }

  /** Re-issues the manifest (a new revision, same content) when less than half its lifetime is left. */
  async #refreshIfAging(): Promise<void> {
    const expiresAt = this.#manifest?.expiresAt
    if (expiresAt === undefined || Date.parse(expiresAt) - Date.now() > (this.#expiresInSeconds * 1000) / 2) {
      return
    }
    await this.#serial(async () => {
      const current = this.#manifest?.expiresAt
      if (current !== undefined && Date.parse(current) - Date.now() <= (this.#expiresInSeconds * 1000) / 2) {
        await this.#change(() => undefined)
      }
    }).catch((error: unknown) => this.#logger.warn('could not re-issue the aging manifest', error))
  }

  #emit(type: EmulatorEventType, message: string, environment?: EnvironmentName): void {
    const event: EmulatorEvent = {
      id: ++this.#eventId,
      type,
      at: new Date().toISOString(),
      message,
      revision: this.revision,
      ...(environment === undefined ? {} : { environment, state: this.#control.states[environment].state }),
    }
    this.#history.push(event)
    if (this.#history.length > 500) {
      this.#history.shift()
    }
    if (type === 'manifest') {
      this.#logger.debug(message)
    } else {
      this.#logger.info(message)
    }
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (error) {
        this.#logger.warn('an event listener threw', error)
      }
    }
  }

  #handler(): Handler {
    return async (req: IncomingMessage, res: ServerResponse) => {
      const { path } = requestTarget(req)
      if (path === DISCOVERY_PATH) {
        await this.#refreshIfAging()
        this.#discovery.handle(req, res)
        return
      }
      if (path.startsWith('/api/')) {
        await this.#operator.handle(req, res, path)
        return
      }
      await this.#serveDemo(req, res, path)
    }
  }

  async #serveDemo(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, `${req.method} ${path}: the demo is read with GET.`)
    }
    const demo = join(this.#root, 'examples', 'demo')
    if (path === '/' || path === '/index.html') {
      if (await serveFile(req, res, demo, '/index.html')) {
        return
      }
      const text =
        `<!doctype html><meta charset="utf-8"><title>red5pro-bluegreen emulator</title>` +
        `<p>red5pro-bluegreen emulator: the demo page is not there yet; see <a href="/api/state">/api/state</a> and <a href="${DISCOVERY_PATH}">${DISCOVERY_PATH}</a>.</p>\n`
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      })
      res.end(req.method === 'HEAD' ? undefined : text)
      return
    }
    if (path.startsWith('/dist/')) {
      if (await serveFile(req, res, join(this.#root, 'dist'), path.slice('/dist'.length))) {
        return
      }
    } else if (await serveFile(req, res, demo, path)) {
      return
    }
    throw new HttpError(404, `Nothing at ${path}.`)
  }
}

/** Loads the werift media node on first use (never at import). */
const defaultMediaNode: MediaNodeFactory = async (options) => {
  const { startMediaNode } = await import('./mediaNode')
  return startMediaNode(options)
}

/**
 * Starts the emulated cluster. @internal Exposed as `startEmulator` by `red5pro-bluegreen/emulator`.
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for bad options or a port in use
 */
export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new EmulatorImpl(options, options.mediaNode ?? defaultMediaNode)
  await emulator.start(options)
  return emulator
}
