/**
 * `startEmulator({ latencyMs })`: a round-trip delay on every request to the Stream Managers and the
 * discovery URL, over real loopback HTTP. The delay is a lower bound the emulator guarantees (a timer
 * that fires no earlier than asked), so these tests assert "at least latencyMs", never an upper bound.
 * The media nodes are a stub: only the control plane is under test here.
 */
import { performance } from 'node:perf_hooks'

import { afterEach, describe, expect, it } from 'vitest'

import { isBlueGreenError } from '../../src'
import { startEmulator, type Emulator, type MediaNodeFactory } from '../../src/emulator'
import { MAX_LATENCY_MS, withLatency } from '../../src/emulator/latency'

/** A media node that carries nothing: the Stream Managers still answer assignments with its address. */
const stubNode: MediaNodeFactory = async (options) => {
  const serverAddress = `127.0.0.1:${options.port === 0 || options.port === undefined ? 9 : options.port}`
  return {
    name: options.name,
    serverAddress,
    url: `http://${serverAddress}`,
    streams: () => [],
    hasStream: () => false,
    stats: () => ({ publishers: 0, subscribers: 0, requests: [] }),
    kill: async () => undefined,
    close: async () => undefined,
  }
}

let emu: Emulator | undefined

afterEach(async () => {
  await emu?.close()
  emu = undefined
})

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number }> {
  const started = performance.now()
  const response = await fetch(url, init)
  await response.arrayBuffer()
  return { ms: performance.now() - started, status: response.status }
}

/** The requests a viewer's first frame waits on: discovery, assignments, the proxy and its preflight. */
function requests(e: Emulator): [string, string, RequestInit?][] {
  const { green, blue } = e.environments
  return [
    ['discovery', e.discoveryUrl],
    [
      'Stream Manager 1.x assignment',
      `${green.streamManager}/streammanager/api/4.0/event/live/cam?action=broadcast`,
    ],
    ['Stream Manager 2.0 assignment', `${blue.streamManager}/as/v1/streams/stream/default/publish/live/cam`],
    [
      'Stream Manager 2.0 proxy CORS preflight',
      `${blue.streamManager}/as/v1/proxy/whep/live/cam?nodeGroup=default`,
      {
        method: 'OPTIONS',
        headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' },
      },
    ],
  ]
}

describe('startEmulator({ latencyMs })', () => {
  it('makes every Stream Manager and discovery request wait at least latencyMs', async () => {
    const latencyMs = 200
    emu = await startEmulator({ latencyMs, logger: false, mediaNode: stubNode })
    for (const [what, url, init] of requests(emu)) {
      const { ms, status } = await timed(url, init)
      expect(status, what).toBeLessThan(300)
      // 1 ms of slack: performance.now() and the timer's clock round differently.
      expect(ms, what).toBeGreaterThanOrEqual(latencyMs - 1)
    }
  })

  it('leaves the operator API undelayed (only what a client calls is far away)', async () => {
    emu = await startEmulator({ latencyMs: MAX_LATENCY_MS, logger: false, mediaNode: stubNode })
    // Would take 10 s behind the delay; the test's 5 s timeout fails it then.
    const { status } = await timed(`${emu.url}/api/state`)
    expect(status).toBe(200)
  }, 5000)

  it('0 (the default) adds nothing: the handler is served as it is, no timer in front', () => {
    const handler = (): void => undefined
    expect(withLatency(handler, 0)).toBe(handler)
    expect(withLatency(handler, 1)).not.toBe(handler)
  })

  it.each([
    ['-1', -1],
    ['a string', '50'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    [`${MAX_LATENCY_MS + 1} (over the limit)`, MAX_LATENCY_MS + 1],
  ])('refuses %s with INVALID_ARGUMENT before starting anything', async (_name, latencyMs) => {
    let started = 0
    const counting: MediaNodeFactory = async (options) => {
      started++
      return stubNode(options)
    }
    const error: unknown = await startEmulator({
      latencyMs: latencyMs as number,
      logger: false,
      mediaNode: counting,
    }).catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect((error as Error).message).toMatch(/latencyMs must be a number of milliseconds from 0 to 10000/)
    expect(started).toBe(0)
  })

  it(`accepts the limits 0 and ${MAX_LATENCY_MS}`, async () => {
    for (const latencyMs of [0, MAX_LATENCY_MS]) {
      emu = await startEmulator({ latencyMs, logger: false, mediaNode: stubNode })
      await emu.close()
      emu = undefined
    }
  })
})
