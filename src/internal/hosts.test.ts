import { describe, expect, it } from 'vitest'

import { hostMatches, hostOfAddress, isLoopbackHost } from './hosts'

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

describe('loopback and node addresses', () => {
  it.each([
    ['localhost', true],
    ['app.localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['localhost.example.com', false],
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
