import { describe, expect, it } from 'vitest'

import { directEndpoint, parseServerAddress, streamManagerBase } from './endpoints'

describe('parseServerAddress()', () => {
  it.each([
    ['10.0.0.5', '10.0.0.5', undefined, '10.0.0.5'],
    ['10.0.0.5:5080', '10.0.0.5', 5080, '10.0.0.5:5080'],
    ['node-1.example.com', 'node-1.example.com', undefined, 'node-1.example.com'],
    ['Node-1.Example.com:443', 'Node-1.Example.com', 443, 'Node-1.Example.com:443'],
    ['localhost:8080', 'localhost', 8080, 'localhost:8080'],
    ['[::1]:443', '::1', 443, '[::1]:443'],
    ['[2001:db8::1]', '2001:db8::1', undefined, '[2001:db8::1]'],
    ['fe80::1', 'fe80::1', undefined, '[fe80::1]'],
  ])('accepts %j', (address, host, port, authority) => {
    expect(parseServerAddress(address)).toEqual({ host, ...(port === undefined ? {} : { port }), authority })
  })

  it.each([
    [''],
    ['http://10.0.0.5'],
    ['https://node.example.com/'],
    ['10.0.0.5/live'],
    ['10.0.0.5 '],
    [' 10.0.0.5'],
    ['node one.example.com'],
    ['user@10.0.0.5'],
    ['10.0.0.5?x=1'],
    ['10.0.0.5#frag'],
    ['10.0.0.5:0'],
    ['10.0.0.5:70000'],
    ['10.0.0.5:'],
    ['10.0.0.5:http'],
    ['1.2.3'],
    ['0x7f.0.0.1'],
    ['a..b'],
    ['.example.com'],
    ['-bad.example.com'],
    ['[::1'],
    ['[not-ipv6]:80'],
    ['javascript:alert(1)'],
    ['x'.repeat(400)],
    [42],
    [null],
    [undefined],
  ])('refuses %j', (address) => {
    expect(parseServerAddress(address)).toBeUndefined()
  })
})

describe('streamManagerBase()', () => {
  it.each([
    ['https://sm.example.com', 'https://sm.example.com'],
    ['https://sm.example.com/', 'https://sm.example.com'],
    ['https://sm.example.com/prefix/', 'https://sm.example.com/prefix'],
    ['https://sm.example.com/a/b//', 'https://sm.example.com/a/b'],
    ['https://sm.example.com:8443/sm?debug=1#top', 'https://sm.example.com:8443/sm'],
    ['http://127.0.0.1:5080', 'http://127.0.0.1:5080'],
  ])('keeps the path prefix of %j', (input, base) => {
    expect(streamManagerBase(input)).toBe(base)
  })

  it.each([['ftp://sm.example.com'], ['sm.example.com'], ['not a url'], ['']])('refuses %j', (input) => {
    expect(streamManagerBase(input)).toBeUndefined()
  })
})

describe('directEndpoint()', () => {
  const node = (address: string) => parseServerAddress(address)!

  it('uses https on the node address for a publisher (WHIP)', () => {
    expect(directEndpoint(node('10.0.0.5'), 'live', 'stage', 'publish', false)).toBe(
      'https://10.0.0.5/live/whip/endpoint/stage',
    )
  })

  it('keeps the port and uses WHEP for a subscriber', () => {
    expect(directEndpoint(node('edge.example.com:8443'), 'live', 'stage', 'subscribe', false)).toBe(
      'https://edge.example.com:8443/live/whep/endpoint/stage',
    )
  })

  it('uses plain http for a loopback node', () => {
    expect(directEndpoint(node('127.0.0.1:5080'), 'live', 'stage', 'publish', false)).toBe(
      'http://127.0.0.1:5080/live/whip/endpoint/stage',
    )
  })

  it('uses plain http for any node when allowInsecure is set', () => {
    expect(directEndpoint(node('10.0.0.5:5080'), 'live', 'stage', 'publish', true)).toBe(
      'http://10.0.0.5:5080/live/whip/endpoint/stage',
    )
  })

  it('brackets IPv6 literals and percent-encodes app and stream', () => {
    expect(directEndpoint(node('2001:db8::1'), 'my app', 'a b#c', 'subscribe', false)).toBe(
      'https://[2001:db8::1]/my%20app/whep/endpoint/a%20b%23c',
    )
  })
})
