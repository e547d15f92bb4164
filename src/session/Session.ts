/**
 * A publish or subscribe session: one logical stream that survives drops, reconnects and migrations
 * between environments. The lifecycle is the table in `machine.ts`; this file runs its effects.
 *
 * Async work is serialised through ONE current operation (start-up, reconnect loop or move) with its own
 * AbortController: starting a new one aborts the previous, and `close()` aborts whatever runs, so a late
 * result can never resurrect a closed or superseded session (a driver session that arrives late is closed).
 */
import { abortedError, BlueGreenError, closedError, isBlueGreenError } from '../errors'
import { SafeEmitter } from '../internal/emitter'
import type { EventArgs, TypedEmitter } from '../typedEmitter'
import type { Assignment, ConnectionParams, EnvironmentInfo, SessionKind } from '../types'
import { abortReason, linkSignal, raceAbort } from './abort'
import type { DriverSession, SignalingTarget } from './drivers/Driver'
import type { SessionEventMap } from './events'
import type { SessionHost } from './host'
import { Locator } from './locate'
import { isTerminal, type SessionEffect, type SessionInput, type SessionState, transition } from './machine'
import { attachMedia, createMediaStream, hasMediaStream, replaceTracks, stopTracks } from './media'
import { reconnectLoop } from './reconnect'
import { asBlueGreenError } from './recovery'
import { relayLiveness } from './stall'

/**
 * One stream being published or played, kept alive across drops and blue-green swaps. Get one from
 * `client.publish()` or `client.subscribe()`.
 *
 * @example
 * ```ts
 * const session = await client.subscribe({ streamName: 'stage-1', mediaElement: video })
 * session.on('migrated', ({ from, to, interruptionMs }) => log(`moved ${from} -> ${to}, gap ${interruptionMs} ms`))
 * session.on('failed', (error) => showError(error.code))
 * // later
 * await session.close()
 * ```
 */
export interface Session extends TypedEmitter<SessionEventMap> {
  /** Unique within its client, e.g. `subscribe-3`. */
  readonly id: string
  /** `publish` or `subscribe`. */
  readonly kind: SessionKind
  /** The stream name as given. */
  readonly streamName: string
  /** Name of the environment that carries the session now (changes when it migrates). */
  readonly environment: string
  /** Where the session is connected now, as the Stream Manager assigned it. */
  readonly assignment: Assignment
  /** The lifecycle state; see `statechange`. */
  readonly state: SessionState
  /**
   * Publish: the local media being sent. Subscribe: the remote media; where `MediaStream` exists this is
   * one object for the whole session (its tracks are swapped on reconnects and migrations).
   */
  readonly mediaStream: MediaStream | undefined
  /**
   * Closes the session: aborts any attempt in flight, closes every connection, clears every timer, emits
   * `closed` and removes all listeners. Idempotent; safe in any state; always resolves.
   */
  close(): Promise<void>
  /**
   * Moves the session now, make-before-break, to the environment the client currently selects (instead of
   * waiting for its turn in a swap). Resolves at once when it is already there; while reconnecting, resolves
   * once recovery (which targets the selected environment anyway) is done.
   * @throws {BlueGreenError} `CLOSED` when the session is closed or failed; `ABORTED` when a newer revision
   *   or `close()` supersedes the move; the resolve or connect error of the new environment otherwise (the
   *   session then stays where it was and keeps playing)
   */
  migrate(): Promise<void>
}

/** A session sending media (WHIP). */
export interface PublishSession extends Session {
  /** Always `publish`. */
  readonly kind: 'publish'
}

/** A session receiving media (WHEP). */
export interface SubscribeSession extends Session {
  /** Always `subscribe`. */
  readonly kind: 'subscribe'
}

/** What a session reports to the code that manages it. @internal */
export interface SessionHooks {
  /** Called after every state change (after `statechange` listeners). */
  onStateChange(session: ManagedSession, from: SessionState, to: SessionState): void
  /** `session.migrate()`: the swap coordinator decides where and runs the move. */
  requestMove(session: ManagedSession): Promise<void>
  /** The session reached a terminal state and dropped its listeners. */
  dispose(session: ManagedSession): void
}

/** The media-related options a session keeps. @internal */
export interface SessionMediaOptions {
  readonly mediaStream?: MediaStream | undefined
  readonly mediaElement?: HTMLMediaElement | undefined
  readonly connectionParams?: ConnectionParams | undefined
  readonly waitForStream?: boolean | undefined
}

/** How a move should be made. @internal */
export interface MovePlan {
  /** Why (for statechange and logs). */
  readonly reason: string
  /** Publishers: keep the old publish this long after the new one is live (0: close it at once). */
  readonly retireAfterMs: number
}

interface Operation {
  readonly kind: 'start' | 'reconnect' | 'move'
  readonly controller: AbortController
  /** Target environment of a move. */
  readonly to?: string
  promise?: Promise<void>
}

interface Connection {
  readonly driverSession: DriverSession
  readonly assignment: Assignment
}

interface Retiring extends Connection {
  readonly timer: unknown
}

interface DispatchDetail {
  reason?: string
  error?: BlueGreenError
}

const BEFORE_STATE_CHANGE: ReadonlySet<SessionEffect> = new Set<SessionEffect>([
  'abortOperation',
  'releaseCurrent',
  'releaseAll',
  'markInterrupted',
])

/**
 * The implementation of {@link PublishSession} and {@link SubscribeSession}. Only the session manager and
 * the swap coordinator create and steer it.
 * @internal
 */
export class ManagedSession extends SafeEmitter<SessionEventMap> implements Session {
  readonly id: string
  readonly kind: SessionKind
  readonly streamName: string
  /** Also receives every event, after this session's own listeners (the app's handle, handle.ts). @internal */
  mirror: ((event: keyof SessionEventMap, args: readonly unknown[]) => void) | undefined

  private stateValue: SessionState = 'connecting'
  private current: Connection | undefined
  private readonly retiring = new Set<Retiring>()
  private readonly released = new WeakSet<DriverSession>()
  /** Connections whose driver reported an end: never kept as a retiring publish, never taken back. */
  private readonly ended = new WeakSet<DriverSession>()
  private readonly releases = new Set<Promise<void>>()
  private op: Operation | undefined
  /** When media stopped during a move (old connection dropped, or closed first without make-before-break). */
  private interruptedAt: number | undefined
  /** When the connection was lost, for `reconnected.downtimeMs`. */
  private lostAt: number | undefined
  /** The current connection's media stopped while its path stayed alive (between `stalled` and `resumed`). */
  private stalledNow = false
  private closing: Promise<void> | undefined
  private localStream: MediaStream | undefined
  private ownsLocalStream = false
  private remoteStream: MediaStream | undefined
  private lastIncoming: MediaStream | undefined
  private readonly locator: Locator

  constructor(
    private readonly host: SessionHost,
    init: { id: string; kind: SessionKind; streamName: string },
    private readonly options: SessionMediaOptions,
    private readonly hooks: SessionHooks,
  ) {
    super(host.env.logger)
    this.id = init.id
    this.kind = init.kind
    this.streamName = init.streamName
    this.locator = new Locator(host, {
      kind: this.kind,
      streamName: this.streamName,
      label: this.label,
      connectionParams: options.connectionParams,
      waitForStream: options.waitForStream,
      waiting: (event) => this.safeEmit('waiting', event),
    })
  }

  /** Emits to this session's listeners, then to its {@link ManagedSession.mirror}. @internal */
  override safeEmit<E extends keyof SessionEventMap>(
    event: E,
    ...args: EventArgs<SessionEventMap, E>
  ): boolean {
    const had = super.safeEmit(event, ...args)
    this.mirror?.(event, args)
    return had
  }

  /** @inheritdoc */
  get state(): SessionState {
    return this.stateValue
  }

  /**
   * True while the current connection's media is stopped with its path alive (between `stalled` and
   * `resumed`). Read by the swap coordinator. @internal
   */
  get stalled(): boolean {
    return this.stalledNow
  }

  /** @inheritdoc */
  get environment(): string {
    return this.current?.assignment.environment ?? ''
  }

  /** @inheritdoc */
  get assignment(): Assignment {
    if (!this.current) {
      throw new BlueGreenError(
        'INVALID_ARGUMENT',
        `${this.label} has no assignment yet: it is still connecting.`,
      )
    }
    return this.current.assignment
  }

  /** @inheritdoc */
  get mediaStream(): MediaStream | undefined {
    return this.kind === 'publish' ? this.localStream : (this.remoteStream ?? this.lastIncoming)
  }

  /** True once the session has had a connection (it is shown in `client.sessions`). @internal */
  get started(): boolean {
    return this.current !== undefined
  }

  /** The environment a move in flight goes to, if one is in flight. @internal */
  get migrationTarget(): string | undefined {
    return this.op?.kind === 'move' ? this.op.to : undefined
  }

  /** @inheritdoc */
  close(): Promise<void> {
    if (!this.closing) {
      this.dispatch('close', { reason: 'closed by the application' })
      this.closing = Promise.all([...this.releases]).then(() => undefined)
    }
    return this.closing
  }

  /** @inheritdoc */
  migrate(): Promise<void> {
    if (isTerminal(this.stateValue)) {
      return Promise.reject(closedError(this.label))
    }
    return this.hooks.requestMove(this)
  }

  // ---------------------------------------------------------------------------------------------------
  // Steering (session manager and swap coordinator)

  /**
   * Start-up: a manifest no older than its ttl, the selected environment, an assignment, a connection.
   * Rejects (and the session becomes `failed`) on any failure; `signal` aborts it with `ABORTED`.
   * @internal
   */
  async start(signal: AbortSignal | undefined): Promise<void> {
    const op = this.beginOp('start')
    const what = `${this.kind}() of stream "${this.streamName}"`
    const unlink = linkSignal(signal, op.controller, () => abortedError(what, signal?.reason))
    try {
      const assignment = await this.locator.forStart(op.controller.signal)
      const driverSession = await this.open(assignment, op.controller.signal)
      this.endOp(op)
      this.adopt(driverSession, assignment)
      this.dispatch('connected', {
        reason: `${this.kind === 'publish' ? 'publishing' : 'playing'} on ${this.environment}`,
      })
    } catch (error) {
      const failure = op.controller.signal.aborted
        ? abortReason(op.controller.signal, what)
        : asBlueGreenError(error, 'MEDIA_FAILED', `${what} failed`, { streamName: this.streamName })
      this.endOp(op)
      this.dispatch('fail', { error: failure, reason: failure.message })
      throw failure
    } finally {
      unlink()
    }
  }

  /**
   * Moves to environment `to`, make-before-break (unless the client disabled it). A move to the same target
   * as the one in flight joins it; a move elsewhere supersedes it. Rejects with the failure when the move
   * cannot be made (the session then stays, or reconnects if its old connection is gone meanwhile).
   * @internal
   */
  moveTo(to: string, plan: MovePlan): Promise<void> {
    if (isTerminal(this.stateValue)) {
      return Promise.reject(closedError(this.label))
    }
    if (this.op?.kind === 'move' && this.op.to === to && this.op.promise) {
      return this.op.promise
    }
    if (this.stateValue !== 'live' && this.stateValue !== 'migrating') {
      return Promise.reject(
        new BlueGreenError(
          'ABORTED',
          `${this.label} cannot move to "${to}" while ${this.stateValue}; it reconnects to the selected environment by itself.`,
          { environment: to, streamName: this.streamName },
        ),
      )
    }
    const from = this.environment
    if (this.stateValue === 'live') {
      this.interruptedAt = undefined
    }
    this.dispatch('migrate', { reason: plan.reason })
    const op = this.beginOp('move', to)
    this.safeEmit('migrating', { from, to })
    op.promise = this.runMove(op, from, to, plan)
    op.promise.catch(() => undefined) // the caller gets the same promise; this only marks it handled
    return op.promise
  }

  /** Cancels a move in flight (a newer revision keeps the session where it is). @internal */
  cancelMove(reason: string): void {
    const op = this.op
    if (op?.kind !== 'move' || this.stateValue !== 'migrating') {
      return
    }
    op.controller.abort(
      new BlueGreenError(
        'ABORTED',
        `The move of ${this.label} to "${op.to ?? '?'}" was cancelled: ${reason}.`,
        {
          streamName: this.streamName,
          ...(op.to === undefined ? {} : { environment: op.to }),
        },
      ),
    )
    this.endOp(op)
    this.abandonMove(undefined, reason)
  }

  /** Abandons the current connection and reconnects (environment offline, deadline passed). @internal */
  forceReconnect(error: BlueGreenError, reason: string): void {
    this.lostAt ??= this.host.env.clock.now()
    this.dispatch('reconnect', { error, reason })
  }

  /** Fails the session with `error` (something retrying cannot fix). @internal */
  fail(error: BlueGreenError): void {
    this.dispatch('fail', { error, reason: error.message })
  }

  // ---------------------------------------------------------------------------------------------------
  // The state machine

  private get label(): string {
    return `session ${this.id} of stream "${this.streamName}"`
  }

  private dispatch(input: SessionInput, detail: DispatchDetail = {}): boolean {
    const from = this.stateValue
    const next = transition(from, input)
    if (next.state === from && next.effects.length === 0) {
      this.host.env.logger.debug(`${this.label}: "${input}" ignored while ${from}`)
      return false
    }
    for (const effect of next.effects) {
      if (BEFORE_STATE_CHANGE.has(effect)) {
        this.runEffect(effect, input, detail)
      }
    }
    this.setState(next.state, detail.reason)
    for (const effect of next.effects) {
      if (!BEFORE_STATE_CHANGE.has(effect)) {
        this.runEffect(effect, input, detail)
      }
    }
    return true
  }

  /** The one place the state changes: ignores repeats, logs `old -> new`, emits `statechange`. */
  private setState(to: SessionState, reason: string | undefined): void {
    const from = this.stateValue
    if (to === from) {
      return
    }
    this.stateValue = to
    this.host.env.logger.debug(`${this.label}: ${from} -> ${to}${reason ? ` (${reason})` : ''}`)
    this.safeEmit('statechange', reason === undefined ? { from, to } : { from, to, reason })
    this.hooks.onStateChange(this, from, to)
  }

  private runEffect(effect: SessionEffect, input: SessionInput, detail: DispatchDetail): void {
    switch (effect) {
      case 'abortOperation':
        this.abortOperation(input, detail)
        return
      case 'releaseCurrent':
        if (this.current) {
          this.release(this.current.driverSession)
        }
        return
      case 'releaseAll':
        this.releaseAll()
        return
      case 'markInterrupted':
        this.interruptedAt ??= this.host.env.clock.now()
        return
      case 'startReconnect':
        this.lostAt ??= this.host.env.clock.now()
        void this.reconnect(detail.error ?? this.lostConnectionError(undefined))
        return
      case 'emitFailed':
        // A start-up failure is the caller's rejection to handle; a session that ran and gave up is an error.
        if (this.current) {
          this.host.env.logger.error(`${this.label} failed: ${detail.error?.message ?? 'unknown error'}`)
        } else {
          this.host.env.logger.debug(
            `${this.label} did not start: ${detail.error?.message ?? 'unknown error'}`,
          )
        }
        this.safeEmit('failed', detail.error ?? this.lostConnectionError(undefined))
        return
      case 'emitClosed':
        this.host.env.logger.debug(`${this.label} closed`)
        this.safeEmit('closed')
        return
      case 'dispose':
        this.removeAllListeners()
        this.hooks.dispose(this)
        return
    }
  }

  private abortOperation(input: SessionInput, detail: DispatchDetail): void {
    const op = this.op
    if (!op) {
      return
    }
    this.op = undefined
    let reason: BlueGreenError
    if (input === 'close') {
      reason = closedError(this.label)
    } else if (input === 'fail' && detail.error) {
      reason = detail.error
    } else {
      reason = new BlueGreenError(
        'ABORTED',
        `The ${op.kind} of ${this.label}${op.to ? ` to "${op.to}"` : ''} was superseded: ${detail.reason ?? input}.`,
        { streamName: this.streamName },
      )
    }
    op.controller.abort(reason)
  }

  private beginOp(kind: Operation['kind'], to?: string): Operation {
    if (this.op) {
      // The table aborts operations before starting new ones; this is the belt to those braces.
      this.op.controller.abort(abortedError(`The ${this.op.kind} of ${this.label}`))
    }
    const op: Operation =
      to === undefined
        ? { kind, controller: new AbortController() }
        : { kind, controller: new AbortController(), to }
    this.op = op
    return op
  }

  private endOp(op: Operation): void {
    if (this.op === op) {
      this.op = undefined
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Operations

  private async runMove(op: Operation, from: string, to: string, plan: MovePlan): Promise<void> {
    const signal = op.controller.signal
    const { clock } = this.host.env
    try {
      let connection = this.kind === 'publish' ? this.takeRetiring(to) : undefined
      if (!connection) {
        const assignment = await this.locator.resolveAt(to, signal)
        if (
          !this.host.settings.migration.makeBeforeBreak &&
          this.interruptedAt === undefined &&
          this.current
        ) {
          // Break before make, on purpose (to measure what make-before-break saves).
          this.interruptedAt = clock.now()
          this.release(this.current.driverSession)
        }
        connection = { driverSession: await this.open(assignment, signal), assignment }
      }
      this.endOp(op)
      const old = this.current
      this.adopt(connection.driverSession, connection.assignment)
      if (old && old.driverSession !== connection.driverSession) {
        const keepOld =
          this.kind === 'publish' &&
          plan.retireAfterMs > 0 &&
          !this.released.has(old.driverSession) &&
          !this.ended.has(old.driverSession)
        if (keepOld) {
          this.retire(old, plan.retireAfterMs)
        } else {
          this.release(old.driverSession)
        }
      }
      const interruptionMs = this.interruptedAt === undefined ? 0 : clock.now() - this.interruptedAt
      this.interruptedAt = undefined
      this.host.env.logger.info(
        `${this.label} moved from ${from} to ${to} (interruption ${interruptionMs} ms)`,
      )
      this.dispatch('migrated', { reason: `moved from ${from} to ${to}` })
      this.safeEmit('migrated', { from, to, interruptionMs })
    } catch (error) {
      if (signal.aborted) {
        throw abortReason(signal, `The move of ${this.label} to "${to}"`)
      }
      const failure = asBlueGreenError(error, 'MEDIA_FAILED', `${this.label} could not move to "${to}"`, {
        environment: to,
        streamName: this.streamName,
      })
      this.endOp(op)
      this.host.env.logger.warn(
        `${this.label} stays on ${from}: the move to ${to} failed: ${failure.message}`,
      )
      this.abandonMove(failure, `the move to ${to} failed (${failure.code})`)
      throw failure
    }
  }

  /** After a failed or cancelled move: back to `live` if the old connection works, else reconnect. */
  private abandonMove(error: BlueGreenError | undefined, reason: string): void {
    if (this.interruptedAt !== undefined) {
      this.lostAt = this.interruptedAt
      this.interruptedAt = undefined
      this.dispatch('reconnect', { error: error ?? this.lostConnectionError(undefined), reason })
    } else {
      this.dispatch('migrationAbandoned', { reason })
    }
  }

  /** The reconnect loop (reconnect.ts) as this session's current operation. */
  private async reconnect(firstError: BlueGreenError): Promise<void> {
    const op = this.beginOp('reconnect')
    await reconnectLoop(
      {
        host: this.host,
        label: this.label,
        streamName: this.streamName,
        kind: this.kind,
        signal: op.controller.signal,
        startedAt: this.lostAt ?? this.host.env.clock.now(),
        attempt: async (signal) => {
          const connection = await this.locateForRecovery(signal)
          const driverSession =
            'driverSession' in connection
              ? connection.driverSession
              : await this.open(connection.assignment, signal)
          this.endOp(op)
          this.adopt(driverSession, connection.assignment)
        },
        reconnecting: (event) => this.safeEmit('reconnecting', event),
        recovered: (attempt, downtimeMs) => {
          this.lostAt = undefined
          this.dispatch('recovered', { reason: `reconnected on ${this.environment} (attempt ${attempt})` })
          this.safeEmit('reconnected', { attempt, environment: this.environment, downtimeMs })
        },
        fail: (error) => {
          this.endOp(op)
          this.dispatch('fail', { error, reason: error.message })
        },
      },
      firstError,
    )
  }

  // ---------------------------------------------------------------------------------------------------
  // Where to connect

  private async locateForRecovery(signal: AbortSignal): Promise<Connection | { assignment: Assignment }> {
    const manifest =
      this.host.manifest() ??
      (await raceAbort(this.host.fresh(signal), signal, `Discovery for ${this.label}`))
    let selected: EnvironmentInfo
    try {
      selected = this.host.select(manifest)
    } catch (error) {
      if (this.host.pinned && isBlueGreenError(error, 'ENVIRONMENT_UNKNOWN')) {
        throw new BlueGreenError(
          'ENVIRONMENT_OFFLINE',
          `The environment this client is pinned to is gone from manifest revision ${manifest.revision}; ` +
            `${this.label} stops rather than moving elsewhere. Pin another environment or select a role.`,
          { cause: error, revision: manifest.revision, streamName: this.streamName },
        )
      }
      throw error
    }
    const retiring = this.kind === 'publish' ? this.takeRetiring(selected.name) : undefined
    if (retiring) {
      return retiring
    }
    // Paced: each of its Stream Manager calls waits for a slot of this client, so a page's sessions dropped
    // together do not ask at once (session/pacing.ts).
    return { assignment: await this.locator.resolveSelected(manifest, selected, signal, true) }
  }

  // ---------------------------------------------------------------------------------------------------
  // Connections and media

  /** Opens a driver session; closes it if it arrives after `signal` aborted. */
  private async open(assignment: Assignment, signal: AbortSignal): Promise<DriverSession> {
    const driver = await raceAbort(
      this.host.driverFor(assignment),
      signal,
      `Choosing a driver for ${this.label}`,
    )
    const target: SignalingTarget = {
      kind: this.kind,
      environment: assignment.environment,
      streamName: assignment.streamName,
      app: assignment.app,
      endpoint: assignment.endpoint,
      serverAddress: assignment.serverAddress,
      connectionParams: this.locator.connectionParams(),
      nodeGroup: assignment.nodeGroup,
    }
    const { rtcConfiguration } = this.host.settings
    const attempt =
      this.kind === 'publish'
        ? driver.publish(
            target,
            {
              mediaStream: this.localStream ?? this.options.mediaStream,
              // Let the driver show its own captured media only the first time; the session attaches afterwards.
              mediaElement:
                (this.localStream ?? this.options.mediaStream) ? undefined : this.options.mediaElement,
              connectionParams: target.connectionParams,
              rtcConfiguration,
            },
            signal,
          )
        : driver.subscribe(
            target,
            {
              // Where MediaStream exists the session keeps ONE stream on the element; a driver attaching its
              // own would flicker the element on every migration.
              mediaElement: hasMediaStream() ? undefined : this.options.mediaElement,
              connectionParams: target.connectionParams,
              rtcConfiguration,
            },
            signal,
          )
    // A driver that ignores the signal may still deliver a connection after the abort: close it then.
    attempt.then(
      (late) => {
        if (signal.aborted) {
          this.release(late)
        }
      },
      () => undefined,
    )
    let driverSession: DriverSession
    try {
      driverSession = await raceAbort(attempt, signal, `Connecting ${this.label}`)
    } catch (error) {
      if (signal.aborted) {
        throw abortReason(signal, `Connecting ${this.label}`)
      }
      throw asBlueGreenError(
        error,
        'MEDIA_FAILED',
        `The ${driver.name} driver could not ${this.kind} stream "${this.streamName}" on environment "${assignment.environment}" at ${assignment.endpoint}`,
        { environment: assignment.environment, streamName: this.streamName, url: assignment.endpoint },
      )
    }
    if (signal.aborted) {
      this.release(driverSession)
      throw abortReason(signal, `Connecting ${this.label}`)
    }
    driverSession.onEnd((error) => this.onDriverEnd(driverSession, assignment, error))
    relayLiveness(driverSession, {
      clock: this.host.env.clock,
      isCurrent: () => this.current?.driverSession === driverSession,
      environment: () => this.environment,
      stalled: (event) => {
        this.stalledNow = true
        this.safeEmit('stalled', event)
      },
      resumed: (event) => {
        this.stalledNow = false
        this.safeEmit('resumed', event)
      },
      inDoubt: (environment) => this.host.connectionInDoubt?.(environment),
    })
    return driverSession
  }

  private adopt(driverSession: DriverSession, assignment: Assignment): void {
    this.current = { driverSession, assignment }
    this.stalledNow = false
    const { logger } = this.host.env
    if (this.kind === 'publish') {
      if (!this.localStream) {
        this.localStream = this.options.mediaStream ?? driverSession.mediaStream
        this.ownsLocalStream = !this.options.mediaStream && driverSession.mediaStream !== undefined
      }
      attachMedia(this.options.mediaElement, this.localStream, { muted: true, logger })
      return
    }
    const incoming = driverSession.mediaStream
    if (!incoming) {
      return
    }
    this.lastIncoming = incoming
    this.remoteStream ??= createMediaStream()
    if (this.remoteStream) {
      replaceTracks(this.remoteStream, incoming)
      attachMedia(this.options.mediaElement, this.remoteStream, { muted: false, logger })
    } else {
      attachMedia(this.options.mediaElement, incoming, { muted: false, logger })
    }
  }

  private onDriverEnd(driverSession: DriverSession, assignment: Assignment, error: Error | undefined): void {
    if (this.released.has(driverSession)) {
      return
    }
    this.ended.add(driverSession)
    for (const entry of this.retiring) {
      if (entry.driverSession === driverSession) {
        this.host.env.clock.clearTimeout(entry.timer)
        this.retiring.delete(entry)
        this.release(driverSession)
        return
      }
    }
    if (this.current?.driverSession !== driverSession) {
      return
    }
    const failure = this.lostConnectionError(error, assignment)
    this.host.env.logger.warn(`${this.label}: ${failure.message}`)
    this.lostAt ??= this.host.env.clock.now()
    this.dispatch('dropped', { error: failure, reason: 'connection lost' })
  }

  private lostConnectionError(
    error: Error | undefined,
    assignment = this.current?.assignment,
  ): BlueGreenError {
    const where = assignment
      ? ` on environment "${assignment.environment}" (${assignment.serverAddress})`
      : ''
    return asBlueGreenError(
      error,
      'MEDIA_FAILED',
      `The connection of ${this.label}${where} ended unexpectedly`,
      {
        streamName: this.streamName,
        ...(assignment ? { environment: assignment.environment } : {}),
      },
    )
  }

  /** Keeps an old publish running for subscribers still on its environment, then closes it. */
  private retire(connection: Connection, afterMs: number): void {
    const entry: Retiring = {
      ...connection,
      timer: this.host.env.clock.setTimeout(() => {
        this.retiring.delete(entry)
        this.host.env.logger.debug(
          `${this.label}: old publish on ${connection.assignment.environment} retired`,
        )
        this.release(connection.driverSession)
      }, afterMs),
    }
    this.retiring.add(entry)
  }

  /** A still-running retired publish on `environment`, taken back (a rollback re-uses it: no second publish). */
  private takeRetiring(environment: string): Connection | undefined {
    for (const entry of this.retiring) {
      if (
        entry.assignment.environment === environment &&
        !this.released.has(entry.driverSession) &&
        !this.ended.has(entry.driverSession)
      ) {
        this.host.env.clock.clearTimeout(entry.timer)
        this.retiring.delete(entry)
        return { driverSession: entry.driverSession, assignment: entry.assignment }
      }
    }
    return undefined
  }

  private release(driverSession: DriverSession): void {
    if (this.released.has(driverSession)) {
      return
    }
    this.released.add(driverSession)
    let closing: Promise<void>
    try {
      closing = Promise.resolve(driverSession.close()).catch((error: unknown) =>
        this.host.env.logger.warn(`${this.label}: closing a connection failed`, error),
      )
    } catch (error) {
      this.host.env.logger.warn(`${this.label}: closing a connection failed`, error)
      return
    }
    this.releases.add(closing)
    void closing.finally(() => this.releases.delete(closing))
  }

  private releaseAll(): void {
    if (this.current) {
      this.release(this.current.driverSession)
    }
    for (const entry of this.retiring) {
      this.host.env.clock.clearTimeout(entry.timer)
      this.release(entry.driverSession)
    }
    this.retiring.clear()
    if (this.ownsLocalStream) {
      stopTracks(this.localStream)
    }
  }
}
