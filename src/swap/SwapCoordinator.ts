/**
 * Watches the client's manifest and moves sessions between environments (DESIGN section 5): publishers at
 * once, subscribers spread over the drain window, everyone make-before-break; reconnects when an
 * environment goes offline or its deadline passes; supersedes moves that a newer revision makes wrong.
 *
 * The rules live in `plan.ts` (pure); this file owns the timers and talks to sessions.
 */
import { BlueGreenError, closedError, isBlueGreenError, toBlueGreenError } from '../errors'
import type { SessionHost } from '../session/host'
import type { ManagedSession } from '../session/Session'
import { askPolicy } from '../session/ReconnectPolicy'
import { isFatal } from '../session/recovery'
import type { EnvironmentInfo } from '../types'
import { decide, pickMoment, type SwapDecision } from './plan'

interface Track {
  /** The environment a planned, running or retrying move goes to. */
  target?: string | undefined
  retireAfterMs: number
  reason: string
  /** Start or retry of the move. */
  moveTimer?: unknown
  /** Re-evaluation at the old environment's drain deadline. */
  deadlineTimer?: unknown
  deadlineAt?: number | undefined
  attempt: number
  firstTriedAt?: number | undefined
  /** When the subscriber window of the planned move closes (clock time); retries spread up to it. */
  windowEndAt?: number | undefined
  /** When the planned move starts (clock time), while its timer runs. */
  moveAt?: number | undefined
  /** The session's `stalled` listener (a stalled subscriber's planned move may have to start sooner). */
  onStalled: () => void
}

/**
 * Moves a client's sessions when the manifest changes.
 * @internal
 */
export class SwapCoordinator {
  private readonly tracks = new Map<ManagedSession, Track>()
  private readonly unsubscribe: () => void
  private closed = false

  constructor(private readonly host: SessionHost) {
    this.unsubscribe = host.onManifest((manifest) => {
      host.env.logger.debug(`revision ${manifest.revision}: checking ${this.tracks.size} session(s)`)
      for (const session of [...this.tracks.keys()]) {
        this.evaluate(session)
      }
    })
  }

  /** Starts watching `session` (evaluated whenever it becomes `live`). */
  add(session: ManagedSession): void {
    if (!this.closed) {
      const onStalled = (): void => this.evaluate(session)
      this.tracks.set(session, { attempt: 0, retireAfterMs: 0, reason: '', onStalled })
      session.on('stalled', onStalled)
    }
  }

  /** Stops watching `session` and clears its timers. */
  forget(session: ManagedSession): void {
    const track = this.tracks.get(session)
    if (!track) {
      return
    }
    this.clearMove(track)
    this.clearDeadline(track)
    session.off('stalled', track.onStalled)
    this.tracks.delete(session)
  }

  /** Called by the session manager on every state change. */
  onStateChange(session: ManagedSession): void {
    if (session.state === 'live') {
      this.evaluate(session)
    }
  }

  /** Stops listening to the manifest and clears every timer. Idempotent. */
  close(): void {
    if (this.closed) {
      return
    }
    this.closed = true
    this.unsubscribe()
    for (const session of [...this.tracks.keys()]) {
      this.forget(session)
    }
  }

  /** `session.migrate()`: move now to the selected environment. */
  requestMove(session: ManagedSession): Promise<void> {
    const track = this.tracks.get(session)
    if (!track || this.closed) {
      return Promise.reject(closedError(`Session ${session.id}`))
    }
    if (session.state === 'reconnecting' || session.state === 'connecting') {
      return whenSettled(session)
    }
    const manifest = this.host.manifest()
    if (!manifest) {
      return Promise.resolve()
    }
    let selected: EnvironmentInfo
    try {
      selected = this.host.select(manifest)
    } catch (error) {
      return Promise.reject(
        toBlueGreenError(error, 'ENVIRONMENT_UNKNOWN', 'The client selects no environment.'),
      )
    }
    if (selected.name === session.environment) {
      session.cancelMove(`migrate() keeps it on ${selected.name}`)
      return Promise.resolve()
    }
    const decision = this.decideFor(session)
    const retireAfterMs = decision?.action === 'move' ? decision.retireAfterMs : 0
    this.clearMove(track)
    return this.launch(session, track, selected.name, retireAfterMs, 'requested by the application')
  }

  private decideFor(session: ManagedSession): SwapDecision | undefined {
    const manifest = this.host.manifest()
    if (!manifest) {
      return undefined
    }
    let selected: EnvironmentInfo | BlueGreenError
    try {
      selected = this.host.select(manifest)
    } catch (error) {
      selected = toBlueGreenError(error, 'ENVIRONMENT_UNKNOWN', 'The client selects no environment.')
    }
    return decide({
      kind: session.kind,
      streamName: session.streamName,
      environment: session.environment,
      pinned: this.host.pinned,
      manifest,
      selected,
      now: this.host.env.clock.now(),
      migration: this.host.settings.migration,
      stalledWaitMs: this.stalledWait(session),
    })
  }

  /**
   * For a session stalled while a failover is in flux: what a reconnect would wait now (the reconnect
   * policy's first delay, jittered by the default policy so that a crowd that stalled together, all
   * watching one frozen broadcaster, does not move together). Otherwise, or when the policy would not
   * reconnect, `undefined`.
   */
  private stalledWait(session: ManagedSession): number | undefined {
    if (!session.stalled || this.host.failoverInFlux?.() !== true) {
      return undefined
    }
    const answer = askPolicy(this.host.settings.reconnect, {
      attempt: 1,
      elapsedMs: 0,
      kind: session.kind,
      error: new BlueGreenError(
        'MEDIA_FAILED',
        `The ${session.kind} of stream "${session.streamName}" stalled on ${session.environment} during a failover; it moves to the backup.`,
        { environment: session.environment, streamName: session.streamName },
      ),
    })
    return 'delayMs' in answer ? answer.delayMs : undefined
  }

  private evaluate(session: ManagedSession): void {
    const track = this.tracks.get(session)
    if (!track || (session.state !== 'live' && session.state !== 'migrating')) {
      return
    }
    const decision = this.decideFor(session)
    if (!decision) {
      return
    }
    const { logger } = this.host.env
    switch (decision.action) {
      case 'stay':
        this.setDeadline(session, track, decision.recheckAt)
        if (track.target !== undefined || session.migrationTarget !== undefined) {
          logger.debug(`session ${session.id}: stays on ${session.environment} (${decision.reason})`)
        }
        this.clearMove(track)
        if (session.migrationTarget !== undefined && session.migrationTarget !== session.environment) {
          session.cancelMove(decision.reason)
        }
        return
      case 'fail':
        this.clearMove(track)
        session.fail(decision.error)
        return
      case 'reconnect':
        if (session.state === 'migrating' && session.migrationTarget === this.selectedName()) {
          return // the move in flight already leaves for the selected environment
        }
        logger.info(`session ${session.id}: reconnects (${decision.reason})`)
        this.clearMove(track)
        session.forceReconnect(decision.error, decision.reason)
        return
      case 'move': {
        this.setDeadline(session, track, decision.recheckAt)
        // A move planned for later that is now due sooner (its subscriber stalled during a failover) is
        // planned again below; any other move to the same place is already planned, running or retrying.
        const dueSooner =
          decision.stalled === true &&
          track.moveAt !== undefined &&
          track.attempt === 0 &&
          this.host.env.clock.now() + decision.window.endMs < track.moveAt
        if (track.target === decision.to && !dueSooner) {
          return
        }
        this.clearMove(track)
        const delay = pickMoment(decision.window, this.host.env.random)
        if (delay === 0) {
          this.launch(session, track, decision.to, decision.retireAfterMs, decision.reason).catch(
            () => undefined,
          )
          return
        }
        if (session.migrationTarget !== undefined && session.migrationTarget !== decision.to) {
          session.cancelMove(decision.reason)
        }
        logger.debug(`session ${session.id}: moves to ${decision.to} in ${delay} ms (${decision.reason})`)
        this.plan(track, decision.to, decision.retireAfterMs, decision.reason)
        track.windowEndAt = this.host.env.clock.now() + decision.window.endMs
        this.schedule(session, track, delay)
        return
      }
    }
  }

  private selectedName(): string | undefined {
    const manifest = this.host.manifest()
    if (!manifest) {
      return undefined
    }
    try {
      return this.host.select(manifest).name
    } catch {
      return undefined
    }
  }

  private plan(track: Track, to: string, retireAfterMs: number, reason: string): void {
    track.target = to
    track.retireAfterMs = retireAfterMs
    track.reason = reason
    track.attempt = 0
    track.firstTriedAt = undefined
    track.windowEndAt = undefined
  }

  private schedule(session: ManagedSession, track: Track, delayMs: number): void {
    const { clock } = this.host.env
    track.moveAt = clock.now() + delayMs
    track.moveTimer = clock.setTimeout(() => {
      track.moveTimer = undefined
      track.moveAt = undefined
      const to = track.target
      if (to !== undefined && session.state === 'live') {
        this.launch(session, track, to, track.retireAfterMs, track.reason).catch(() => undefined)
      }
    }, delayMs)
  }

  /** Runs the move; on a retryable failure, schedules the next try with the reconnect policy's delay. */
  private launch(
    session: ManagedSession,
    track: Track,
    to: string,
    retireAfterMs: number,
    reason: string,
  ): Promise<void> {
    if (track.target !== to) {
      this.plan(track, to, retireAfterMs, reason)
    }
    const { clock, logger } = this.host.env
    track.firstTriedAt ??= clock.now()
    const move = session.moveTo(to, { reason, retireAfterMs })
    move.then(
      () => {
        if (track.target === to) {
          track.target = undefined
          track.attempt = 0
        }
      },
      (error: unknown) => {
        if (this.tracks.get(session) !== track || track.target !== to) {
          return // forgotten, or superseded by a newer plan
        }
        if (isBlueGreenError(error, 'ABORTED', 'CLOSED')) {
          return
        }
        if (session.state !== 'live') {
          track.target = undefined // reconnecting (the old connection died meanwhile): recovery takes over
          return
        }
        const failure = toBlueGreenError(error, 'MEDIA_FAILED', `The move of session ${session.id} failed.`)
        if (isFatal(failure, this.host.pinned)) {
          logger.warn(
            `session ${session.id}: stays on ${session.environment}; moving cannot succeed: ${failure.message}`,
          )
          return
        }
        track.attempt += 1
        const answer = askPolicy(this.host.settings.reconnect, {
          attempt: track.attempt,
          elapsedMs: clock.now() - (track.firstTriedAt ?? clock.now()),
          error: failure,
          kind: session.kind,
        })
        if ('stop' in answer) {
          logger.warn(
            `session ${session.id}: stops trying to move to ${to}; it stays on ${session.environment}`,
          )
          return
        }
        // A subscriber that arrived before its publisher (STREAM_NOT_FOUND) tries again at a fresh random
        // moment of what is left of its window (never sooner than the policy's delay): retries keep the
        // Stream Managers' request rate flat instead of bunching up right after the lead.
        let delayMs = answer.delayMs
        const left = (track.windowEndAt ?? 0) - clock.now()
        if (isBlueGreenError(failure, 'STREAM_NOT_FOUND') && left > delayMs) {
          delayMs = Math.round(delayMs + this.host.env.random() * (left - delayMs))
        }
        logger.debug(
          `session ${session.id}: move to ${to} failed (${failure.code}); next try in ${delayMs} ms`,
        )
        this.schedule(session, track, delayMs)
      },
    )
    return move
  }

  private setDeadline(session: ManagedSession, track: Track, at: number | undefined): void {
    if (track.deadlineAt === at) {
      return
    }
    this.clearDeadline(track)
    if (at === undefined) {
      return
    }
    const { clock } = this.host.env
    track.deadlineAt = at
    track.deadlineTimer = clock.setTimeout(
      () => {
        track.deadlineTimer = undefined
        track.deadlineAt = undefined
        this.evaluate(session)
      },
      Math.max(0, at - clock.now()),
    )
  }

  private clearMove(track: Track): void {
    if (track.moveTimer !== undefined) {
      this.host.env.clock.clearTimeout(track.moveTimer)
      track.moveTimer = undefined
    }
    track.moveAt = undefined
    track.target = undefined
    track.attempt = 0
    track.firstTriedAt = undefined
    track.windowEndAt = undefined
  }

  private clearDeadline(track: Track): void {
    if (track.deadlineTimer !== undefined) {
      this.host.env.clock.clearTimeout(track.deadlineTimer)
      track.deadlineTimer = undefined
    }
    track.deadlineAt = undefined
  }
}

/** Resolves when `session` is live again; rejects when it fails or closes first. */
function whenSettled(session: ManagedSession): Promise<void> {
  return new Promise((resolve, reject) => {
    const onChange = ({ to }: { to: string }): void => {
      if (to === 'live') {
        session.off('statechange', onChange)
        session.off('failed', onFailed)
        resolve()
      } else if (to === 'closed') {
        session.off('statechange', onChange)
        session.off('failed', onFailed)
        reject(closedError(`Session ${session.id}`))
      }
    }
    const onFailed = (error: BlueGreenError): void => {
      session.off('statechange', onChange)
      session.off('failed', onFailed)
      reject(error)
    }
    session.on('statechange', onChange)
    session.on('failed', onFailed)
  })
}
