import { describe, expect, it } from 'vitest'

import { hostAllowed, hostMatches, hostOfAddress, isLoopbackHost } from './hosts'

describe('allowedHosts patterns: `*` is one or more whole DNS labels', () => {
  it.each([
    ['a.example.com', '*.example.com', true],
    ['a.b.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['evilexample.com', '*.example.com', false],
    ['a.example.com.evil.net', '*.example.com', false],
    ['SM.Example.COM.', '*.example.com', true],
    ['sm.example.com', 'sm.example.com', true],
    ['sm2.example.com', 'sm.example.com', false],
    ['blue.sm.example.com', 'blue.*.example.com', true],
    ['blue.example.com', 'blue.*.example.com', false],
    ['127.0.0.1', '*.example.com', false],
    ['127.0.0.1', '127.0.0.1', true],
  ])('%s against %s -> %s', (host, pattern, expected) => {
    expect(hostMatches(host, pattern)).toBe(expected)
  })
})

describe('allowedHosts lists', () => {
  it('a host matching any one pattern is allowed (any of, not all of)', () => {
    expect(hostAllowed('a.example.com', ['*.example.com', 'other.net'])).toBe(true)
    expect(hostAllowed('other.net', ['*.example.com', 'other.net'])).toBe(true)
    expect(hostAllowed('third.org', ['*.example.com', 'other.net'])).toBe(false)
    expect(hostAllowed('a.example.com', [])).toBe(false)
  })

  it('matching takes polynomial time: 8 stars against a 121-label host that does not match', () => {
    const host = `${'a.'.repeat(120)}com`
    const pattern = `${'*.'.repeat(8)}b.com`
    const started = performance.now()
    expect(hostMatches(host, pattern)).toBe(false)
    expect(hostMatches(host, `${'*.'.repeat(8)}com`)).toBe(true)
    expect(performance.now() - started).toBeLessThan(100)
  })
})

describe('loopback and node addresses', () => {
  it.each([
    ['localhost', true],
    ['app.localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['localhost.example.com', false],
    ['127.0.0.1.evil.net', false],
    ['x127.0.0.1', false],
    ['127.0.0.1.', true],
    ['LOCALHOST', true],
    ['0:0:0:0:0:0:0:1', true],
    ['[::2]', false],
    ['evillocalhost', false],
  ])('isLoopbackHost(%s) -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })

  it.each([
    ['10.0.0.5', '10.0.0.5'],
    ['10.0.0.5:5080', '10.0.0.5'],
    ['[::1]:443', '::1'],
    ['fe80::1', 'fe80::1'],
    ['node-1.example.com:443', 'node-1.example.com'],
  ])('hostOfAddress(%s) -> %s', (address, host) => {
    expect(hostOfAddress(address)).toBe(host)
  })
})
