import { describe, expect, it } from 'vitest'

import { InFlight } from './inflight'

/** An operation the test finishes by hand, recording the signal it was given. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const abortedWith = (reason: unknown) => new Error(`aborted: ${String(reason)}`)

describe('InFlight', () => {
  it('runs one operation for callers that ask for the same key together, and gives each the result', async () => {
    const inflight = new InFlight<string>()
    const op = deferred<string>()
    let starts = 0
    const start = () => {
      starts++
      return op.promise
    }
    const calls = Array.from({ length: 10 }, () => inflight.run('k', start, undefined, abortedWith))
    op.resolve('node')
    expect(await Promise.all(calls)).toEqual(Array(10).fill('node'))
    expect(starts).toBe(1)
  })

  it('keeps nothing once the operation settles: the next call starts a new one', async () => {
    const inflight = new InFlight<number>()
    let starts = 0
    const start = () => Promise.resolve(++starts)
    expect(await inflight.run('k', start, undefined, abortedWith)).toBe(1)
    expect(inflight.size).toBe(0)
    expect(await inflight.run('k', start, undefined, abortedWith)).toBe(2)
  })

  it('runs separate operations for different keys', async () => {
    const inflight = new InFlight<string>()
    const keys: string[] = []
    const run = (key: string) =>
      inflight.run(
        key,
        () => {
          keys.push(key)
          return Promise.resolve(key)
        },
        undefined,
        abortedWith,
      )
    expect(await Promise.all([run('publish'), run('subscribe'), run('publish')])).toEqual([
      'publish',
      'subscribe',
      'publish',
    ])
    expect(keys).toEqual(['publish', 'subscribe'])
  })

  it('shares a failure with every caller', async () => {
    const inflight = new InFlight<string>()
    const boom = new Error('boom')
    const calls = [1, 2, 3].map(() => inflight.run('k', () => Promise.reject(boom), undefined, abortedWith))
    for (const call of calls) {
      await expect(call).rejects.toBe(boom)
    }
  })

  it('rejects only the caller that aborts; the others still get the result and the operation is not aborted', async () => {
    const inflight = new InFlight<string>()
    const op = deferred<string>()
    let shared: AbortSignal | undefined
    const start = (signal: AbortSignal | undefined) => {
      shared = signal
      return op.promise
    }
    const quitter = new AbortController()
    const first = inflight.run('k', start, quitter.signal, abortedWith)
    const others = [
      inflight.run('k', start, undefined, abortedWith),
      inflight.run('k', start, new AbortController().signal, abortedWith),
    ]
    quitter.abort('user left')
    await expect(first).rejects.toThrow('aborted: user left')
    expect(shared?.aborted).toBe(false)
    op.resolve('node')
    expect(await Promise.all(others)).toEqual(['node', 'node'])
  })

  it('aborts the operation when every caller has aborted, and a later call starts afresh', async () => {
    const inflight = new InFlight<string>()
    const signals: AbortSignal[] = []
    const start = (signal: AbortSignal | undefined) => {
      signals.push(signal!)
      return new Promise<string>((_resolve, reject) =>
        signal!.addEventListener('abort', () => reject(signal!.reason)),
      )
    }
    const a = new AbortController()
    const b = new AbortController()
    const calls = [
      inflight.run('k', start, a.signal, abortedWith),
      inflight.run('k', start, b.signal, abortedWith),
    ]
    a.abort('a')
    expect(signals[0]?.aborted).toBe(false)
    b.abort('b')
    await expect(calls[0]).rejects.toThrow('aborted: a')
    await expect(calls[1]).rejects.toThrow('aborted: b')
    expect(signals[0]?.aborted).toBe(true)
    expect(inflight.size).toBe(0)
    const fresh = inflight.run('k', () => Promise.resolve('again'), undefined, abortedWith)
    expect(await fresh).toBe('again')
  })

  it('rejects at once, without starting anything, when the signal is already aborted', async () => {
    const inflight = new InFlight<string>()
    let started = false
    const call = inflight.run(
      'k',
      () => {
        started = true
        return Promise.resolve('x')
      },
      AbortSignal.abort('early'),
      abortedWith,
    )
    await expect(call).rejects.toThrow('aborted: early')
    expect(started).toBe(false)
  })
})
