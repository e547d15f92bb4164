/**
 * One environment as the emulator runs it: a Stream Manager HTTP server on its own port and the media
 * node behind it, and how they die (`reset`: a crash; `silent`: a partition) and come back.
 * @internal
 */
import type { Logger } from '../environment'
import { BlueGreenError } from '../errors'
import type { StreamManagerApi } from '../types'
import { checkPort } from './checks'
import { RequestHold } from './hold'
import { LOOPBACK, startHttpServer, type HttpServerHandle } from './http'
import { withLatency } from './latency'
import { createStreamManager1Handler, sm1ErrorBody } from './streamManager1'
import { createStreamManager2Handler, sm2ErrorBody } from './streamManager2'
import type {
  EmulatedEnvironment,
  EmulatorEnvironmentOptions,
  EmulatorMediaNode,
  EnvironmentName,
  KillMode,
  MediaNodeFactory,
  StreamManagerContext,
} from './types'

/** What an environment's servers are started with, beside its own options. @internal */
export interface RuntimeSettings {
  readonly factory: MediaNodeFactory
  readonly logger: Logger
  /** The media node's logger (unscoped), if any. */
  readonly nodeLogger: Partial<Logger> | undefined
  /** Round-trip delay added to its Stream Manager's requests (latency.ts). */
  readonly latencyMs: number
}

/** One environment's servers. @internal */
export class EnvironmentRuntime {
  readonly name: EnvironmentName
  readonly api: StreamManagerApi
  readonly app: string
  readonly nodeGroup: string
  readonly region: string
  readonly #options: EmulatorEnvironmentOptions
  readonly #settings: RuntimeSettings
  /** Holds the Stream Manager's requests while silently killed. */
  readonly #hold = new RequestHold()
  #port: number
  #started = false
  #killed: KillMode | undefined
  node: EmulatorMediaNode | undefined
  server: HttpServerHandle | undefined

  constructor(name: EnvironmentName, options: EmulatorEnvironmentOptions, settings: RuntimeSettings) {
    this.name = name
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
    this.#settings = settings
  }

  /** True while it answers (started and not killed). */
  get alive(): boolean {
    return this.server !== undefined && this.#killed === undefined
  }

  /** How it was killed, until revived. */
  get killed(): KillMode | undefined {
    return this.#killed
  }

  get streamManager(): string {
    return `http://${LOOPBACK}:${this.#port}`
  }

  /** Starts the node, then the Stream Manager (on the last port used, or a new one if it is taken). */
  async start(): Promise<void> {
    const { factory, logger, nodeLogger, latencyMs } = this.#settings
    const node = await factory({
      name: `${this.name}-node`,
      host: LOOPBACK,
      port: this.#options.nodePort ?? 0,
      whepFlavour: this.#options.whepFlavour ?? 'auto',
      ...(nodeLogger ? { logger: nodeLogger } : {}),
    })
    const context: StreamManagerContext = {
      environment: this.name,
      nodeGroup: this.nodeGroup,
      region: this.region,
      logger,
      nodes: () => (this.node && this.alive ? [this.node] : []),
      baseUrl: () => this.streamManager,
    }
    const handler = this.#hold.wrap(
      withLatency(
        this.api === 'sm1' ? createStreamManager1Handler(context) : createStreamManager2Handler(context),
        latencyMs,
      ),
    )
    const settings = {
      logger,
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
      this.#killed = undefined
    } catch (error) {
      await node.close().catch(() => undefined)
      throw error
    }
  }

  /**
   * `reset`: abrupt stop (sockets reset, port closed, node killed). `silent`: a partition (Stream Manager
   * requests held unanswered, node frozen), every connection kept open.
   */
  async kill(mode: KillMode): Promise<void> {
    if (mode === 'silent') {
      this.#hold.freeze()
      this.node?.freeze?.()
      this.#killed = 'silent'
      return
    }
    this.#killed = 'reset'
    await this.#stop((node) => node.kill())
  }

  /** Back after a kill: a partition heals (same ports, same sessions), a crashed one starts afresh. */
  async revive(): Promise<void> {
    if (this.#killed === 'silent') {
      this.node?.thaw?.()
      this.#killed = undefined
      this.#hold.thaw()
      return
    }
    await this.start()
  }

  /** Graceful stop. */
  async close(): Promise<void> {
    await this.#stop((node) => node.close())
  }

  describe(
    state: Pick<EmulatedEnvironment, 'state' | 'drainDeadline'>,
    roles: readonly string[],
  ): EmulatedEnvironment {
    const node = this.node
    return {
      name: this.name,
      streamManager: this.streamManager,
      api: this.api,
      app: this.app,
      nodeGroup: this.nodeGroup,
      state: state.state,
      ...(state.drainDeadline === undefined ? {} : { drainDeadline: state.drainDeadline }),
      roles,
      alive: this.alive,
      ...(this.#killed === undefined ? {} : { killed: this.#killed }),
      ...(node ? { node: { name: node.name, serverAddress: node.serverAddress, url: node.url } } : {}),
    }
  }

  async #stop(stopNode: (node: EmulatorMediaNode) => Promise<void>): Promise<void> {
    const { server, node } = this
    this.server = undefined
    this.node = undefined
    await Promise.all([server?.close(), node ? stopNode(node) : undefined])
    // Requests held by a partition find their connections gone and end.
    this.#hold.thaw()
  }
}
