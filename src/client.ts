/**
 * The client: knows at every moment which environment is production (or the role / environment it was
 * told to use), from a verified manifest, and hands out assignments and sessions on it.
 */
import { resolveEnvironment, type Environment } from './environment'
import { BlueGreenError, closedError, isBlueGreenError } from './errors'
import { Failover, type FailoverChange } from './failover'
import type { AnswerTimes } from './failoverHedge'
import type { EnvelopeVerifier } from './discovery/dsse'
import type { ClientEvents } from './events'
import type { LoadResult, ManifestLoader } from './discovery/loadManifest'
import { MAX_MANIFEST_BYTES } from './discovery/limits'
import { selectEnvironment } from './discovery/select'
import { fullJitterDelay } from './internal/backoff'
import { SafeEmitter } from './internal/emitter'
import { own } from './internal/own'
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './options'
import { linkSignal, raceAbort } from './session/abort'
import type { SessionHost } from './session/host'
import { Pacing } from './session/pacing'
import {
  resolveSessionSettings,
  type PublishOptions,
  type ResolvedSessionSettings,
  type SubscribeOptions,
} from './session/options'
import { SessionHandle, type PendingSession } from './session/handle'
import type { PublishSession, Session, SubscribeSession } from './session/Session'
import type { SessionManager } from './session/SessionManager'
import type { Assigner, ResolveOptions } from './streammanager'
import type { Assignment, EnvironmentInfo, Manifest, SessionKind } from './types'

/** Storage key prefix of the rollback record (DESIGN section 10). @internal */
export const STORAGE_PREFIX = 'red5pro-bluegreen:'

/**
 * A blue-green aware Red5 Pro client. Create it with {@link createClient}.
 *
 * Events: `manifest` (a new revision accepted), `environmentchange` (the selected environment's name or
 * state changed), `stale` (revalidation failing, last good manifest in use), `error`.
 */
export class BlueGreenClient extends SafeEmitter<ClientEvents> {
  /** @internal */
  readonly env: Environment
  /** @internal */
  readonly settings: ResolvedClientOptions
  #loader: Promise<ManifestLoader> | undefined
  #assigner: Promise<Assigner> | undefined
  readonly #abort = new AbortController()
  /** Stream Manager requests in flight, aborted by close(). */
  readonly #inFlight = new Set<AbortController>()
  #manifest: Manifest | undefined
  #environment: EnvironmentInfo | undefined
  #overrideUsed: string | undefined
  #validatedAt = Number.NEGATIVE_INFINITY
  #ready: Promise<EnvironmentInfo> | undefined
  #inflight: Promise<void> | undefined
  #timer: unknown
  #failures = 0
  /** Clock time of the next scheduled revalidation (the ttl timer, or the backoff after a failure). */
  #next = 0
  #closed = false
  #verifier: Promise<EnvelopeVerifier> | undefined
  #sessionSettings: ResolvedSessionSettings
  #sessionManager: Promise<SessionManager> | undefined
  #pacer: Pacing | undefined
  readonly #handles = new Set<SessionHandle>()
  #handleCount = 0
  readonly #manifestListeners = new Set<(manifest: Manifest, previous: Manifest | undefined) => void>()
  readonly #failover: Failover
  /** How fast each Stream Manager answered this client lately (what "overdue" means, DESIGN 11). */
  #answerTimes: AnswerTimes | undefined

  /** @internal Use {@link createClient}. */
  constructor(options: ClientOptions) {
    const settings = resolveClientOptions(options)
    const env = resolveEnvironment(options, 'client')
    super(env.logger)
    this.env = env
    this.settings = settings
    this.#sessionSettings = resolveSessionSettings(
      {
        reconnect: options.reconnect,
        migration: options.migration,
        connectionParams: settings.connectionParams,
        rtcConfiguration: settings.rtcConfiguration,
      },
      env.random,
    )
    this.#failover = new Failover(
      env,
      options.failover ?? {},
      () => this.#manifest,
      (change) => this.#onFailover(change),
    )
  }

  /** The discovery pipeline (ky, the validator, the loader), loaded on the first `ready()`. */
  #discovery(): Promise<ManifestLoader> {
    const { env, settings } = this
    this.#loader ??= Promise.all([import('./discovery/loadManifest'), import('./internal/http')]).then(
      ([{ ManifestLoader, tooLarge, crossOrigin }, { createHttp }]) => {
        const http = createHttp(env, {
          buffer: { maxBytes: MAX_MANIFEST_BYTES, tooLarge, crossOrigin },
          timeoutMs: settings.timeoutMs,
          retries: 1,
          backoffBaseMs: 200,
          backoffCapMs: 2_000,
          maxRetryAfterMs: 2_000,
        })
        const keys = settings.trustedKeys
        return new ManifestLoader(env, http, {
          urls: settings.urls,
          rules: { allowedHosts: settings.allowedHosts, allowInsecure: settings.allowInsecure },
          timeoutMs: settings.timeoutMs,
          verifier:
            keys.length === 0
              ? undefined
              : () =>
                  (this.#verifier ??= import('./discovery/dsse').then(
                    (m) => new m.EnvelopeVerifier(keys, settings.threshold),
                  )),
          storageKey: STORAGE_PREFIX + (settings.urls[0] ?? 'inline'),
        })
      },
    )
    return this.#loader
  }

  /** The selected environment, once a manifest has been accepted. */
  get environment(): EnvironmentInfo | undefined {
    return this.#environment
  }

  /** The accepted manifest (read-only), once there is one. */
  get manifest(): Manifest | undefined {
    return this.#manifest
  }

  /** True after {@link BlueGreenClient.close}. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Loads and verifies the manifest (once) and resolves with the selected environment.
   * @throws {BlueGreenError} `DISCOVERY_UNAVAILABLE`, `MANIFEST_*`, `HOST_NOT_ALLOWED`, `ENVIRONMENT_UNKNOWN`, `CLOSED`
   */
  ready(): Promise<EnvironmentInfo> {
    if (this.#closed) {
      return Promise.reject(closedError('This client'))
    }
    if (this.#environment && this.#manifest && !this.#expired(this.#manifest)) {
      return Promise.resolve(this.#environment)
    }
    this.#ready ??= this.#revalidate(true).then(
      () => this.#selected(),
      (error: unknown) => {
        this.#ready = undefined
        throw error
      },
    )
    return this.#ready
  }

  /**
   * Revalidates the manifest now and resolves with the selected environment. When revalidation fails but
   * the last good manifest is still valid, resolves with it (and `stale` is emitted).
   * @throws {BlueGreenError} as {@link BlueGreenClient.ready} when no valid manifest is held
   */
  async refresh(): Promise<EnvironmentInfo> {
    if (this.#closed) {
      throw closedError('This client')
    }
    await this.#revalidate(this.#manifest === undefined)
    return this.#selected()
  }

  /**
   * Asks the selected environment's Stream Manager for a node: an origin to publish to or an edge to
   * subscribe from. Uses a manifest no older than its ttl.
   * @throws {BlueGreenError} `INVALID_ARGUMENT`, `ENVIRONMENT_OFFLINE`, `STREAM_NOT_FOUND`, `NO_CAPACITY`,
   * `STREAM_MANAGER_UNAVAILABLE`, `STREAM_MANAGER_INVALID_RESPONSE`, `HOST_NOT_ALLOWED`, `TIMEOUT`, `ABORTED`
   */
  async resolve(streamName: string, kind: SessionKind, options: ResolveOptions = {}): Promise<Assignment> {
    const manifest = await this.fresh()
    const selected = this.select(manifest)
    return this.resolveOn(selected.name, kind, streamName, options)
  }

  /** Resolves on a named environment of the current manifest. @internal */
  resolveOn(
    environment: string,
    kind: SessionKind,
    streamName: string,
    options: ResolveOptions = {},
  ): Promise<Assignment> {
    if (this.#closed) {
      return Promise.reject(closedError('This client'))
    }
    if (kind !== 'publish' && kind !== 'subscribe') {
      return Promise.reject(
        new BlueGreenError(
          'INVALID_ARGUMENT',
          `resolve(): kind must be 'publish' or 'subscribe', got ${String(kind)}.`,
        ),
      )
    }
    const manifest = this.#manifest
    const target = manifest && own(manifest.environments, environment)
    if (!manifest || !target) {
      return Promise.reject(
        new BlueGreenError(
          'ENVIRONMENT_UNKNOWN',
          `Environment "${environment}" is not in the accepted manifest.`,
          {
            environment,
          },
        ),
      )
    }
    if (target.state === 'offline') {
      return Promise.reject(
        new BlueGreenError(
          'ENVIRONMENT_OFFLINE',
          `Environment "${environment}" is offline in manifest revision ${manifest.revision}; it takes no sessions.`,
          { environment, revision: manifest.revision },
        ),
      )
    }
    // Loaded on first use: apps that only read the manifest never pay for the Stream Manager clients.
    this.#assigner ??= import('./streammanager').then(({ createAssigner }) =>
      createAssigner(this.env, {
        timeoutMs: this.settings.timeoutMs,
        allowedHosts: this.settings.allowedHosts,
        allowInsecure: this.settings.allowInsecure,
      }),
    )
    // close() aborts the requests in flight (CLOSED at once, no retry), as does the caller's own signal.
    // Held in a set rather than as listeners on one close signal: a page's 100 reconnecting sessions would
    // hang 100 listeners on it (Node warns past 10: MaxListenersExceededWarning).
    const controller = new AbortController()
    this.#inFlight.add(controller)
    const caller = options.signal
    // Not a signal: left as is for the assigner to refuse with INVALID_ARGUMENT.
    const linkable = caller === undefined || typeof caller.addEventListener === 'function'
    const unlinkCaller = linkable ? linkSignal(caller, controller, () => caller?.reason) : () => undefined
    const signal = linkable ? controller.signal : caller
    return this.#assigner
      .then((assigner) => assigner.resolve(environment, target, streamName, kind, { ...options, signal }))
      .finally(() => {
        this.#inFlight.delete(controller)
        unlinkCaller()
      })
  }

  /**
   * Publishes a stream on the selected environment; the promise resolves once media flows, and carries the
   * session from the first moment as `.session` (see {@link PendingSession}). The session reconnects after
   * drops and moves make-before-break when a promotion moves its role away.
   *
   * @example
   * ```ts
   * const pending = client.publish({ streamName: 'stage-1', mediaStream: camera })
   * pending.session.on('statechange', ({ to }) => badge(to)) // 'connecting' now, then 'live', ...
   * const live = await pending                              // the same session, once media flows
   * ```
   * @throws {BlueGreenError} `INVALID_ARGUMENT`, `ENVIRONMENT_OFFLINE`, `NO_CAPACITY`, `STREAM_MANAGER_UNAVAILABLE`,
   * `DRIVER_UNAVAILABLE`, `MEDIA_FAILED`, `ABORTED`, `CLOSED` (the session or the client was closed first),
   * and the codes of {@link BlueGreenClient.ready}
   */
  publish(options: PublishOptions): PendingSession<PublishSession> {
    return this.#pending('publish', options)
  }

  /**
   * Plays a stream from the selected environment (or a draining one that still carries it); the promise
   * resolves once media flows, and carries the session from the first moment as `.session`. With
   * `waitForStream`, the session stays `connecting` and emits `waiting` until the stream is published.
   * Reconnects after drops and moves make-before-break during swaps.
   *
   * @example
   * ```ts
   * const viewer = client.subscribe({ streamName: 'stage-1', mediaElement: video, waitForStream: true }).session
   * viewer.on('waiting', () => show('Waiting for the broadcaster'))
   * viewer.on('statechange', ({ to }) => show(to))
   * // unmount / stop button, at any moment:
   * await viewer.close()
   * ```
   * @throws {BlueGreenError} `STREAM_NOT_FOUND` (unless `waitForStream`), and the codes of {@link BlueGreenClient.publish}
   */
  subscribe(options: SubscribeOptions): PendingSession<SubscribeSession> {
    return this.#pending('subscribe', options)
  }

  /** The sessions that have started and are neither closed nor failed, oldest first. */
  get sessions(): readonly Session[] {
    // Terminal handles leave the set; a connecting one has never had a connection yet.
    return [...this.#handles].filter((handle) => !/^(connecting|closed|failed)$/.test(handle.state))
  }

  /** A session handle at once; the session layer is loaded and started behind it (handle.ts). */
  #pending<S extends Session>(
    kind: SessionKind,
    options: PublishOptions | SubscribeOptions,
  ): PendingSession<S> {
    this.#handleCount += 1
    const handle = new SessionHandle(
      `${kind}-${this.#handleCount}`,
      kind,
      options,
      this.env.logger,
      this.#handles,
    )
    return handle.run<S>(async (attach, abort) => {
      // The caller's signal covers the wait for discovery and for the session code too.
      const signal = options?.signal
      const loading = raceAbort(this.#sessions(), abort, 'Start-up')
      const manager = await (signal?.addEventListener ? raceAbort(loading, signal, 'Start-up') : loading)
      if (abort.aborted) {
        throw abort.reason
      }
      return manager[kind](options as PublishOptions & SubscribeOptions, { id: handle.id, attach })
    })
  }

  /** This client's pacing of its sessions' reconnect calls (session/pacing.ts), made with the first. */
  #pacing(): Pacing {
    this.#pacer ??= new Pacing(this.env.clock, this.env.random)
    return this.#pacer
  }

  /** The session layer, loaded with the first session (it is the heaviest part of the library). */
  async #sessions(): Promise<SessionManager> {
    if (this.#closed) {
      throw closedError('This client')
    }
    await this.ready()
    this.#sessionManager ??= Promise.all([
      import('./session/SessionManager'),
      import('./session/drivers/auto'),
    ]).then(([{ SessionManager }, { createDriverPicker }]) => {
      return new SessionManager(
        this.#host(createDriverPicker(this.env, this.settings.driver, this.settings.red5proSdk)),
      )
    })
    return this.#sessionManager
  }

  /** The seam the session layer sees (STYLE principle 4): it never touches discovery or Stream Managers. */
  #host(driverFor: SessionHost['driverFor']): SessionHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const client = this
    return {
      env: this.env,
      settings: this.#sessionSettings,
      get pinned() {
        const manifest = client.#manifest
        return manifest ? client.pinnedIn(manifest) : false
      },
      manifest: () => this.#manifest,
      select: (manifest) => this.#sessionTarget(manifest),
      fresh: (signal) => raceAbort(this.fresh(), signal, 'Waiting for the discovery manifest'),
      // Never rejects (DESIGN 5.1: the last good manifest serves while discovery fails).
      revalidate: (force) =>
        force || this.#due() ? this.#revalidate(false).catch(() => undefined) : Promise.resolve(),
      resolve: async (environment, kind, streamName, signal, { connectionParams, paced } = {}) => {
        const options = { signal, ...(connectionParams === undefined ? {} : { connectionParams }) }
        // A reconnect's every Stream Manager request takes a turn of this client's pacing: the hedge's and
        // the failover's calls to the backup too, which would otherwise all go the moment the shared
        // confirmation resolves (500 sessions: 190 requests in 250 ms on the backup).
        const turn = paced ? (s: AbortSignal) => this.#pacing().turn(s) : undefined
        try {
          return await this.#resolveHedged(environment, kind, streamName, options, turn)
        } catch (error) {
          // An unreachable production (DESIGN 11): fail over and answer from the backup at once.
          const manifest = this.#manifest
          if (manifest === undefined || this.pinnedIn(manifest) || signal.aborted || this.#closed) {
            throw error
          }
          const backup = await this.#failover.report(manifest, environment, error)
          if (backup === undefined || backup === environment) {
            throw error
          }
          await turn?.(signal)
          return this.resolveOn(backup, kind, streamName, options)
        }
      },
      failoverPartner: (manifest, environment) =>
        this.pinnedIn(manifest)
          ? undefined
          : this.#failover.partner(
              manifest,
              selectEnvironment(manifest, this.#selector(manifest)).name,
              environment,
            ),
      failoverInFlux: () => this.#failover.inFlux(),
      connectionInDoubt: (environment) => this.#inDoubt(environment),
      driverFor,
      onManifest: (listener) => {
        this.#manifestListeners.add(listener)
        return () => void this.#manifestListeners.delete(listener)
      },
    }
  }

  /**
   * `resolveOn` for a session, timed, and hedged while a backup exists (DESIGN 11, failoverHedge.ts).
   * Loaded with the first session's call, so `createClient` alone does not carry it.
   */
  async #resolveHedged(
    environment: string,
    kind: SessionKind,
    streamName: string,
    options: ResolveOptions & { signal: AbortSignal },
    turn: ((signal: AbortSignal) => Promise<void>) | undefined,
  ): Promise<Assignment> {
    const { AnswerTimes, resolveHedged } = await import('./failoverHedge')
    this.#answerTimes ??= new AnswerTimes()
    const manifest = this.#manifest
    return resolveHedged(
      {
        clock: this.env.clock,
        manifest,
        pinned: manifest !== undefined && this.pinnedIn(manifest),
        failover: this.#failover,
        times: this.#answerTimes,
        turn,
        resolveOn: (where, signal) => this.resolveOn(where, kind, streamName, { ...options, signal }),
      },
      environment,
      options.signal,
    )
  }

  /**
   * A session's connection on `environment` may be lost (DESIGN 11): the failover probes that Stream
   * Manager now, as long as an overdue call on it would wait, and fails over if it does not answer while
   * the backup does. Never for a pinned client; only once this client has timed its sessions' calls (the
   * answer times say how long "overdue" is).
   */
  #inDoubt(environment: string): void {
    const manifest = this.#manifest
    const times = this.#answerTimes
    if (manifest === undefined || times === undefined || this.#closed || this.pinnedIn(manifest)) {
      return
    }
    const streamManager = own(manifest.environments, environment)?.streamManager
    if (streamManager !== undefined) {
      this.#failover.foresee(manifest, environment, times.overdueAfterMs(streamManager))
    }
  }

  /** Where sessions of this client belong in `manifest`; offline (or a vanished pinned one) is an error. */
  #sessionTarget(manifest: Manifest): EnvironmentInfo {
    let selected: EnvironmentInfo
    try {
      selected = this.select(manifest)
    } catch (error) {
      if (
        isBlueGreenError(error, 'ENVIRONMENT_UNKNOWN') &&
        this.#environment?.name === this.settings.environment
      ) {
        throw new BlueGreenError(
          'ENVIRONMENT_OFFLINE',
          `Environment "${this.settings.environment}" is no longer in manifest revision ${manifest.revision}; sessions pinned to it end.`,
          { environment: this.settings.environment, revision: manifest.revision, cause: error },
        )
      }
      throw error
    }
    if (selected.state === 'offline') {
      throw new BlueGreenError(
        'ENVIRONMENT_OFFLINE',
        `Environment "${selected.name}" is offline in manifest revision ${manifest.revision}; it takes no sessions.`,
        { environment: selected.name, revision: manifest.revision },
      )
    }
    return selected
  }

  /**
   * A manifest no older than its ttl: revalidates first when older; on failure, the last good one.
   * @internal
   */
  async fresh(): Promise<Manifest> {
    await this.ready()
    if (this.#due()) {
      await this.#revalidate(false)
    }
    return this.#current()
  }

  /**
   * True when the (accepted) manifest is at least its ttl old and the client's own next revalidation is
   * due: after a failure that is its jittered backoff, so the last good manifest serves meanwhile and many
   * sessions never multiply the requests to a failing discovery server.
   */
  #due(): boolean {
    const now = this.env.clock.now()
    return now - this.#validatedAt >= this.#manifest!.ttl * 1000 && now >= this.#next
  }

  /** What the client's selector picks in `manifest` (override first). @internal */
  select(manifest: Manifest): EnvironmentInfo {
    const selected = selectEnvironment(manifest, this.#selector(manifest))
    // DESIGN 11: while production is unreachable, role-selected clients use roles.failover (never a pinned one).
    if (!this.pinnedIn(manifest) && this.#failover.redirect(manifest, selected.name) !== selected.name) {
      return selectEnvironment(manifest, 'failover')
    }
    return selected
  }

  /** True when the client is pinned to an environment by name (QA), not following a role. @internal */
  pinnedIn(manifest: Manifest): boolean {
    const selector = this.#selector(manifest)
    return !Object.hasOwn(manifest.roles, selector)
  }

  /**
   * Stops revalidation, aborts requests in flight, closes every session and removes all listeners.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) {
      return
    }
    this.#closed = true
    this.env.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#abort.abort(closedError('This client'))
    for (const controller of this.#inFlight) {
      controller.abort(closedError('This client'))
    }
    this.#inFlight.clear()
    this.#failover.close()
    const pending = [...this.#handles].map((handle) => handle.close())
    const manager = await this.#sessionManager?.catch(() => undefined)
    await Promise.all([manager?.close(), ...pending])
    this.#manifestListeners.clear()
    this.removeAllListeners()
  }

  #current(): Manifest {
    const manifest = this.#manifest
    if (!manifest) {
      throw new BlueGreenError(
        'DISCOVERY_UNAVAILABLE',
        'No discovery manifest has been accepted yet; call ready().',
      )
    }
    if (this.#expired(manifest)) {
      throw new BlueGreenError(
        'MANIFEST_EXPIRED',
        `The last accepted manifest (revision ${manifest.revision}) expired at ${manifest.expiresAt} and no fresh one could be loaded.`,
        { revision: manifest.revision },
      )
    }
    return manifest
  }

  #selected(): EnvironmentInfo {
    const manifest = this.#current()
    // Unset when the selector matched nothing in this revision: selecting again throws the reason.
    this.#environment ??= this.select(manifest)
    return this.#environment
  }

  #expired(manifest: Manifest): boolean {
    return manifest.expiresAt !== undefined && Date.parse(manifest.expiresAt) <= this.env.clock.now()
  }

  #selector(manifest: Manifest): string {
    return this.#honouredOverride(manifest) ?? this.settings.environment
  }

  /** The override when `manifest` has it as a role or an environment (own keys only), else undefined. */
  #honouredOverride(manifest: Manifest): string | undefined {
    const override = this.#readOverride()
    if (override === undefined) {
      return undefined
    }
    if (Object.hasOwn(manifest.roles, override) || Object.hasOwn(manifest.environments, override)) {
      return override
    }
    this.env.logger.warn(
      `ignoring override "${override}": it is neither a role nor an environment of the manifest`,
    )
    return undefined
  }

  #readOverride(): string | undefined {
    const { queryParam, storageKey } = this.settings.overrides
    if (queryParam) {
      try {
        const search = (globalThis as { location?: { search?: string } }).location?.search
        const value = search ? new URLSearchParams(search).get(queryParam) : null
        if (value) {
          return value.trim().toLowerCase()
        }
      } catch {
        // no location (Node, workers): no override
      }
    }
    if (storageKey) {
      try {
        const value = this.env.storage.getItem(storageKey)
        if (value) {
          return value.trim().toLowerCase()
        }
      } catch {
        // storage blocked: no override
      }
    }
    return undefined
  }

  /** One revalidation at a time; callers share it. */
  #revalidate(initial: boolean): Promise<void> {
    if (this.#closed) {
      return Promise.reject(closedError('This client'))
    }
    this.#inflight ??= this.#runRevalidation(initial).finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #runRevalidation(initial: boolean): Promise<void> {
    this.env.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    let result: LoadResult
    try {
      const loader = await this.#discovery()
      if (this.settings.urls.length === 0) {
        if (this.#manifest) {
          result = { kind: 'not-modified', url: 'inline' }
        } else {
          const body = new TextEncoder().encode(JSON.stringify(this.settings.inline))
          result = await loader.accept(body, undefined, undefined)
        }
      } else {
        result = await loader.load(this.#abort.signal)
      }
      if (result.kind === 'not-modified') {
        this.#current()
      }
    } catch (error) {
      if (this.#closed) {
        throw closedError('This client')
      }
      this.#onFailure(error)
      // Keep serving the last good manifest while it is valid; otherwise the caller sees the error.
      if (initial || !this.#manifest) {
        throw error
      }
      if (this.#expired(this.#manifest)) {
        this.#current()
      }
      return
    }
    if (this.#closed) {
      return
    }
    this.#failures = 0
    this.#validatedAt = this.env.clock.now()
    if (result.kind === 'accepted') {
      this.#adopt(result.manifest)
    }
    this.#schedule(this.#manifest!.ttl * 1000 * (0.9 + 0.1 * this.env.random()))
  }

  #onFailure(error: unknown): void {
    const failure = isBlueGreenError(error)
      ? error
      : new BlueGreenError('DISCOVERY_UNAVAILABLE', `Revalidation failed: ${String(error)}`, { cause: error })
    this.#failures++
    const manifest = this.#manifest
    if (manifest && !this.#expired(manifest)) {
      this.env.logger.warn(`revalidation failed (${failure.code}); keeping revision ${manifest.revision}`)
      this.safeEmit('stale', { error: failure, revision: manifest.revision })
      if (failure.code !== 'DISCOVERY_UNAVAILABLE') {
        this.safeEmit('error', failure)
      }
    } else {
      this.safeEmit('error', failure)
    }
    if (manifest) {
      // Retry with capped exponential backoff and full jitter, never slower than the ttl.
      const cap = Math.min(manifest.ttl * 1000, 30_000)
      this.#schedule(Math.max(250, fullJitterDelay(this.#failures, 1_000, cap, this.env.random)))
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed) {
      return
    }
    this.env.clock.clearTimeout(this.#timer)
    this.#next = this.env.clock.now() + delayMs
    this.#timer = this.env.clock.setTimeout(() => {
      this.#timer = undefined
      this.#revalidate(false).catch((error: unknown) =>
        this.env.logger.debug('background revalidation failed', error),
      )
    }, delayMs)
  }

  /** Announces a failover or a return (DESIGN 11) and lets the session layer move sessions accordingly. */
  #onFailover(change: FailoverChange): void {
    const manifest = this.#manifest
    if (manifest === undefined || this.#closed) {
      return
    }
    const previous = this.#environment
    const current = this.select(manifest)
    this.#environment = current
    this.safeEmit('environmentchange', {
      ...(previous === undefined ? {} : { previous }),
      current,
      reason: change,
    })
    for (const listener of [...this.#manifestListeners]) {
      try {
        listener(manifest, manifest)
      } catch (error) {
        this.env.logger.warn(`a manifest listener threw on ${change}`, error)
      }
    }
  }

  #adopt(manifest: Manifest): void {
    const previousManifest = this.#manifest
    const previous = this.#environment
    if (previousManifest?.revision === manifest.revision) {
      return
    }
    this.#manifest = manifest
    this.#failover.endForRevision(manifest.revision)
    let current: EnvironmentInfo
    try {
      current = this.select(manifest)
    } catch (error) {
      // The environment this client is pinned to left the manifest: it is gone, so report it offline.
      if (!previous) {
        throw error
      }
      this.safeEmit('error', error as BlueGreenError)
      current = { ...previous, state: 'offline', revision: manifest.revision }
    }
    this.#environment = current
    this.env.logger.info(
      `accepted manifest revision ${manifest.revision}; using ${current.name} (${current.state})`,
    )
    this.safeEmit('manifest', { manifest, revision: manifest.revision })
    const override = this.#honouredOverride(manifest)
    const overrideChanged = override !== this.#overrideUsed
    this.#overrideUsed = override
    if (!previous || previous.name !== current.name || previous.state !== current.state) {
      this.safeEmit('environmentchange', {
        ...(previous === undefined ? {} : { previous }),
        current,
        reason: override !== undefined && overrideChanged ? 'override' : 'manifest',
      })
    }
    // The session layer (swap coordinator) reacts to the new revision; manifest() already returns it.
    for (const listener of [...this.#manifestListeners]) {
      try {
        listener(manifest, previousManifest)
      } catch (error) {
        this.env.logger.warn(`a manifest listener threw on revision ${manifest.revision}`, error)
      }
    }
  }
}

/**
 * Creates a client. Nothing happens until {@link BlueGreenClient.ready} (or a method that needs the
 * manifest) is called.
 *
 * @example
 * ```ts
 * const client = createClient({
 *   discovery: 'https://cdn.example.com/streaming/discovery.json',
 *   allowedHosts: ['*.example.com'],
 * })
 * const env = await client.ready() // { name: 'green', role: 'production', state: 'serving', ... }
 * ```
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for unusable options
 */
export function createClient(options: ClientOptions): BlueGreenClient {
  return new BlueGreenClient(options)
}
