/**
 * A clock you move by hand, for tests of code that takes an injected `Clock` (the client, sessions,
 * FakeDriver). Time only moves when you call `advance()` or `runAll()`; between timers, pending promise
 * callbacks are allowed to run, so async code driven by the timers progresses as it would for real.
 */
import type { Clock } from '../environment'

interface Timer {
  readonly id: number
  readonly at: number
  readonly fn: () => void
}

/** A stand-in for one macrotask turn: every queued promise callback runs before it resolves. */
function macrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
  return new Promise((resolve) => {
    if (typeof immediate === 'function') {
      immediate(resolve)
    } else {
      globalThis.setTimeout(resolve, 0)
    }
  })
}

/**
 * A controllable {@link Clock}.
 *
 * @example
 * ```ts
 * const clock = new ManualClock()
 * const client = createClient({ manifest, driver: new FakeDriver({ clock }), clock })
 * await clock.advance(1_000)   // runs every timer due in the next second, in order
 * await clock.runAll()         // runs until no timer is left
 * expect(clock.pending()).toBe(0)
 * ```
 */
export class ManualClock implements Clock {
  private nowMs: number
  private nextId = 1
  /** Sorted by time, then by creation order. */
  private readonly timers: Timer[] = []

  /** @param startMs - the initial `now()` in epoch milliseconds. @default 2026-01-01T00:00:00Z */
  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs
  }

  /** @inheritdoc */
  now(): number {
    return this.nowMs
  }

  /** @inheritdoc */
  setTimeout(fn: () => void, ms: number): unknown {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    const timer: Timer = { id: this.nextId, at: this.nowMs + delay, fn }
    this.nextId += 1
    // Binary search for the insertion point keeps the list sorted (a heap would be faster for huge
    // counts; a test with a few thousand timers does not need one).
    let low = 0
    let high = this.timers.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.timers[middle]!.at <= timer.at) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    this.timers.splice(low, 0, timer)
    return timer.id
  }

  /** @inheritdoc */
  clearTimeout(handle: unknown): void {
    const index = this.timers.findIndex((timer) => timer.id === handle)
    if (index >= 0) {
      this.timers.splice(index, 1)
    }
  }

  /** Drops every scheduled timer without running it. */
  clearAll(): void {
    this.timers.length = 0
  }

  /** How many timers are scheduled and not yet run or cleared. */
  pending(): number {
    return this.timers.length
  }

  /** When the next timer is due (epoch ms), or `undefined` when none is. */
  nextAt(): number | undefined {
    return this.timers[0]?.at
  }

  /** Lets every pending promise callback run, without moving time. */
  flush(): Promise<void> {
    return macrotask()
  }

  /**
   * Moves time forward by `ms`, running every timer due on the way in order (with `now()` at each timer's
   * due time) and letting promise callbacks run after each.
   */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + Math.max(0, ms)
    await macrotask()
    for (;;) {
      const next = this.timers[0]
      if (!next || next.at > until) {
        break
      }
      this.timers.shift()
      this.nowMs = Math.max(this.nowMs, next.at)
      next.fn()
      await macrotask()
    }
    this.nowMs = until
    await macrotask()
  }

  /**
   * Runs timers (jumping time to each) until none is left.
   * @param maxTimers - a guard against code that reschedules forever. @default 100000
   * @throws {Error} when more than `maxTimers` timers ran
   */
  async runAll(maxTimers = 100_000): Promise<void> {
    await macrotask()
    for (let ran = 0; ; ran += 1) {
      const next = this.timers[0]
      if (!next) {
        return
      }
      if (ran >= maxTimers) {
        throw new Error(
          `ManualClock.runAll() ran ${maxTimers} timers and more keep coming: something reschedules forever ` +
            '(a reconnect policy without maxAttempts against an environment that never comes back?).',
        )
      }
      this.timers.shift()
      this.nowMs = Math.max(this.nowMs, next.at)
      next.fn()
      await macrotask()
    }
  }
}
