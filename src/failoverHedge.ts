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
import { BlueGreenError } from './errors'
import { linkSignal } from './session/abort'

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
 * Runs `call`; if it is still pending after `overdueMs`, asks `confirm()` for another place. When one comes
 * back (and the call is still pending), `call` is aborted and `elsewhere(place)` answers instead.
 * `call`'s own settlement always wins while no other place was confirmed. `outer` aborting aborts `call`.
 * @internal
 */
export function hedge<T>(
  clock: Clock,
  overdueMs: number,
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
  confirm: () => Promise<string | undefined>,
  elsewhere: (place: string) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const unlink = linkSignal(outer, controller, () => outer?.reason)
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const timer = clock.setTimeout(() => {
      if (settled) {
        return
      }
      confirm().then(
        (place) => {
          if (settled || place === undefined) {
            return
          }
          settled = true
          controller.abort(
            new BlueGreenError(
              'TIMEOUT',
              `No answer in ${overdueMs} ms; the backup ${place} answers instead.`,
            ),
          )
          unlink()
          elsewhere(place).then(resolve, reject)
        },
        () => undefined,
      )
    }, overdueMs)
    call(controller.signal).then(
      (value) => {
        clock.clearTimeout(timer)
        unlink()
        if (!settled) {
          settled = true
          resolve(value)
        }
      },
      (error: unknown) => {
        clock.clearTimeout(timer)
        unlink()
        if (!settled) {
          settled = true
          reject(error)
        }
      },
    )
  })
}
