/**
 * Per-client pacing of the Stream Manager assignment calls reconnects make (issue 13): a page whose 100
 * sessions all drop at once (a node died, production failed over) asks its Stream Managers for a few
 * assignments at once and the rest one slot apart, instead of 100 in the same millisecond, whatever the
 * reconnect policy says. Every request takes a turn (the client owns one Pacing: client.ts), not every
 * attempt: an attempt may ask production, then the backup that answers for it, and calls held by one
 * shared failover confirmation would otherwise all leave the moment it resolves.
 *
 * A token bucket on the injected clock: `burst` turns go at once (a page with a handful of sessions is
 * never slowed), then one turn per `spacingMs`, each at a random moment inside its slot (so pages do not
 * align on slot edges). New sessions the app starts are not paced (the app chose that burst, and its first
 * frame should not wait); moves of a swap are spread by the swap plan already.
 *
 * Written here rather than with p-limit or p-queue: those bound concurrency, or count per interval on the
 * global timers, while this must run on the injected clock (tests and benchmarks drive a ManualClock) and be
 * cancelled by each session's own signal. It is a dozen lines.
 * @internal
 */
import { sleep, type Clock } from '../environment'
import { stormControl } from '../internal/coordination'

/** Defaults of {@link Pacing}: 10 at once, then 50 per second (100 sessions of one page in about 1.8 s). @internal */
export const RECONNECT_PACING = { burst: 10, spacingMs: 20 } as const

/** Turns for the reconnect assignments of one client. @internal */
export class Pacing {
  #tokens: number
  #at: number

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly burst: number = RECONNECT_PACING.burst,
    private readonly spacingMs: number = RECONNECT_PACING.spacingMs,
  ) {
    this.#tokens = burst
    this.#at = clock.now()
  }

  /**
   * Resolves at once while the bucket has a token, else at a random moment of the next free slot; rejects
   * with the signal's reason when `signal` aborts (the slot is not given back: the next callers keep theirs).
   */
  turn(signal: AbortSignal): Promise<void> {
    if (!stormControl.enabled || this.spacingMs <= 0) {
      return Promise.resolve()
    }
    const now = this.clock.now()
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) / this.spacingMs)
    this.#at = now
    this.#tokens -= 1
    if (this.#tokens >= 0) {
      return Promise.resolve()
    }
    // A negative balance is the queue: caller k past the burst waits k slots, jittered inside its slot.
    const slotStart = (-this.#tokens - 1) * this.spacingMs
    return sleep(this.clock, slotStart + Math.floor(this.random() * this.spacingMs), signal)
  }
}
