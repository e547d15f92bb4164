/**
 * red5proDriver in Node: it must refuse at once, without loading the browser-only SDK, and its pure
 * reachability rule must pick the right targets for `driver: 'auto'`.
 */
import { describe, expect, it, vi } from 'vitest'

import { isBlueGreenError } from '../../errors'
import type { BlueGreenError } from '../../errors'
import type { SignalingTarget } from './Driver'
import { canRed5proSdkReach, red5proDriver } from './red5pro'
import type { Red5proSdk, Red5proSdkEventHandler } from './red5pro'

const sdkLoads = vi.hoisted(() => ({ count: 0 }))

vi.mock('red5pro-webrtc-sdk', () => {
  sdkLoads.count++
  return {}
})

function target(endpoint: string, kind: 'publish' | 'subscribe' = 'publish'): SignalingTarget {
  return {
    kind,
    environment: 'blue',
    streamName: 'stream1',
    app: 'live',
    endpoint,
    serverAddress: '10.0.0.5',
  }
}

async function rejection(pending: Promise<unknown>): Promise<BlueGreenError> {
  const error: unknown = await pending.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (!isBlueGreenError(error)) {
    throw error
  }
  return error
}

/**
 * A stand-in SDK object (a unit boundary only: the SDK's real behaviour is proven in
 * red5pro.dom.test.ts). It records the init config and reports Publish.Start / Subscribe.Start.
 */
function recordingSdk(): { sdk: Red5proSdk; configs: Record<string, unknown>[] } {
  const configs: Record<string, unknown>[] = []
  class Client {
    private readonly handlers: Red5proSdkEventHandler[] = []
    on(_type: string, handler: Red5proSdkEventHandler): void {
      this.handlers.push(handler)
    }
    off(): void {}
    async init(config: Record<string, unknown>): Promise<this> {
      configs.push(config)
      return this
    }
    async initWithStream(config: Record<string, unknown>): Promise<this> {
      return this.init(config)
    }
    async publish(): Promise<this> {
      queueMicrotask(() => this.handlers.forEach((h) => h({ type: 'Publish.Start' })))
      return this
    }
    async subscribe(): Promise<this> {
      queueMicrotask(() => this.handlers.forEach((h) => h({ type: 'Subscribe.Start' })))
      return this
    }
    async unpublish(): Promise<this> {
      return this
    }
    async unsubscribe(): Promise<this> {
      return this
    }
    setView(): this {
      return this
    }
  }
  return { sdk: { WHIPClient: Client, WHEPClient: Client }, configs }
}

describe('red5proDriver() in Node', () => {
  it('publish() rejects with DRIVER_UNAVAILABLE without importing the SDK, and says what to use instead', async () => {
    const driver = red5proDriver()

    const error = await rejection(
      driver.publish(
        target('https://sm.example.com/live/whip/endpoint/stream1'),
        {},
        new AbortController().signal,
      ),
    )

    expect(error.code).toBe('DRIVER_UNAVAILABLE')
    expect(error.message).toContain('window')
    expect(error.message).toContain('whipDriver')
    expect(sdkLoads.count).toBe(0)
  })

  it('subscribe() rejects with DRIVER_UNAVAILABLE without importing the SDK', async () => {
    const error = await rejection(
      red5proDriver().subscribe(
        target('https://sm.example.com/live/whep/endpoint/stream1', 'subscribe'),
        {},
        new AbortController().signal,
      ),
    )

    expect(error.code).toBe('DRIVER_UNAVAILABLE')
    expect(sdkLoads.count).toBe(0)
  })

  it('is named "red5pro" and creating it loads nothing', () => {
    expect(red5proDriver().name).toBe('red5pro')
    expect(sdkLoads.count).toBe(0)
  })

  it('rejects a Stream Manager 2.0 proxy target with DRIVER_UNAVAILABLE when the SDK has no `endpoint` option (12-like: shared objects)', async () => {
    const { sdk, configs } = recordingSdk()
    const twelve = { ...sdk, Red5ProSharedObject: function Red5ProSharedObject() {} } as Red5proSdk
    const endpoint = 'https://sm2.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5'

    const error = await rejection(
      red5proDriver({ sdk: twelve }).publish(target(endpoint), {}, new AbortController().signal),
    )

    expect(error.code).toBe('DRIVER_UNAVAILABLE')
    expect(error.url).toBe(endpoint)
    expect(error.message).toContain('13.0')
    expect(error.message).toContain('whipDriver')
    expect(configs).toEqual([])
  })

  it('reaches a Stream Manager 2.0 proxy target through `endpoint` + connectionParams.nodeGroup on a 13+ SDK', async () => {
    const { sdk, configs } = recordingSdk()
    const endpoint = 'https://sm2.example.com/streaming/as/v1/proxy/whep/live/stream1?host=10.0.0.5'

    const session = await red5proDriver({ sdk }).subscribe(
      { ...target(endpoint, 'subscribe'), nodeGroup: 'eu', connectionParams: { token: 't' } },
      {},
      new AbortController().signal,
    )
    await session.close()

    expect(configs).toHaveLength(1)
    expect(configs[0]!.endpoint).toBe('https://sm2.example.com/streaming/as/v1/proxy/whep/live/stream1')
    expect(configs[0]!.connectionParams).toEqual({ token: 't', nodeGroup: 'eu' })
    expect(configs[0]!.requestId).toBe(configs[0]!.subscriptionId)
  })

  it('says which SDK build lacks which method, as DRIVER_UNAVAILABLE (retrying cannot help), before starting anything', async () => {
    const { sdk, configs } = recordingSdk()
    const old = { ...sdk, getVersion: () => '99.0.0' } as Red5proSdk
    class NoInitWithStream extends (old.WHIPClient as new () => object) {}
    Object.defineProperty(NoInitWithStream.prototype, 'initWithStream', { value: undefined })
    const odd = { ...old, WHIPClient: NoInitWithStream } as unknown as Red5proSdk

    const error = await rejection(
      red5proDriver({ sdk: odd }).publish(
        target('https://sm.example.com/live/whip/endpoint/stream1'),
        { mediaStream: {} as MediaStream },
        new AbortController().signal,
      ),
    )

    expect(error.code).toBe('DRIVER_UNAVAILABLE')
    expect(error.message).toContain('red5pro-webrtc-sdk 99.0.0 has no WHIPClient.initWithStream()')
    expect(configs).toEqual([])
  })

  it('refuses a proxy URL with other query parameters before loading any SDK', async () => {
    const { sdk, configs } = recordingSdk()
    const endpoint = 'https://sm2.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5&x=1'

    const error = await rejection(
      red5proDriver({ sdk }).publish(target(endpoint), {}, new AbortController().signal),
    )

    expect(error.code).toBe('DRIVER_UNAVAILABLE')
    expect(configs).toEqual([])
  })

  it('rejects a WHEP endpoint given to publish() with INVALID_ARGUMENT', async () => {
    const { sdk } = recordingSdk()

    const error = await rejection(
      red5proDriver({ sdk }).publish(
        target('https://sm.example.com/live/whep/endpoint/stream1'),
        {},
        new AbortController().signal,
      ),
    )

    expect(error.code).toBe('INVALID_ARGUMENT')
  })

  it('throws INVALID_ARGUMENT for an sdk without WHIPClient/WHEPClient or a negative timeout', () => {
    expect(() => red5proDriver({ sdk: {} as Red5proSdk })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => red5proDriver({ startTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('gives the SDK an explicit port, trickle ICE, channel signalling and encoded connectionParams', async () => {
    const { sdk, configs } = recordingSdk()
    const driver = red5proDriver({ sdk, sdkConfig: { bandwidth: { video: 2000 }, host: 'ignored' } })

    const session = await driver.publish(
      {
        ...target('https://sm.example.com/live/whip/endpoint/stream1'),
        connectionParams: { token: 'a&b=c' },
      },
      {},
      new AbortController().signal,
    )
    await session.close()

    expect(configs[0]).toMatchObject({
      protocol: 'wss',
      host: 'sm.example.com',
      port: 443,
      app: 'live',
      streamName: 'stream1',
      trickleIce: true,
      enableChannelSignaling: true,
      clearMediaOnUnpublish: false,
      connectionParams: { token: 'a%26b%3Dc' },
      bandwidth: { video: 2000 },
    })
    expect(configs[0]).toHaveProperty('mediaElementId', undefined)
  })

  it('gives every WHEP attempt its own subscriptionId, also without crypto.randomUUID', async () => {
    const { sdk, configs } = recordingSdk()
    vi.stubGlobal('crypto', {})
    try {
      const driver = red5proDriver({ sdk, random: () => configs.length / 10 })
      const endpoint = 'http://127.0.0.1:5080/live/whep/endpoint/s'
      for (let i = 0; i < 2; i++) {
        await (
          await driver.subscribe(target(endpoint, 'subscribe'), {}, new AbortController().signal)
        ).close()
      }
    } finally {
      vi.unstubAllGlobals()
    }

    expect(configs.map((c) => [c.protocol, c.port])).toEqual([
      ['ws', 5080],
      ['ws', 5080],
    ])
    const ids = configs.map((c) => c.subscriptionId)
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/)
    expect(ids[0]).not.toBe(ids[1])
  })
})

describe('canRed5proSdkReach()', () => {
  it.each([
    ['a Stream Manager 1.x proxy URL', 'https://sm.example.com/live/whip/endpoint/stream1', true],
    ['a Stream Manager 1.x WHEP proxy URL', 'https://sm.example.com/live/whep/endpoint/stream1', true],
    ['a node URL with an explicit port', 'http://127.0.0.1:5080/live/whep/endpoint/s', true],
    [
      'a node URL with the default https port',
      'https://node-1.example.com:443/live/whip/endpoint/stream1',
      true,
    ],
    ['a nested scope', 'https://sm.example.com/live/room1/whip/endpoint/stream1', true],
    ['a percent-encoded stream name', 'https://sm.example.com/live/whip/endpoint/team%2Fcam%201', true],
    ['an IPv6 node', 'http://[::1]:5080/live/whip/endpoint/s', true],
    [
      'a Stream Manager 2.0 proxy URL',
      'https://sm.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5',
      false,
    ],
    [
      'a Stream Manager 2.0 proxy URL without query',
      'https://sm.example.com/as/v1/proxy/whep/live/stream1',
      false,
    ],
    ['an extra query', 'http://127.0.0.1:5080/live/whep/endpoint/s?x=y', false],
    ['an empty query', 'http://127.0.0.1:5080/live/whep/endpoint/s?', false],
    ['a fragment', 'https://sm.example.com/live/whip/endpoint/stream1#x', false],
    ['credentials', 'https://user:pw@sm.example.com/live/whip/endpoint/stream1', false],
    ['a trailing slash', 'https://sm.example.com/live/whip/endpoint/stream1/', false],
    ['no app', 'https://sm.example.com/whip/endpoint/stream1', false],
    ['another scheme', 'wss://sm.example.com/live/whip/endpoint/stream1', false],
    ['not a URL', 'live/whip/endpoint/stream1', false],
  ])('%s: %s -> %s', (_name, endpoint, expected) => {
    expect(canRed5proSdkReach(endpoint)).toBe(expected)
  })

  it.each([
    [
      'a Stream Manager 2.0 proxy URL',
      'https://sm.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5',
      true,
    ],
    [
      'the same under a path prefix',
      'https://sm.example.com/sm/as/v1/proxy/whep/live/a/b?host=10.0.0.5:5080',
      true,
    ],
    ['a proxy URL without host', 'https://sm.example.com/as/v1/proxy/whep/live/stream1', false],
    [
      'a proxy URL with another parameter',
      'https://sm.example.com/as/v1/proxy/whep/live/s?host=h&requestId=1',
      false,
    ],
    ['a proxy URL with a fragment', 'https://sm.example.com/as/v1/proxy/whep/live/s?host=h#f', false],
    ['a proxy URL without a stream', 'https://sm.example.com/as/v1/proxy/whep/live?host=h', false],
    ['a proxy URL of another protocol', 'https://sm.example.com/as/v1/proxy/rtmp/live/s?host=h', false],
    ['a Stream Manager 1.x proxy URL', 'https://sm.example.com/live/whip/endpoint/stream1', true],
  ])('with the `endpoint` option (13+), %s: %s -> %s', (_name, endpoint, expected) => {
    expect(canRed5proSdkReach(endpoint, { endpointOption: true })).toBe(expected)
    expect(canRed5proSdkReach(endpoint, { endpointOption: false })).toBe(
      expected && !endpoint.includes('/as/v1/'),
    )
  })
})
