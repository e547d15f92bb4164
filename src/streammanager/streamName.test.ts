import { describe, expect, it } from 'vitest'

import { isBlueGreenError } from '../errors'
import { encodeStreamPath, validateStreamName } from './streamName'

function rejection(value: unknown): unknown {
  try {
    validateStreamName(value)
  } catch (error) {
    return error
  }
  throw new Error(`validateStreamName(${JSON.stringify(value)}) did not throw`)
}

describe('validateStreamName()', () => {
  it.each([
    ['stage'],
    ['stage left'],
    ['ünïcödé 名前'],
    ['a#b?c%d&e=f+g'],
    ['room1/stream1'],
    ['x'.repeat(255)],
    ['😀'.repeat(255)],
    ['a..b'],
  ])('accepts %j and returns it unchanged', (name) => {
    expect(validateStreamName(name)).toBe(name)
  })

  it.each([
    ['', /empty/],
    ['x'.repeat(256), /256 characters/],
    ['a\u0000b', /control character/],
    ['line\nbreak', /control character/],
    ['del\u007f', /control character/],
    ['c1\u0085', /control character/],
    ['..', /"\.\." path segment/],
    ['a/../b', /"\.\." path segment/],
    ['a/..', /"\.\." path segment/],
    ['.', /"\." path segment/],
    ['a/./b', /"\." path segment/],
    ['/leading', /starts or ends with "\/"/],
    ['trailing/', /starts or ends with "\/"/],
    ['half\uD800', /unpaired UTF-16 surrogate/],
  ])('rejects %j with INVALID_ARGUMENT saying why', (name, why) => {
    const error = rejection(name)
    expect(isBlueGreenError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect((error as Error).message).toMatch(why)
    expect((error as { streamName?: string }).streamName).toBe(name)
  })

  it.each([[undefined], [null], [42], [{ name: 'x' }]])(
    'rejects the non-string %j with INVALID_ARGUMENT',
    (value) => {
      const error = rejection(value)
      expect(isBlueGreenError(error, 'INVALID_ARGUMENT')).toBe(true)
      expect((error as Error).message).toMatch(/must be a string/)
    },
  )

  it('shows control characters escaped in the message, never raw', () => {
    const error = rejection('evil\u001b[31mred') as Error
    expect(error.message).toContain('\\u001b')
    expect(error.message).not.toContain('\u001b')
  })
})

describe('encodeStreamPath()', () => {
  it('percent-encodes each segment and keeps inner slashes as separators', () => {
    expect(encodeStreamPath('room 1/a#b?c%d')).toBe('room%201/a%23b%3Fc%25d')
  })

  it('encodes non-ASCII characters as UTF-8 percent escapes', () => {
    expect(encodeStreamPath('é😀')).toBe('%C3%A9%F0%9F%98%80')
  })
})
