/**
 * Test support (never bundled): an in-memory blue/green "world" for session and swap tests. One manifest
 * server, one FakeDriver and one ManualClock shared by any number of clients, each a `FakeHost` (the
 * `SessionHost` the real client implements) with its own `SessionManager`. A Stream Manager here knows a
 * stream exists on an environment exactly when the FakeDriver holds an open publish of it there.
 * @internal
 */
import fc from 'fast-check'

import { BlueGreenError } from '../../errors'
import { type Environment, type Logger, memoryStorage } from '../../environment'
import { FakeDriver, type FakeDriverOptions } from '../drivers/fake'
import type { Driver } from '../drivers/Driver'
import type { HostResolveOptions, SessionHost } from '../host'
import { resolveSessionSettings, type MigrationOptions, type ResolvedSessionSettings } from '../options'
import type { ReconnectOptions, ReconnectPolicy } from '../ReconnectPolicy'
import { SessionManager } from '../SessionManager'
import { ManualClock } from '../../testing/ManualClock'
import type {
  Assignment,
  ConnectionParams,
  EnvironmentInfo,
  EnvironmentState,
  Manifest,
  ManifestEnvironment,
  SessionKind,
} from '../../types'

/** How a test describes one environment of a manifest. */
export interface EnvSpec {
  state?: EnvironmentState
  /** Drain deadline, in ms from the world's `now()` when the manifest is built. */
  deadlineInMs?: number
}

/** How a test describes a manifest. */
export interface ManifestSpec {
  revision: number
  roles: Record<string, string>
  environments: Record<string, EnvSpec>
  ttl?: number
}

/** A `[0, 1)` source from fast-check's seeded, unbiased integers (reproducible runs, no hand-made PRNG). */
export function seededRandom(seed: number): () => number {
  let pool: number[] = []
  let round = 0
  return () => {
    if (pool.length === 0) {
      pool = fc.sample(fc.noBias(fc.integer({ min: 0, max: 0xffff_ffff })), {
        seed: seed + round,
        numRuns: 4096,
      })
      round += 1
    }
    return pool.pop()! / 0x1_0000_0000
  }
}

/** A logger that keeps every line (tests assert on warnings and on listener errors). */
export function memoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = []
  const at = (level: string) => (message: string) => void lines.push({ level, message })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** Options of {@link FakeWorld.client}. */
export interface ClientSpec {
  /** A role (default `production`) or, with `pinned`, an environment name. */
  selector?: string
  pinned?: boolean
  reconnect?: ReconnectPolicy | ReconnectOptions
  migration?: MigrationOptions
  connectionParams?: ConnectionParams
}

/** The in-memory world. */
export class FakeWorld {
  readonly clock: ManualClock
  readonly driver: FakeDriver
  readonly random: () => number
  readonly logger = memoryLogger()
  readonly hosts: FakeHost[] = []
  /** Environments whose Stream Manager does not answer (STREAM_MANAGER_UNAVAILABLE). */
  readonly unreachable = new Set<string>()
  /** Every `resolve()` call, in order. */
  readonly resolveCalls: {
    environment: string
    kind: SessionKind
    streamName: string
    at: number
    /** Asked as a reconnect's call, which the client paces (HostResolveOptions.paced). */
    paced: boolean
  }[] = []
  /** When true, revalidations fail (clients keep their last good manifest). */
  discoveryDown = false
  private served: Manifest

  constructor(
    initial: ManifestSpec,
    options: { seed?: number; mediaStream?: FakeDriverOptions['mediaStream'] } = {},
  ) {
    this.clock = new ManualClock()
    this.driver = new FakeDriver(
      options.mediaStream ? { clock: this.clock, mediaStream: options.mediaStream } : { clock: this.clock },
    )
    this.random = seededRandom(options.seed ?? 1)
    this.served = this.build(initial)
  }

  /** The manifest discovery serves now. */
  get manifest(): Manifest {
    return this.served
  }

  /** Builds a manifest; deadlines are relative to `now()`. */
  build(spec: ManifestSpec): Manifest {
    const environments: Record<string, ManifestEnvironment> = {}
    for (const [name, env] of Object.entries(spec.environments)) {
      const base: ManifestEnvironment = {
        streamManager: `https://${name}-sm.example.com`,
        api: 'sm2',
        nodeGroup: 'default',
        app: 'live',
        transport: 'proxy',
        state: env.state ?? 'serving',
      }
      environments[name] =
        env.deadlineInMs === undefined
          ? base
          : { ...base, drainDeadline: new Date(this.clock.now() + env.deadlineInMs).toISOString() }
    }
    return {
      manifestVersion: 1,
      revision: spec.revision,
      ttl: spec.ttl ?? 15,
      roles: spec.roles,
      environments,
    }
  }

  /** Publishes a new manifest; every client reachable by discovery accepts it now. */
  publish(spec: ManifestSpec): Manifest {
    this.served = this.build(spec)
    if (!this.discoveryDown) {
      for (const host of this.hosts) {
        host.accept(this.served)
      }
    }
    return this.served
  }

  /** An environment dies: its Stream Manager stops answering and every connection on it drops. */
  kill(environment: string): void {
    this.unreachable.add(environment)
    this.driver.simulateDrop({ environment })
  }

  /** True when a publish of `streamName` is open on `environment`. */
  carries(environment: string, streamName: string): boolean {
    return this.driver.openCount({ kind: 'publish', environment, streamName }) > 0
  }

  /** A new client: its host and its session manager. */
  client(spec: ClientSpec = {}): { host: FakeHost; sessions: SessionManager } {
    const host = new FakeHost(this, spec)
    this.hosts.push(host)
    return { host, sessions: new SessionManager(host) }
  }
}

/** The `SessionHost` of one client of a {@link FakeWorld}. */
export class FakeHost implements SessionHost {
  readonly env: Environment
  readonly settings: ResolvedSessionSettings
  readonly pinned: boolean
  readonly selector: string
  /** When true, this client alone cannot reach discovery (it keeps its last good manifest). */
  discoveryDown = false
  private accepted: Manifest
  private readonly listeners = new Set<(manifest: Manifest, previous: Manifest | undefined) => void>()

  constructor(
    private readonly world: FakeWorld,
    spec: ClientSpec,
  ) {
    this.env = {
      fetch: () => Promise.reject(new Error('no network in tests')),
      clock: world.clock,
      random: world.random,
      storage: memoryStorage(),
      logger: world.logger,
    }
    this.settings = resolveSessionSettings(
      {
        reconnect: spec.reconnect,
        migration: spec.migration,
        connectionParams: spec.connectionParams,
      },
      world.random,
    )
    this.pinned = spec.pinned ?? false
    this.selector = spec.selector ?? 'production'
    this.accepted = world.manifest
  }

  /** How many `onManifest` listeners are registered (0 after the manager closed). */
  get listenerCount(): number {
    return this.listeners.size
  }

  accept(manifest: Manifest): void {
    if (this.discoveryDown || manifest.revision <= this.accepted.revision) {
      return
    }
    const previous = this.accepted
    this.accepted = manifest
    for (const listener of [...this.listeners]) {
      listener(manifest, previous)
    }
  }

  manifest(): Manifest {
    return this.accepted
  }

  select(manifest: Manifest): EnvironmentInfo {
    const byRole = this.pinned ? undefined : manifest.roles[this.selector]
    const name = byRole ?? this.selector
    const environment = manifest.environments[name]
    if (!environment || (this.pinned ? false : byRole === undefined)) {
      throw new BlueGreenError(
        'ENVIRONMENT_UNKNOWN',
        `No environment "${this.selector}" in revision ${manifest.revision}.`,
      )
    }
    if (environment.state === 'offline') {
      throw new BlueGreenError('ENVIRONMENT_OFFLINE', `Environment "${name}" is offline.`, {
        environment: name,
      })
    }
    const role =
      byRole === undefined
        ? Object.keys(manifest.roles).find((r) => manifest.roles[r] === name)
        : this.selector
    return {
      name,
      role,
      state: environment.state,
      streamManager: environment.streamManager,
      api: environment.api,
      revision: manifest.revision,
      ...(environment.drainDeadline === undefined ? {} : { drainDeadline: environment.drainDeadline }),
    }
  }

  async fresh(signal: AbortSignal): Promise<Manifest> {
    await this.revalidate()
    if (signal.aborted) {
      throw signal.reason
    }
    return this.accepted
  }

  async revalidate(): Promise<void> {
    await Promise.resolve()
    if (!this.world.discoveryDown) {
      this.accept(this.world.manifest)
    }
  }

  async resolve(
    environment: string,
    kind: SessionKind,
    streamName: string,
    signal: AbortSignal,
    options: HostResolveOptions = {},
  ): Promise<Assignment> {
    this.world.resolveCalls.push({
      environment,
      kind,
      streamName,
      at: this.world.clock.now(),
      paced: options.paced === true,
    })
    await Promise.resolve()
    if (signal.aborted) {
      throw new BlueGreenError('ABORTED', 'resolve aborted', { cause: signal.reason })
    }
    const env = this.accepted.environments[environment]
    if (!env) {
      throw new BlueGreenError('ENVIRONMENT_UNKNOWN', `No environment "${environment}".`, { environment })
    }
    if (env.state === 'offline') {
      throw new BlueGreenError('ENVIRONMENT_OFFLINE', `Environment "${environment}" is offline.`, {
        environment,
      })
    }
    if (this.world.unreachable.has(environment)) {
      throw new BlueGreenError(
        'STREAM_MANAGER_UNAVAILABLE',
        `The Stream Manager of "${environment}" does not answer.`,
        {
          environment,
        },
      )
    }
    if (kind === 'subscribe' && !this.world.carries(environment, streamName)) {
      throw new BlueGreenError('STREAM_NOT_FOUND', `Stream "${streamName}" is not on "${environment}".`, {
        environment,
        streamName,
      })
    }
    return {
      environment,
      kind,
      streamName,
      app: env.app,
      serverAddress: `${kind === 'publish' ? 'origin' : 'edge'}.${environment}.example.com`,
      nodeRole: kind === 'publish' ? 'origin' : 'edge',
      endpoint: `${env.streamManager}/as/v1/proxy/${kind === 'publish' ? 'whip' : 'whep'}/live/${streamName}`,
      transport: 'proxy',
      api: env.api,
    }
  }

  driverFor(): Promise<Driver> {
    return Promise.resolve(this.world.driver)
  }

  onManifest(listener: (manifest: Manifest, previous: Manifest | undefined) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
