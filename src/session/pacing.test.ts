/** Per-client pacing of reconnect assignments: a burst at once, then one per slot, jittered in the slot. */
import { afterEach, describe, expect, it } from 'vitest'

import { stormControl } from '../internal/coordination'
import { ManualClock } from '../testing'
import { Pacing, RECONNECT_PACING } from './pacing'

afterEach(() => {
  stormControl.enabled = true
})

/** Asks for `n` turns at the same moment; returns the clock time each was granted. */
async function grant(pacing: Pacing, clock: ManualClock, n: number): Promise<number[]> {
  const at: number[] = []
  const signal = new AbortController().signal
  const turns = Array.from({ length: n }, (_, i) => pacing.turn(signal).then(() => (at[i] = clock.now())))
  await clock.runAll()
  await Promise.all(turns)
  return at
}

describe('Pacing', () => {
  it('lets the burst go at once, then one turn per slot (burst - 1, burst, burst + 1 boundary)', async () => {
    const clock = new ManualClock(0)
    const at = await grant(new Pacing(clock, () => 0, 10, 20), clock, 13)
    expect(at.slice(0, 10)).toEqual(Array(10).fill(0)) // the 9th and 10th: no wait
    expect(at.slice(10)).toEqual([0, 20, 40]) // the 11th takes the first slot, then one per 20 ms
  })

  it('jitters each turn inside its slot: never before the slot, never in the next one', async () => {
    const clock = new ManualClock(0)
    const at = await grant(new Pacing(clock, () => 0.999, 1, 20), clock, 4)
    expect(at).toEqual([0, 19, 39, 59])
  })

  it('spreads 100 sessions of one page: at most the burst in any 20 ms, all within 1.8 s + one slot', async () => {
    const clock = new ManualClock(0)
    let seed = 3
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const at = await grant(new Pacing(clock, random), clock, 100)
    const perSlot = new Map<number, number>()
    for (const t of at) {
      perSlot.set(Math.floor(t / 20), (perSlot.get(Math.floor(t / 20)) ?? 0) + 1)
    }
    expect(Math.max(...perSlot.values())).toBeLessThanOrEqual(RECONNECT_PACING.burst + 1)
    expect(Math.max(...at)).toBeLessThan((100 - RECONNECT_PACING.burst) * RECONNECT_PACING.spacingMs)
  })

  it('refills: after a quiet spell of burst * spacing, a new burst goes at once again', async () => {
    const clock = new ManualClock(0)
    const pacing = new Pacing(clock, () => 0, 3, 20)
    expect(await grant(pacing, clock, 5)).toEqual([0, 0, 0, 0, 20])
    await clock.advance(1_000)
    const later = clock.now()
    expect(await grant(pacing, clock, 3)).toEqual([later, later, later])
  })

  it('an aborted wait rejects with the reason and leaves no timer', async () => {
    const clock = new ManualClock(0)
    const pacing = new Pacing(clock, () => 0.5, 0, 20)
    const controller = new AbortController()
    const turn = pacing.turn(controller.signal)
    controller.abort(new Error('closed'))
    await expect(turn).rejects.toThrow('closed')
    expect(clock.pending()).toBe(0)
  })

  it('switched off (the benchmark baseline), every turn goes at once', async () => {
    stormControl.enabled = false
    const clock = new ManualClock(0)
    expect(await grant(new Pacing(clock, () => 0.5, 1, 20), clock, 5)).toEqual([0, 0, 0, 0, 0])
  })
})
