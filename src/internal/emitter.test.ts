import { describe, expect, it } from 'vitest'

import { scopedLogger } from '../environment'
import { SafeEmitter } from './emitter'

describe('SafeEmitter.safeEmit', () => {
  it('a throwing listener is logged and the following listeners still run', () => {
    const errors: string[] = []
    const emitter = new SafeEmitter<{ tick: (n: number) => void }>(
      scopedLogger({ error: (m: string) => errors.push(m) }, 'test'),
    )
    const got: number[] = []
    emitter.on('tick', () => {
      throw new Error('boom')
    })
    emitter.on('tick', (n) => got.push(n))
    expect(emitter.safeEmit('tick', 1)).toBe(true)
    expect(got).toEqual([1])
    expect(errors).toEqual(['[red5pro-bluegreen:test] a "tick" listener threw'])
  })

  it('once() listeners run once, as with emit()', () => {
    const emitter = new SafeEmitter<{ tick: () => void }>()
    let calls = 0
    emitter.once('tick', () => calls++)
    emitter.safeEmit('tick')
    emitter.safeEmit('tick')
    expect(calls).toBe(1)
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('a rejecting async listener does not become an unhandled rejection', async () => {
    const errors: string[] = []
    const emitter = new SafeEmitter<{ tick: () => void }>(
      scopedLogger({ error: (m: string) => errors.push(m) }, 't'),
    )
    emitter.on('tick', async () => {
      throw new Error('async boom')
    })
    emitter.safeEmit('tick')
    await new Promise((r) => setTimeout(r, 0))
    expect(errors).toHaveLength(1)
  })

  it('returns false when nobody listens', () => {
    expect(new SafeEmitter<{ tick: () => void }>().safeEmit('tick')).toBe(false)
  })
})
