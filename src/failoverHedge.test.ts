import { describe, expect, it } from 'vitest'

import type { Failover } from './failover'
import { AnswerTimes, hedge, resolveHedged } from './failoverHedge'
import { ManualClock } from './testing/ManualClock'
import type { Assignment, Manifest } from './types'

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

describe('resolveHedged()', () => {
  const green = 'http://127.0.0.1:5080'
  const base = {
    manifestVersion: 1,
    revision: 1,
    issuedAt: '2026-11-26T10:00:00Z',
    ttl: 15,
    roles: { production: 'green', staging: 'blue', failover: 'blue' },
    environments: {
      green: { streamManager: green, api: 'sm2', state: 'serving' },
      blue: { streamManager: 'http://127.0.0.1:5081', api: 'sm1', state: 'serving' },
    },
  } as unknown as Manifest

  /** A failover whose probes of production go unanswered (bounded), and whose backup confirms. */
  function silentProduction(clock: ManualClock): { failover: Failover; probes: number[] } {
    const t0 = clock.now()
    const probes: number[] = []
    const failover = {
      active: undefined,
      answers: (_base: string, boundMs: number) => {
        probes.push(clock.now() - t0)
        return new Promise<boolean>((resolve) => clock.setTimeout(() => resolve(false), boundMs))
      },
      report: () => Promise.resolve('blue'),
    }
    return { failover: failover as unknown as Failover, probes }
  }

  function context(clock: ManualClock, failover: Failover, production: () => Promise<Assignment>) {
    const times = new AnswerTimes()
    times.record(green, 5) // a fast Stream Manager: overdue after the 400 ms floor
    return {
      clock,
      manifest: base,
      pinned: false,
      failover,
      times,
      resolveOn: (where: string): Promise<Assignment> =>
        where === 'green' ? production() : Promise.resolve({ environment: where } as unknown as Assignment),
    }
  }

  it('a silent production: the probe goes out in the second half of the overdue time, and the backup answers when the call is overdue', async () => {
    const clock = new ManualClock()
    const { failover, probes } = silentProduction(clock)
    const hanging = (): Promise<Assignment> => new Promise<Assignment>(() => undefined)
    const t0 = clock.now()
    let answeredAt: number | undefined
    void resolveHedged(context(clock, failover, hanging), 'green', new AbortController().signal).then(
      () => (answeredAt = clock.now() - t0),
    )
    await clock.advance(199)
    expect(probes).toEqual([])
    await clock.advance(1)
    expect(probes).toEqual([200])
    await clock.advance(199)
    expect(answeredAt).toBeUndefined()
    await clock.advance(1)
    expect(answeredAt).toBe(400)
  })

  it('a production that answers in the first half of the overdue time is never probed', async () => {
    const clock = new ManualClock()
    const { failover, probes } = silentProduction(clock)
    const answer = (): Promise<Assignment> =>
      new Promise<Assignment>((resolve) =>
        clock.setTimeout(() => resolve({ environment: 'green' } as unknown as Assignment), 150),
      )
    const result = resolveHedged(context(clock, failover, answer), 'green', new AbortController().signal)
    await clock.advance(1_000)
    expect(await result).toEqual({ environment: 'green' })
    expect(probes).toEqual([])
  })
})
