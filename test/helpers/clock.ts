/** A clock for client tests: real `now()` offset by `advance()`, timers run only when a test says so. */
import type { Clock } from '../../src/environment'

export interface StepClock extends Clock {
  advance(ms: number): void
  /** Delays of timers still pending. */
  pending(): number[]
  /** Runs the earliest pending timer (advancing time to it); returns its delay or undefined. */
  runNext(): number | undefined
}

export function stepClock(start = Date.parse('2026-11-26T10:00:00Z')): StepClock {
  let now = start
  let seq = 0
  const timers = new Map<number, { at: number; fn: () => void; delay: number }>()
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq
      timers.set(id, { at: now + ms, fn, delay: ms })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    advance(ms) {
      now += ms
    },
    pending: () => [...timers.values()].map((t) => t.delay),
    runNext() {
      const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (!next) {
        return undefined
      }
      timers.delete(next[0])
      now = Math.max(now, next[1].at)
      next[1].fn()
      return next[1].delay
    },
  }
}
