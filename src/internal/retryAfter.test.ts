/** `Retry-After`: what is read as a wait, and the floor + jitter every retry of ours uses. */
import { describe, expect, it } from 'vitest'

import { postRetryDelay } from '../session/drivers/whip/http'
import { stormControl } from './coordination'
import { parseRetryAfter, retryAfterSpreadMs, retryAfterWait } from './retryAfter'

const now = Date.parse('2026-11-26T10:00:00Z')

describe('parseRetryAfter(): delta-seconds are digits only', () => {
  it.each([
    ['0', 0],
    ['1', 1_000],
    ['10', 10_000],
    [' 10 ', 10_000],
    ['1.5', undefined], // not a date either (Date.parse reads it as one)
    ['-3', undefined], // negative: not delta-seconds, not a date
    ['+3', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['3s', undefined],
    ['10, 20', undefined],
    ['2026', 2_026_000], // delta-seconds, not a year (Date.parse would read a year)
    ['12/01/2026', undefined], // a date, but not an HTTP date
  ])('%j -> %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})

describe('parseRetryAfter(): the three HTTP date formats, nothing else', () => {
  it.each([
    ['Thu, 26 Nov 2026 10:00:30 GMT', 30_000], // IMF-fixdate
    ['Thu, 26 Nov 2026 10:00:00 GMT', 0], // the boundary: now
    ['Thu, 26 Nov 2026 10:00:01 GMT', 1_000],
    ['Thu, 26 Nov 2026 09:59:59 GMT', 0], // past: at once, never negative
    ['Thursday, 26-Nov-26 10:00:05 GMT', 5_000], // RFC 850
    ['Thu Nov 26 10:00:07 2026', 7_000], // asctime (GMT, not local time)
    ['Thu Nov  6 10:00:07 2026', 0], // asctime's space-padded day (in the past)
    ['Thu, 26 Nov 2026 10:00:30 +0000', undefined], // not GMT
    ['26 Nov 2026 10:00:30 GMT', undefined], // no day name
    ['Thu, 31 Feb 2026 10:00:30 GMT', undefined], // no such day
    ['Thu, 26 Nov 2026 25:00:30 GMT', undefined], // no such hour
    ['2026-11-26T10:00:30Z', undefined], // ISO 8601 is not an HTTP date
  ])('%j -> %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('reads an RFC 850 year more than 50 years ahead as the past century', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0) // 1994, not 2094
  })
})

describe('retryAfterWait(): the floor, then jitter above it', () => {
  it('is never earlier than the floor and reaches up to floor + spread', () => {
    expect(retryAfterWait(10_000, () => 0)).toBe(10_000)
    expect(retryAfterWait(10_000, () => 0.5)).toBe(11_000)
    expect(retryAfterWait(10_000, () => 0.999_999)).toBe(11_999)
  })

  it('spreads a crowd over [floor, floor + spread): 500 waits, none early, none in the same 100 ms as 40 others', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const waits = Array.from({ length: 500 }, () => retryAfterWait(10_000, random))
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(10_000)
    expect(Math.max(...waits)).toBeLessThan(12_000)
    const perBucket = new Map<number, number>()
    for (const wait of waits) {
      perBucket.set(Math.floor(wait / 100), (perBucket.get(Math.floor(wait / 100)) ?? 0) + 1)
    }
    expect(Math.max(...perBucket.values())).toBeLessThan(40) // exact honouring puts all 500 in one
  })

  it('cuts the floor to the cap, and still jitters above the cut floor', () => {
    expect(retryAfterWait(60_000, () => 0, 10_000)).toBe(10_000)
    expect(retryAfterWait(60_000, () => 0.5, 10_000)).toBe(11_000)
  })

  it('spread: a fifth of the floor, at least 1 s, at most 30 s (boundaries)', () => {
    expect(retryAfterSpreadMs(0)).toBe(1_000)
    expect(retryAfterSpreadMs(4_995)).toBe(1_000)
    expect(retryAfterSpreadMs(5_000)).toBe(1_000)
    expect(retryAfterSpreadMs(5_005)).toBe(1_001)
    expect(retryAfterSpreadMs(149_995)).toBe(29_999)
    expect(retryAfterSpreadMs(150_000)).toBe(30_000)
    expect(retryAfterSpreadMs(150_005)).toBe(30_000)
    expect(retryAfterWait(0, () => 0.5)).toBe(500) // Retry-After: 0 is spread too
  })
})

describe('postRetryDelay() (WHIP/WHEP POST answered 503 or 429)', () => {
  it('is the Retry-After floor plus jitter, cut to maxRetryAfterMs', () => {
    expect(postRetryDelay(1_000, 1, () => 0, 10_000)).toBe(1_000)
    expect(postRetryDelay(1_000, 1, () => 0.5, 10_000)).toBe(1_500)
    expect(postRetryDelay(30_000, 1, () => 0.5, 10_000)).toBe(11_000)
  })

  it('without Retry-After: full jitter over 500 ms doubling, at most 5 s', () => {
    expect(postRetryDelay(undefined, 1, () => 0.5, 10_000)).toBe(250)
    expect(postRetryDelay(undefined, 5, () => 0.5, 10_000)).toBe(2_500)
  })

  it('storm control off (the benchmark baseline): Retry-After exactly', () => {
    stormControl.enabled = false
    try {
      expect(postRetryDelay(1_000, 1, () => 0.5, 10_000)).toBe(1_000)
    } finally {
      stormControl.enabled = true
    }
  })
})
