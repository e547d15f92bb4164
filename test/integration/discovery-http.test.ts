/**
 * The discovery HTTP layer over real loopback servers: media types, what a network failure message
 * names, close() in the middle of a body, and the retry backoff curve.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { createClient, type BlueGreenClient } from '../../src/client'
import { isBlueGreenError, type BlueGreenError } from '../../src/errors'
import type { ClientOptions } from '../../src/options'
import { refusedUrl, startManifestServer, type ManifestServer } from '../helpers/manifestServer'
import { manifest } from '../helpers/manifests'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function server(): Promise<ManifestServer> {
  const s = await startManifestServer(manifest({ revision: 2 }))
  open.push(s)
  return s
}

function client(options: ClientOptions): BlueGreenClient {
  const c = createClient({ timeoutMs: 3_000, ...options })
  open.push(c)
  return c
}

async function failure(promise: Promise<unknown>): Promise<BlueGreenError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (isBlueGreenError(error)) {
    return error
  }
  throw error
}

describe('media types', () => {
  it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.example+json'])(
    '%s is JSON',
    async (contentType) => {
      const s = await server()
      s.fail({ kind: 'raw', body: JSON.stringify(manifest({ revision: 2 })), contentType })
      await expect(client({ discovery: s.url }).ready()).resolves.toMatchObject({ revision: 2 })
    },
  )

  it.each(['text/x+json', 'text/json', 'application/jsonp'])('%s is not', async (contentType) => {
    const s = await server()
    s.fail({ kind: 'raw', body: JSON.stringify(manifest({ revision: 2 })), contentType })
    expect((await failure(client({ discovery: s.url }).ready())).code).toBe('MANIFEST_INVALID')
  })
})

describe('failures', () => {
  it('an unreachable discovery URL names the network error', async () => {
    const error = await failure(client({ discovery: await refusedUrl() }).ready())
    expect(error.code).toBe('DISCOVERY_UNAVAILABLE')
    expect(error.message).toContain('ECONNREFUSED')
  })

  it('close() in the middle of a stalled body rejects ready() with CLOSED at once', async () => {
    const s = await server()
    s.fail({ kind: 'stall' })
    const c = createClient({ discovery: s.url, timeoutMs: 20_000 })
    const pending = failure(c.ready())
    await new Promise((resolve) => setTimeout(resolve, 200))
    const started = performance.now()
    await c.close()
    expect((await pending).code).toBe('CLOSED')
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})

describe('retries', () => {
  it('a 503 is retried once after base * 2^0 of full jitter (random() = 1: the whole step)', async () => {
    const s = await server()
    s.fail({ kind: 'status', status: 503 }, 1)
    const started = performance.now()
    await expect(client({ discovery: s.url, random: () => 0.999 }).ready()).resolves.toMatchObject({
      revision: 2,
    })
    // The discovery layer's first step is 200 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    expect(s.requests.map((r) => r.status)).toEqual([503, 200])
  })

  it('with random() = 0 the retry follows at once', async () => {
    const s = await server()
    s.fail({ kind: 'status', status: 503 }, 1)
    const started = performance.now()
    await expect(client({ discovery: s.url, random: () => 0 }).ready()).resolves.toMatchObject({
      revision: 2,
    })
    expect(performance.now() - started).toBeLessThan(150)
  })
})
