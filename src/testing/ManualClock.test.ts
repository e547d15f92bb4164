import { describe, expect, it } from 'vitest'

import { sleep } from '../environment'
import { ManualClock } from './ManualClock'

describe('ManualClock', () => {
  it('starts at the given time and only moves when told to', async () => {
    const clock = new ManualClock(1_000)
    expect(clock.now()).toBe(1_000)
    await clock.flush()
    expect(clock.now()).toBe(1_000)
    await clock.advance(250)
    expect(clock.now()).toBe(1_250)
  })

  it('advance() runs due timers in time order (ties in creation order) with now() at each due time', async () => {
    const clock = new ManualClock(0)
    const seen: string[] = []
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20)
    clock.setTimeout(() => seen.push(`late@${clock.now()}`), 31)
    await clock.advance(30)
    expect(seen).toEqual(['a@10', 'b@20', 'c@20'])
    expect(clock.pending()).toBe(1)
    expect(clock.now()).toBe(30)
  })

  it('lets promise chains started by a timer finish before the next timer runs', async () => {
    const clock = new ManualClock(0)
    const seen: string[] = []
    const chain = async () => {
      await sleep(clock, 10)
      await Promise.resolve()
      seen.push('chain done')
    }
    void chain()
    clock.setTimeout(() => seen.push('next timer'), 10)
    await clock.advance(10)
    expect(seen).toEqual(['chain done', 'next timer'])
  })

  it('clearTimeout() cancels; pending() counts what is left', async () => {
    const clock = new ManualClock(0)
    let ran = false
    const handle = clock.setTimeout(() => (ran = true), 5)
    clock.setTimeout(() => undefined, 5)
    clock.clearTimeout(handle)
    expect(clock.pending()).toBe(1)
    await clock.runAll()
    expect(ran).toBe(false)
    expect(clock.pending()).toBe(0)
  })

  it('runAll() follows timers that schedule timers, jumping time', async () => {
    const clock = new ManualClock(0)
    let count = 0
    const tick = (): void => {
      count += 1
      if (count < 5) {
        clock.setTimeout(tick, 1_000)
      }
    }
    clock.setTimeout(tick, 1_000)
    await clock.runAll()
    expect(count).toBe(5)
    expect(clock.now()).toBe(5_000)
  })

  it('runAll() refuses to loop forever', async () => {
    const clock = new ManualClock(0)
    const forever = (): void => void clock.setTimeout(forever, 1)
    forever()
    await expect(clock.runAll(50)).rejects.toThrow('reschedules forever')
    clock.clearAll()
    expect(clock.pending()).toBe(0)
  })
})
