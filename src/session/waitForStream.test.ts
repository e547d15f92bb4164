import { describe, expect, it } from 'vitest'

import { BlueGreenError } from '../errors'
import { retryAfterSpreadMs } from '../internal/retryAfter'
import { waitDelay } from './waitForStream'

const notFound = (retryAfterMs: number): BlueGreenError =>
  new BlueGreenError('STREAM_NOT_FOUND', 'not published', { retryAfterMs })

describe('waitDelay()', () => {
  it("takes the Stream Manager's Retry-After as a floor, never earlier, with the spread above it", () => {
    const spread = retryAfterSpreadMs(30_000)
    expect(spread).toBeGreaterThan(0)
    expect(waitDelay(1, () => 0, notFound(30_000))).toBe(30_000)
    expect(waitDelay(1, () => 0.999, notFound(30_000))).toBe(Math.floor(30_000 + 0.999 * spread))
  })

  it('spreads a crowd told the same Retry-After over the seconds above it', () => {
    let seed = 1
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const seconds = new Set(
      Array.from({ length: 500 }, () => Math.floor(waitDelay(1, random, notFound(10_000)) / 1000)),
    )
    const top = Math.ceil((10_000 + retryAfterSpreadMs(10_000)) / 1000) - 1
    expect([...seconds].sort((a, b) => a - b)).toEqual(Array.from({ length: top - 9 }, (_, i) => 10 + i))
  })

  it('cuts a Retry-After longer than a minute to a minute (then the spread)', () => {
    expect(waitDelay(1, () => 0, notFound(3_600_000))).toBe(60_000)
    expect(waitDelay(1, () => 0.5, notFound(3_600_000))).toBe(60_000 + retryAfterSpreadMs(60_000) / 2)
  })

  it('without Retry-After: equal jitter over the step', () => {
    expect(waitDelay(1, () => 0)).toBe(500)
    expect(waitDelay(4, () => 0.999)).toBeLessThan(8_000)
    expect(waitDelay(30, () => 0)).toBe(5_000)
  })
})
