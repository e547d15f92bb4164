/**
 * A Stream Manager that stops answering without closing anything (a partition, a frozen host) would only
 * be noticed at the end of the call's timeout (`timeoutMs`, 10 s by default): far too late for a viewer
 * without a picture. So a call a session needs is hedged (DESIGN 11, "times out"): once it is overdue
 * (several times slower than that Stream Manager usually answers this client) the failover is asked to
 * confirm an outage, which it does only when the backup answers. Confirmed, the overdue call is abandoned
 * and the backup answers instead; otherwise the call runs on until its own timeout.
 *
 * Written here rather than taken from a library: hedging libraries race duplicates of one request, while
 * this races a request against a decision (the failover's confirmation) and then asks somewhere else.
 * @internal
 */
import type { Clock } from './environment'
import { BlueGreenError, isBlueGreenError } from './errors'
import { backupFor, type Failover } from './failover'
import { own } from './internal/own'
import { linkSignal } from './session/abort'
import type { Assignment, Manifest } from './types'

/** How overdue is overdue. @internal */
export interface OverdueSettings {
  /** Never sooner than this (ms). */
  readonly floorMs: number
  /** Times the slowest recent answer. */
  readonly factor: number
  /** Before any answer was seen from a Stream Manager (ms). */
  readonly unknownMs: number
}

/** The defaults: 4 × the slowest of the last answers, at least 400 ms; 1.5 s before any answer. @internal */
export const OVERDUE_DEFAULTS: OverdueSettings = { floorMs: 400, factor: 4, unknownMs: 1_500 }

const KEEP = 8

/** How fast each Stream Manager answered this client lately. @internal */
export class AnswerTimes {
  readonly #recent = new Map<string, number[]>()

  constructor(private readonly settings: OverdueSettings = OVERDUE_DEFAULTS) {}

  /** An answer (any answer: found, not found, refused) from `streamManager` took `ms`. */
  record(streamManager: string, ms: number): void {
    const list = this.#recent.get(streamManager) ?? []
    list.push(ms)
    if (list.length > KEEP) {
      list.shift()
    }
    this.#recent.set(streamManager, list)
  }

  /** When a call to `streamManager` counts as overdue (ms after it started). */
  overdueAfterMs(streamManager: string): number {
    const list = this.#recent.get(streamManager)
    if (list === undefined || list.length === 0) {
      return this.settings.unknownMs
    }
    return Math.max(this.settings.floorMs, this.settings.factor * Math.max(...list))
  }
}

/**
 * Runs `call`; if it is still pending after `overdueMs` (or sooner, when `nudge` calls back: the client
 * failed over meanwhile), asks `confirm()` for another place. When one comes back (and the call is still
 * pending), `call` is aborted and `elsewhere(place)` answers instead. `call`'s own settlement always wins
 * while no other place was confirmed. `outer` aborting aborts `call`.
 * @internal
 */
export function hedge<T>(
  clock: Clock,
  overdueMs: number,
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
  confirm: () => Promise<string | undefined>,
  elsewhere: (place: string) => Promise<T>,
  nudge?: (now: () => void) => () => void,
): Promise<T> {
  const controller = new AbortController()
  const unlink = linkSignal(outer, controller, () => outer?.reason)
  return new Promise<T>((resolve, reject) => {
    let settled = false
    let asked = false
    const done = (): void => {
      clock.clearTimeout(timer)
      unnudge()
      unlink()
    }
    const ask = (): void => {
      if (settled || asked) {
        return
      }
      asked = true
      clock.clearTimeout(timer)
      unnudge()
      confirm().then(
        (place) => {
          if (settled || place === undefined) {
            return
          }
          settled = true
          controller.abort(
            new BlueGreenError('TIMEOUT', `No answer yet; the backup ${place} answers instead.`),
          )
          unlink()
          elsewhere(place).then(resolve, reject)
        },
        () => undefined,
      )
    }
    const timer = clock.setTimeout(ask, overdueMs)
    let unsubscribe = nudge?.(ask)
    function unnudge(): void {
      unsubscribe?.()
      unsubscribe = undefined
    }
    call(controller.signal).then(
      (value) => {
        done()
        if (!settled) {
          settled = true
          resolve(value)
        }
      },
      (error: unknown) => {
        done()
        if (!settled) {
          settled = true
          reject(error)
        }
      },
    )
  })
}

/**
 * A call a session needs on `environment` is overdue: production is probed, bounded by `boundMs`; only
 * when it gives no answer either is an outage reported (and confirmed by the backup answering, as for any
 * other). A Stream Manager that answers its probe is slow, not gone: the call runs on. Resolves with the
 * backup when the client is (now) failed over from `environment`.
 * @internal
 */
export async function suspect(
  failover: Failover,
  manifest: Manifest,
  environment: string,
  boundMs: number,
): Promise<string | undefined> {
  if (failover.active !== undefined) {
    return failover.report(
      manifest,
      environment,
      new BlueGreenError('TIMEOUT', `${environment}'s Stream Manager is overdue.`, { environment }),
    )
  }
  return failover.unlessAnswering(manifest, environment, boundMs, "after a session's call got none")
}

/** What {@link resolveHedged} needs from the client. @internal */
export interface HedgeContext {
  readonly clock: Clock
  readonly manifest: Manifest | undefined
  readonly pinned: boolean
  readonly failover: Failover
  readonly times: AnswerTimes
  /**
   * Waits for this client's pacing turn before each Stream Manager request (a reconnect's calls); the wait
   * is neither part of the answer time nor of the overdue clock.
   */
  readonly turn?: ((signal: AbortSignal) => Promise<void>) | undefined
  /** The client's resolveOn for this call, on `environment`. */
  resolveOn(environment: string, signal: AbortSignal): Promise<Assignment>
}

/**
 * A session's call on `environment`, timed (its answer time feeds {@link AnswerTimes}) and, while a
 * backup exists for it and the client is not pinned nor failed over already, hedged: overdue, production
 * is {@link suspect}ed, and once the failover confirms, the backup answers instead.
 * @internal
 */
export async function resolveHedged(
  context: HedgeContext,
  environment: string,
  signal: AbortSignal,
): Promise<Assignment> {
  const { clock, manifest, failover, times, turn } = context
  // The pacing turn comes first: a call that waits for it is not slow, and must not look overdue.
  const failedOver = failover.active
  await turn?.(signal)
  // Failed over while it waited: the unreachable environment is not asked again (a doomed call and its
  // quick retries would send more requests than the turn allowed). A call made during a failover went
  // where its caller chose (a viewer looking for its broadcaster on production) and stays there.
  const where =
    manifest === undefined || context.pinned || failedOver !== undefined
      ? environment
      : failover.redirect(manifest, environment)
  const streamManager = manifest && own(manifest.environments, where)?.streamManager
  const timed = (callSignal: AbortSignal): Promise<Assignment> => {
    const started = clock.now()
    const record = (): void => {
      if (streamManager !== undefined) {
        times.record(streamManager, clock.now() - started)
      }
    }
    return context.resolveOn(where, callSignal).then(
      (assignment) => {
        record()
        return assignment
      },
      (error: unknown) => {
        // Answers about the stream or the cluster tell how fast it answers; failures do not.
        if (isBlueGreenError(error, 'STREAM_NOT_FOUND', 'NO_CAPACITY')) {
          record()
        }
        throw error
      },
    )
  }
  if (
    manifest === undefined ||
    streamManager === undefined ||
    context.pinned ||
    failover.active !== undefined ||
    backupFor(manifest, environment) === undefined
  ) {
    return timed(signal)
  }
  const overdueMs = times.overdueAfterMs(streamManager)
  return hedge(
    clock,
    overdueMs,
    signal,
    timed,
    // Production must not answer a probe either (a refused call retrying is not overdue, it is down).
    () => suspect(failover, manifest, environment, Math.max(200, overdueMs / 2)),
    async (backup) => {
      await turn?.(signal)
      return context.resolveOn(backup, signal)
    },
    // Failed over meanwhile (another session's call, or a probe foreseen during a connection's grace):
    // the call on the unreachable environment need not run to its overdue time.
    (now) => failover.onStart(now),
  )
}
