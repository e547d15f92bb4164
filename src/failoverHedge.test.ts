import { describe, expect, it } from 'vitest'

import { resolveEnvironment, sleep } from './environment'
import { BlueGreenError } from './errors'
import { Failover } from './failover'
import { AnswerTimes, hedge, resolveHedged, type HedgeContext } from './failoverHedge'
import { ManualClock } from './testing/ManualClock'
import { failoverManifest } from './__fixtures__/failover'
import type { Assignment } from './types'

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

describe('resolveHedged()', () => {
  const manifest = failoverManifest
  const assignment = (environment: string) => ({ environment }) as unknown as Assignment

  function rig(probes: string[]) {
    const clock = new ManualClock()
    const env = resolveEnvironment({
      clock,
      logger: undefined,
      fetch: (url: string | URL | Request) => {
        probes.push(String(url))
        // Production gives no answer, the backup does.
        return String(url).includes(':1')
          ? new Promise<Response>(() => undefined)
          : Promise.resolve(new Response(null, { status: 404 }))
      },
    })
    const failover = new Failover(
      env,
      {},
      () => manifest,
      () => undefined,
    )
    const times = new AnswerTimes()
    times.record('http://127.0.0.1:1', 20)
    const asked: string[] = []
    /** A session's call on green: `turn` is its pacing, `answerMs` how long a Stream Manager takes. */
    const call = (turn: HedgeContext['turn'], answerMs = 0): Promise<Assignment> =>
      resolveHedged(
        {
          clock,
          manifest,
          pinned: false,
          failover,
          times,
          turn,
          resolveOn: async (where) => {
            asked.push(where)
            if (answerMs > 0) {
              await sleep(clock, answerMs)
            }
            return assignment(where)
          },
        },
        'green',
        new AbortController().signal,
      )
    return { clock, failover, times, asked, call }
  }

  it('a call that first waits 1 s for its pacing turn is neither overdue nor timed for that wait', async () => {
    const probes: string[] = []
    const { clock, failover, times, asked, call } = rig(probes)
    const answer = call((signal) => sleep(clock, 1_000, signal), 30)
    await clock.advance(1_030)
    expect(await answer).toEqual(assignment('green'))
    expect(asked).toEqual(['green'])
    expect(probes).toEqual([]) // never overdue: 30 ms after its turn
    expect(times.overdueAfterMs('http://127.0.0.1:1')).toBe(400) // 4 x 30 ms: the floor, not 4 x 1030 ms
    failover.close()
  })

  it('a call whose client failed over while it waited for its turn goes to the backup, not to production', async () => {
    const { failover, asked, call } = rig([])
    let release: () => void = () => undefined
    const answer = call(() => new Promise<void>((resolve) => (release = resolve)))
    expect(await failover.report(manifest, 'green', new BlueGreenError('TIMEOUT', 'no answer'))).toBe('blue')
    release()
    expect(await answer).toEqual(assignment('blue'))
    expect(asked).toEqual(['blue'])
    failover.close()
  })
})
