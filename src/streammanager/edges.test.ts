/** Node addresses, stream names and quoted server texts at their edges. */
import { describe, expect, it } from 'vitest'

import { parseServerAddress } from './endpoints'
import { firstStringField, quote } from './StreamManagerClient'
import { validateStreamName } from './streamName'

describe('parseServerAddress() edges', () => {
  it.each([
    '-node.example.com',
    'node-.example.com',
    'node_1.example.com',
    `${'a'.repeat(64)}.example.com`,
    `${'a.'.repeat(126)}abc`, // 255 characters of valid labels
    '10.0.0.5:65536',
    '10.0.0.5:+80',
    '10.0.0.5:80 ',
    'x[::1]:443',
    '[::1]x',
    '[1:2:3]',
    '1:2:3',
  ])('refuses %j', (address) => {
    expect(parseServerAddress(address)).toBeUndefined()
  })

  it.each([
    [`${'a'.repeat(63)}.example.com`, undefined],
    [`${'a.'.repeat(125)}abc`, undefined], // 253 characters
    ['10.0.0.5:1', 1],
    ['10.0.0.5:65535', 65535],
    ['a', undefined],
    ['a1-b2', undefined],
  ])('accepts %j', (address, port) => {
    const parsed = parseServerAddress(address)
    expect(parsed?.port).toBe(port)
    expect(parsed?.host).toBe(address.split(':')[0])
  })

  it('an address without a port has no port key at all', () => {
    expect(Object.hasOwn(parseServerAddress('10.0.0.5')!, 'port')).toBe(false)
    expect(Object.hasOwn(parseServerAddress('[::1]')!, 'port')).toBe(false)
  })
})

describe('validateStreamName() messages', () => {
  it.each([
    [null, 'got null'],
    [42, 'got number'],
    [undefined, 'got undefined'],
  ])('%j: %s', (value, text) => {
    expect(() => validateStreamName(value)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining(text) }),
    )
  })

  it('quotes at most 80 characters of a refused name', () => {
    const name = `${'x'.repeat(100)}\u0007`
    expect(() => validateStreamName(name)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining(`"${'x'.repeat(80)}…"`) }),
    )
    const short = `${'y'.repeat(79)}\u0007`
    expect(() => validateStreamName(short)).toThrowError(
      expect.objectContaining({ message: expect.not.stringContaining('…') }),
    )
  })

  it.each(['a\uD800', '\uD800a', 'a\uDC00', '\uDC00a'])('a lone surrogate (%j) is refused', (name) => {
    expect(() => validateStreamName(name)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('a surrogate pair (an emoji) is a valid name', () => {
    expect(validateStreamName('cam-\uD83D\uDE00')).toBe('cam-\uD83D\uDE00')
  })
})

describe('server texts', () => {
  it('firstStringField() takes the first non-blank string field of an object', () => {
    expect(firstStringField({ a: '  ', b: 'yes' }, ['a', 'b'])).toBe('yes')
    expect(firstStringField({ a: 7, b: 'yes' }, ['a', 'b'])).toBe('yes')
    expect(firstStringField(['yes'], ['0'])).toBeUndefined()
    expect(firstStringField(null, ['a'])).toBeUndefined()
    expect(firstStringField('yes', ['length'])).toBeUndefined()
  })

  it('quote() makes one line of at most 200 characters', () => {
    expect(quote('  a \n\t b  ')).toBe('"a b"')
    expect(quote('x'.repeat(201))).toBe(`"${'x'.repeat(200)}…"`)
    expect(quote('x'.repeat(200))).toBe(`"${'x'.repeat(200)}"`)
  })
})
