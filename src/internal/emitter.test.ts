import { describe, expect, it } from 'vitest'

import { type Logger, scopedLogger } from '../environment'
import { SafeEmitter } from './emitter'

/** SafeEmitter's constructor is protected (apps get clients and sessions from factories). */
class Emitter<Events extends object> extends SafeEmitter<Events> {
  public constructor(logger?: Logger) {
    super(logger)
  }
}

describe('SafeEmitter.safeEmit', () => {
  it('a throwing listener is logged and the following listeners still run', () => {
    const errors: string[] = []
    const emitter = new Emitter<{ tick: (n: number) => void }>(
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
    const emitter = new Emitter<{ tick: () => void }>()
    let calls = 0
    emitter.once('tick', () => calls++)
    emitter.safeEmit('tick')
    emitter.safeEmit('tick')
    expect(calls).toBe(1)
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('a rejecting async listener does not become an unhandled rejection', async () => {
    const errors: string[] = []
    const emitter = new Emitter<{ tick: () => void }>(
      scopedLogger({ error: (m: string) => errors.push(m) }, 't'),
    )
    emitter.on('tick', async () => {
      throw new Error('async boom')
    })
    emitter.safeEmit('tick')
    await new Promise((r) => setTimeout(r, 0))
    expect(errors).toHaveLength(1)
  })

  it('cannot be constructed directly (a type error), and its context argument is the listener this', () => {
    // @ts-expect-error: the constructor is protected
    const direct = new SafeEmitter<{ tick: () => void }>()
    expect(direct.listenerCount('tick')).toBe(0)
    const context = { calls: 0 }
    const emitter = new Emitter<{ tick: () => void }>()
    emitter.on(
      'tick',
      function (this: typeof context) {
        this.calls++
      },
      context,
    )
    emitter.safeEmit('tick')
    expect(context.calls).toBe(1)
  })

  it('returns false when nobody listens', () => {
    expect(new Emitter<{ tick: () => void }>().safeEmit('tick')).toBe(false)
  })
})
