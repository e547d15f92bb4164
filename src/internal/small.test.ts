/** The small internal helpers, exactly: the backoff curve, Retry-After, ids, host edges, listeners. */
import { afterEach, describe, expect, it, vi } from 'vitest'

import { isEnvelope, MANIFEST_PAYLOAD_TYPE } from '../discovery/envelope'
import { fullJitterDelay } from './backoff'
import { SafeEmitter } from './emitter'
import { hostMatches, hostOfAddress, isLoopbackHost } from './hosts'
import { uniqueId } from './ids'
import { parseRetryAfter } from './retryAfter'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('fullJitterDelay()', () => {
  it('is random() times min(cap, base * 2^(attempt - 1)), floored', () => {
    const half = () => 0.5
    expect(fullJitterDelay(1, 100, 10_000, half)).toBe(50)
    expect(fullJitterDelay(2, 100, 10_000, half)).toBe(100)
    expect(fullJitterDelay(4, 100, 10_000, half)).toBe(400)
    expect(fullJitterDelay(20, 100, 10_000, half)).toBe(5_000) // capped
    expect(fullJitterDelay(0, 100, 10_000, half)).toBe(50) // attempt 0 counts as the first
    expect(fullJitterDelay(3, 100, 10_000, () => 0.999)).toBe(399)
    expect(fullJitterDelay(1000, 1, Number.MAX_SAFE_INTEGER, () => 1)).toBe(2 ** 30) // exponent capped at 30
  })
})

describe('parseRetryAfter()', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')
  it.each([
    [null, undefined],
    ['', undefined],
    ['   ', undefined],
    ['7', 7_000],
    [' 12 ', 12_000],
    ['3s', undefined],
    ['soon', undefined],
    ['Thu, 26 Nov 2026 10:00:30 GMT', 30_000],
    ['Thu, 26 Nov 2026 09:59:00 GMT', 0],
  ])('%j -> %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})

describe('uniqueId()', () => {
  it('uses crypto.randomUUID where it exists', () => {
    vi.stubGlobal('crypto', { randomUUID: () => 'from-crypto' })
    expect(uniqueId(() => 0.5)).toBe('from-crypto')
  })

  it('falls back to 32 hex digits from random() (insecure pages have no randomUUID)', () => {
    vi.stubGlobal('crypto', {})
    let n = 0
    const id = uniqueId(() => (n++ % 16) / 16)
    expect(id).toBe('0123456789abcdef0123456789abcdef')
  })
})

describe('isEnvelope()', () => {
  it.each([
    [{ payloadType: MANIFEST_PAYLOAD_TYPE, payload: '', signatures: [] }, true],
    [{ payloadType: 1, payload: '', signatures: [] }, false],
    [{ payloadType: 't', payload: 1, signatures: [] }, false],
    [{ payloadType: 't', payload: '', signatures: {} }, false],
    [null, false],
    ['{"payloadType":"t"}', false],
    [7, false],
  ])('%j -> %s', (value, expected) => {
    expect(isEnvelope(value)).toBe(expected)
  })

  it('names the manifest payload type', () => {
    expect(MANIFEST_PAYLOAD_TYPE).toBe('application/vnd.red5pro-bluegreen.manifest+json')
  })
})

describe('host edges', () => {
  it.each([
    ['127.1.22.233', true],
    ['127.22.1.1', true],
    ['127.1.1.22', true],
    ['127.1.1.1111', false],
    ['[::1]', true],
    ['[::1', true],
    ['::1]', true],
  ])('isLoopbackHost(%s) -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })

  it('strips IPv6 brackets only at the ends, and compares case-insensitively', () => {
    expect(hostMatches('[fe80::1]', 'fe80::1')).toBe(true)
    expect(hostMatches('fe80::1', '[fe80::1]')).toBe(true)
    expect(hostMatches('A.Example.COM', '*.EXAMPLE.com')).toBe(true)
  })

  it('a star may take every remaining label, and literal labels must all be there', () => {
    expect(hostMatches('a.b.c', '*')).toBe(true)
    expect(hostMatches('a.b', 'a.b.c')).toBe(false)
    expect(hostMatches('a.b.c', 'a.*')).toBe(true)
    expect(hostMatches('x.a.y.a.z', '*.a.*.a.*')).toBe(true)
    expect(hostMatches('x.a.y.z', '*.a.*.a.*')).toBe(false)
  })

  it('hostOfAddress() ignores surrounding spaces', () => {
    expect(hostOfAddress(' 10.0.0.5:5080 ')).toBe('10.0.0.5')
  })
})

describe('SafeEmitter listeners', () => {
  class Emitter extends SafeEmitter<{ tick: () => void }> {
    public constructor() {
      super()
    }
  }

  it('on() listeners stay; once() listeners go after their call', () => {
    const emitter = new Emitter()
    let on = 0
    let once = 0
    emitter.on('tick', () => on++)
    emitter.once('tick', () => once++)
    emitter.safeEmit('tick')
    emitter.safeEmit('tick')
    expect([on, once]).toEqual([2, 1])
  })

  it('without a logger a throwing listener is still contained', () => {
    const emitter = new Emitter()
    emitter.on('tick', () => {
      throw new Error('boom')
    })
    expect(() => emitter.safeEmit('tick')).not.toThrow()
  })
})
