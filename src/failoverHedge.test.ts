import { describe, expect, it } from 'vitest'

import { AnswerTimes, hedge } from './failoverHedge'
import { ManualClock } from './testing/ManualClock'

describe('AnswerTimes', () => {
  it('is 1.5 s before any answer, then 4 x the slowest of the last 8 answers, never under 400 ms', () => {
    const times = new AnswerTimes()
    expect(times.overdueAfterMs('sm')).toBe(1_500)
    times.record('sm', 99)
    expect(times.overdueAfterMs('sm')).toBe(400) // 4 x 99 = 396: the floor
    times.record('sm', 101)
    expect(times.overdueAfterMs('sm')).toBe(404)
    for (let i = 0; i < 8; i++) {
      times.record('sm', 10)
    }
    expect(times.overdueAfterMs('sm')).toBe(400) // the slow answers left the window
    expect(times.overdueAfterMs('other')).toBe(1_500)
  })
})

describe('hedge()', () => {
  const never = (signal: AbortSignal): Promise<string> =>
    new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))

  it('answers from elsewhere once the call is overdue and an outage is confirmed; the call is aborted', async () => {
    const clock = new ManualClock()
    let aborted = false
    const result = hedge(
      clock,
      400,
      undefined,
      (signal) => {
        signal.addEventListener('abort', () => (aborted = true))
        return never(signal)
      },
      () => Promise.resolve('blue'),
      (place) => Promise.resolve(`from ${place}`),
    )
    await clock.advance(399)
    expect(aborted).toBe(false)
    await clock.advance(1)
    expect(await result).toBe('from blue')
    expect(aborted).toBe(true)
  })

  it('lets the call run on when nothing is confirmed, and never asks when it answers in time', async () => {
    const clock = new ManualClock()
    let asked = 0
    let answer: (value: string) => void = () => undefined
    const slow = hedge(
      clock,
      400,
      undefined,
      () => new Promise<string>((resolve) => (answer = resolve)),
      () => {
        asked += 1
        return Promise.resolve(undefined)
      },
      () => Promise.resolve('elsewhere'),
    )
    await clock.advance(1_000)
    expect(asked).toBe(1)
    answer('late but here')
    expect(await slow).toBe('late but here')

    const quick = hedge(
      clock,
      400,
      undefined,
      () => Promise.resolve('in time'),
      () => {
        asked += 1
        return Promise.resolve('blue')
      },
      () => Promise.resolve('elsewhere'),
    )
    expect(await quick).toBe('in time')
    await clock.advance(1_000)
    expect(asked).toBe(1)
  })

  it('asks at once, not at the overdue time, when nudged (the client failed over meanwhile), once; unsubscribes when done', async () => {
    const clock = new ManualClock()
    let asked = 0
    let nudge: (() => void) | undefined
    let subscribed = 0
    const result = hedge(
      clock,
      400,
      undefined,
      never,
      () => {
        asked += 1
        return Promise.resolve('blue')
      },
      (place) => Promise.resolve(`from ${place}`),
      (now) => {
        subscribed += 1
        nudge = now
        return () => (subscribed -= 1)
      },
    )
    await clock.advance(100)
    expect(asked).toBe(0)
    nudge!()
    expect(await result).toBe('from blue')
    nudge!()
    await clock.advance(1_000)
    expect(asked).toBe(1)
    expect(subscribed).toBe(0)
  })

  it('aborts the call when the caller aborts', async () => {
    const clock = new ManualClock()
    const outer = new AbortController()
    const result = hedge(
      clock,
      400,
      outer.signal,
      never,
      () => Promise.resolve(undefined),
      () => Promise.resolve('x'),
    )
    outer.abort(new Error('caller gave up'))
    await expect(result).rejects.toThrow('caller gave up')
  })
})
