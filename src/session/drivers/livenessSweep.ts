/**
 * One timer for every liveness watch of a page (per clock and interval): each tick reads `getStats()` of
 * every watched connection at once, instead of one timer per session. `bench/watchdog.bench.ts` measures
 * both ways with 100 connections on one page. Hand-rolled: it is a set and a timer.
 * @internal
 */
import type { Clock } from '../../environment'

/** What a sweep polls. @internal */
export interface SweepMember {
  /** One reading; never rejects. */
  poll(): Promise<void>
}

/** Polls its members every `intervalMs` while it has any; no timer while empty. @internal */
export class Sweep {
  private readonly members = new Set<SweepMember>()
  /** Members whose last poll has not settled: skipped by the next ticks, so one hung getStats() holds up no other. */
  private readonly busy = new Set<SweepMember>()
  private timer: unknown

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onEmpty: () => void = () => undefined,
  ) {}

  /** Adds a member; its first poll comes with the next tick. */
  add(member: SweepMember): void {
    this.members.add(member)
    if (this.timer === undefined) {
      this.schedule()
    }
  }

  /** Removes a member; the timer stops with the last one. */
  delete(member: SweepMember): void {
    this.members.delete(member)
    this.busy.delete(member)
    if (this.members.size === 0) {
      if (this.timer !== undefined) {
        this.clock.clearTimeout(this.timer)
        this.timer = undefined
      }
      this.onEmpty()
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.tick()
    }, this.intervalMs)
  }

  private tick(): void {
    for (const member of this.members) {
      if (this.busy.has(member)) {
        continue
      }
      this.busy.add(member)
      void member.poll().finally(() => this.busy.delete(member))
    }
    if (this.members.size > 0) {
      this.schedule()
    }
  }
}

const shared = new WeakMap<Clock, Map<number, Sweep>>()

/** The page's sweep for this clock and interval (made on first use, forgotten when empty). @internal */
export function sharedSweep(clock: Clock, intervalMs: number): Sweep {
  let byInterval = shared.get(clock)
  if (byInterval === undefined) {
    byInterval = new Map()
    shared.set(clock, byInterval)
  }
  let sweep = byInterval.get(intervalMs)
  if (sweep === undefined) {
    const map = byInterval
    const made: Sweep = new Sweep(clock, intervalMs, () => {
      if (map.get(intervalMs) === made) {
        map.delete(intervalMs)
      }
    })
    sweep = made
    byInterval.set(intervalMs, sweep)
  }
  return sweep
}
