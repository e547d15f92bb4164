/**
 * The local blue/green cluster: a discovery endpoint, two environments (each a Stream Manager HTTP
 * server on its own port plus one media node acting as origin and edge), an operator API with an event
 * stream, and the demo page, all on 127.0.0.1. Every operator action publishes a new manifest revision
 * (validated with the client's own `validateManifest`, signed when asked) through one queue, so
 * revisions never interleave. This file is the public API and its queue; the rooms: types.ts and api.ts
 * (the types), runtime.ts (an environment's servers, kill and revive), publisher.ts (roles, states and
 * the manifest), deadlines.ts (drain deadlines), timeline.ts (events), demo.ts, signing.ts, checks.ts.
 * @internal Import it through `red5pro-bluegreen/emulator` (`startEmulator`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { format } from 'node:util'

import { scopedLogger, type Logger } from '../environment'
import { BlueGreenError, closedError } from '../errors'
import type { EnvironmentState, Manifest } from '../types'
import type { DrainOptions, Emulator, KillOptions } from './api'
import {
  checkEnvironment,
  checkKillMode,
  checkPort,
  checkSeconds,
  isoSeconds,
  MAX_DRAIN_SECONDS,
  NAMES,
} from './checks'
import { DrainDeadlines } from './deadlines'
import { packageRoot, serveDemo } from './demo'
import { DISCOVERY_PATH, DiscoveryEndpoint } from './discoveryServer'
import { requestTarget, startHttpServer, type Handler, type HttpServerHandle } from './http'
import { checkLatency, withLatency } from './latency'
import { OperatorApi } from './operatorApi'
import { ManifestPublisher, swapProduction, type Control } from './publisher'
import { EnvironmentRuntime } from './runtime'
import { signingKey } from './signing'
import { Timeline } from './timeline'
import type {
  EmulatedEnvironment,
  EmulatorEvent,
  EmulatorMediaNode,
  EmulatorOptions,
  EmulatorState,
  EnvironmentName,
  EnvironmentStatus,
  MediaNodeFactory,
} from './types'

function stderrLogger(): Partial<Logger> {
  const write = (message: string, ...data: unknown[]): void => {
    process.stderr.write(`${format(message, ...data)}\n`)
  }
  return { info: write, warn: write, error: write }
}

/** Its `failover` option as the first roles. */
function initialControl(failover: unknown): Control {
  const control: Control = {
    roles: { production: 'green', staging: 'blue' },
    states: { green: { state: 'serving' }, blue: { state: 'serving' } },
    previousProduction: undefined,
  }
  if (failover !== undefined) {
    const backup = checkEnvironment(failover)
    if (backup === control.roles.production) {
      throw new BlueGreenError(
        'INVALID_ARGUMENT',
        `startEmulator(): failover must name the environment that is not production (${backup} is), i.e. "blue".`,
      )
    }
    control.roles.failover = backup
  }
  return control
}

/** Sessions on an environment's node, for messages. */
function sessionCount(node: EmulatorMediaNode | undefined): number {
  const stats = node?.stats()
  return stats ? stats.publishers + stats.subscribers : 0
}

/** The emulator. @internal Use `startEmulator()`. */
class EmulatorImpl implements Emulator {
  readonly #logger: Logger
  readonly #runtimes: Record<EnvironmentName, EnvironmentRuntime>
  readonly #discovery = new DiscoveryEndpoint()
  readonly #operator: OperatorApi
  readonly #publisher: ManifestPublisher
  readonly #timeline: Timeline
  readonly #deadlines: DrainDeadlines
  readonly #drainSeconds: number
  readonly #latencyMs: number
  readonly #root = packageRoot()
  #server: HttpServerHandle | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #closing: Promise<void> | undefined

  constructor(options: EmulatorOptions, factory: MediaNodeFactory) {
    const raw = options.logger === false ? undefined : (options.logger ?? stderrLogger())
    this.#logger = scopedLogger(raw, 'emulator')
    const ttl = checkSeconds(options.ttl ?? 5, 'startEmulator(): ttl', 1, 3600)
    this.#drainSeconds = checkSeconds(
      options.drainSeconds ?? 30,
      'startEmulator(): drainSeconds',
      0,
      MAX_DRAIN_SECONDS,
    )
    const expiresInSeconds = checkSeconds(
      options.expiresInSeconds ?? 86_400,
      'startEmulator(): expiresInSeconds',
      60,
      366 * 86_400,
    )
    this.#latencyMs = checkLatency(options.latencyMs ?? 0, 'startEmulator(): latencyMs')
    const control = initialControl(options.failover)
    const settings = { factory, logger: this.#logger, nodeLogger: raw, latencyMs: this.#latencyMs }
    this.#runtimes = {
      green: new EnvironmentRuntime('green', options.green ?? {}, settings),
      blue: new EnvironmentRuntime('blue', options.blue ?? {}, settings),
    }
    this.#timeline = new Timeline(this.#logger, {
      revision: () => this.revision,
      stateOf: (name) => this.#publisher.control.states[name].state,
    })
    this.#deadlines = new DrainDeadlines((name, deadline) =>
      this.#timeline.emit(
        'deadline',
        `${name}'s drain deadline ${deadline} passed; it keeps serving its ${sessionCount(this.#runtimes[name].node)} session(s) until you kill it or set it offline`,
        name,
      ),
    )
    this.#publisher = new ManifestPublisher(
      {
        runtimes: this.#runtimes,
        discovery: this.#discovery,
        ttl,
        expiresInSeconds,
        onPublished: (manifest) => {
          this.#deadlines.arm(this.#publisher.control)
          if (manifest.revision > 1) {
            this.#timeline.emit('manifest', `published manifest revision ${manifest.revision}`)
          }
        },
      },
      control,
    )
    this.#operator = new OperatorApi(this)
  }

  async start(options: EmulatorOptions): Promise<void> {
    const port = checkPort(options.port ?? 0, 'startEmulator(): port')
    try {
      if (options.signed) {
        this.#publisher.signing = await signingKey(options.signed)
      }
      // Both settle before anything is torn down, so a half-started environment cannot outlive a failure.
      const started = await Promise.allSettled(NAMES.map((name) => this.#runtimes[name].start()))
      const failed = started.find((result) => result.status === 'rejected')
      if (failed) {
        throw failed.reason
      }
      await this.#publisher.publish(this.#publisher.control, 1)
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
    const { green, blue } = this.#runtimes
    this.#timeline.emit(
      'start',
      `emulator up at ${this.url}: production green (${green.api}) at ${green.streamManager}, staging blue (${blue.api}) at ${blue.streamManager}`,
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
    return { blue: this.#describe('blue'), green: this.#describe('green') }
  }

  get manifest(): Manifest {
    return this.#publisher.manifest!
  }

  get revision(): number {
    return this.#publisher.revision
  }

  get publicKey(): string | undefined {
    return this.#publisher.signing?.publicKey
  }

  get publicKeyPem(): string | undefined {
    return this.#publisher.signing?.publicKeyPem
  }

  get keyid(): string | undefined {
    return this.#publisher.signing?.keyid
  }

  node(environment: EnvironmentName): EmulatorMediaNode | undefined {
    return this.#runtimes[checkEnvironment(environment)].node
  }

  promote(environment: EnvironmentName, options: DrainOptions = {}): Promise<Manifest> {
    return this.#serial(async () => {
      const target = checkEnvironment(environment)
      const drainSeconds = this.#drain(options)
      const from = this.#publisher.control.roles.production!
      if (from === target) {
        throw new BlueGreenError('INVALID_ARGUMENT', `${target} is already production; nothing to promote.`, {
          environment: target,
        })
      }
      const manifest = await this.#publisher.change((draft) => swapProduction(draft, target, drainSeconds))
      this.#timeline.emit(
        'promote',
        `promoted ${target} to production; ${from} drains until ${this.#publisher.control.states[from].drainDeadline} (revision ${manifest.revision})`,
        target,
      )
      return manifest
    })
  }

  rollback(options: DrainOptions = {}): Promise<Manifest> {
    return this.#serial(async () => {
      const back = this.#publisher.control.previousProduction
      if (back === undefined) {
        throw new BlueGreenError('INVALID_ARGUMENT', 'Nothing to roll back: no environment was promoted yet.')
      }
      const drainSeconds = this.#drain(options)
      const from = this.#publisher.control.roles.production!
      const manifest = await this.#publisher.change((draft) => swapProduction(draft, back, drainSeconds))
      this.#timeline.emit(
        'rollback',
        `rolled back: ${back} is production again; ${from} drains until ${this.#publisher.control.states[from].drainDeadline} (revision ${manifest.revision})`,
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
      if (state === 'offline' && this.#publisher.control.roles.production === name) {
        throw new BlueGreenError(
          'INVALID_ARGUMENT',
          `${name} is production and production cannot be offline; promote the other environment first.`,
          { environment: name },
        )
      }
      const drainSeconds = this.#drain(options)
      const manifest = await this.#publisher.change((draft) => {
        draft.states[name] =
          state === 'draining'
            ? { state, drainDeadline: isoSeconds(Date.now() + drainSeconds * 1000) }
            : { state }
      })
      const deadline = this.#publisher.control.states[name].drainDeadline
      this.#timeline.emit(
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
      const manifest = await this.#publisher.change((draft) => {
        draft.roles = Object.fromEntries(Object.entries(draft.roles).filter(([name]) => name !== role))
        if (target !== null) {
          draft.roles[role] = target
        }
      })
      this.#timeline.emit(
        'role',
        target === null
          ? `removed the ${role} role (revision ${manifest.revision})`
          : `${role} is ${target} (revision ${manifest.revision})`,
        target ?? undefined,
      )
      return manifest
    })
  }

  kill(environment: EnvironmentName, options: KillOptions = {}): Promise<void> {
    return this.#serial(async () => {
      const runtime = this.#runtimes[checkEnvironment(environment)]
      const mode = checkKillMode((options as { mode?: unknown } | undefined)?.mode)
      if (runtime.killed === 'reset' || runtime.killed === mode) {
        this.#logger.info(`${runtime.name} is already killed (${runtime.killed})`)
        return
      }
      const sessions = sessionCount(runtime.node)
      await runtime.kill(mode)
      this.#timeline.emit(
        'kill',
        mode === 'silent'
          ? `killed ${runtime.name} silently: its Stream Manager and media node answer nothing and keep every connection open, its ${sessions} media session(s) get no packet (a partition); the manifest still lists it`
          : `killed ${runtime.name}: its Stream Manager refuses connections and its media node dropped ${sessions} session(s); the manifest still lists it`,
        runtime.name,
        { mode },
      )
    })
  }

  revive(environment: EnvironmentName): Promise<Manifest> {
    return this.#serial(async () => {
      const runtime = this.#runtimes[checkEnvironment(environment)]
      const killed = runtime.killed
      if (killed === undefined) {
        this.#logger.info(`${runtime.name} is alive; nothing to revive`)
        return this.manifest
      }
      const before = runtime.streamManager
      await runtime.revive()
      const moved = runtime.streamManager !== before
      const manifest = moved ? await this.#publisher.change(() => undefined) : this.manifest
      this.#timeline.emit(
        'revive',
        killed === 'silent'
          ? `revived ${runtime.name}: the partition healed; held requests are answered and its ${sessionCount(runtime.node)} media session(s) get their packets again`
          : `revived ${runtime.name} at ${runtime.streamManager}${moved ? ` (new port: revision ${manifest.revision})` : ''}`,
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
      this.#timeline.emit('discovery', fail ? 'discovery now answers 503' : 'discovery answers again')
    })
  }

  state(): EmulatorState {
    const status = (name: EnvironmentName): EnvironmentStatus => {
      const node = this.#runtimes[name].node
      const stats = node?.stats()
      return {
        ...this.#describe(name),
        streams: node?.streams() ?? [],
        publishers: stats?.publishers ?? 0,
        subscribers: stats?.subscribers ?? 0,
      }
    }
    const signing = this.#publisher.signing
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
      ...(signing ? { signing: { keyid: signing.keyid, publicKey: signing.publicKey } } : {}),
      environments: { green: status('green'), blue: status('blue') },
    }
  }

  history(): readonly EmulatorEvent[] {
    return this.#timeline.history()
  }

  onEvent(listener: (event: EmulatorEvent) => void): () => void {
    return this.#timeline.onEvent(listener)
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue
      this.#timeline.emit('close', 'emulator closing')
      await this.#shutdown()
      this.#timeline.clear()
    })()
    return this.#closing
  }

  #describe(name: EnvironmentName): EmulatedEnvironment {
    return this.#runtimes[name].describe(this.#publisher.control.states[name], this.#publisher.rolesOf(name))
  }

  async #shutdown(): Promise<void> {
    this.#deadlines.clear()
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

  /** Re-issues the manifest (a new revision, same content) when less than half its lifetime is left. */
  async #refreshIfAging(): Promise<void> {
    if (!this.#publisher.aging) {
      return
    }
    await this.#serial(async () => {
      if (this.#publisher.aging) {
        await this.#publisher.change(() => undefined)
      }
    }).catch((error: unknown) => this.#logger.warn('could not re-issue the aging manifest', error))
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
      await serveDemo(this.#root, req, res, path)
    }
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
