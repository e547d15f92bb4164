/** Mirrors and statuses at the edges, over real loopback servers. */
import { afterEach, describe, expect, it } from 'vitest'

import { createClient, type BlueGreenClient } from '../../src/client'
import { isBlueGreenError, type BlueGreenError } from '../../src/errors'
import type { ClientOptions } from '../../src/options'
import { startManifestServer, type ManifestServer } from '../helpers/manifestServer'
import { manifest } from '../helpers/manifests'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function server(document: unknown = manifest({ revision: 2 })): Promise<ManifestServer> {
  const s = await startManifestServer(document)
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

describe('statuses', () => {
  it('a 300 carrying a valid manifest is not a manifest: DISCOVERY_UNAVAILABLE with the status', async () => {
    const s = await server()
    s.fail({ kind: 'status', status: 300, body: JSON.stringify(manifest()), contentType: 'application/json' })
    const error = await failure(client({ discovery: s.url }).ready())
    expect(error).toMatchObject({ code: 'DISCOVERY_UNAVAILABLE', status: 300 })
  })

  it('a 304 to an unconditional request is DISCOVERY_UNAVAILABLE naming the broken cache', async () => {
    const s = await server()
    s.fail({ kind: 'status', status: 304 })
    const error = await failure(client({ discovery: s.url }).ready())
    expect(error).toMatchObject({ code: 'DISCOVERY_UNAVAILABLE', status: 304 })
    expect(error.message).toContain('unconditional request')
  })
})

describe('mirrors', () => {
  it('when every mirror fails, the first validation or security error met wins', async () => {
    const invalid = await server({ ...manifest(), manifestVersion: 2 })
    const elsewhere = await server(
      manifest({ environments: { green: { streamManager: 'https://evil.example.net', api: 'sm2' } } }),
    )
    const error = await failure(
      client({ discovery: [invalid.url, elsewhere.url], allowedHosts: ['*.example.com'] }).ready(),
    )
    expect(error.code).toBe('MANIFEST_INVALID')
    const reversed = await failure(
      client({ discovery: [elsewhere.url, invalid.url], allowedHosts: ['*.example.com'] }).ready(),
    )
    expect(reversed.code).toBe('HOST_NOT_ALLOWED')
  })

  it('several mirrors down: DISCOVERY_UNAVAILABLE naming every URL, with the last failure as cause', async () => {
    const a = await server()
    const b = await server()
    a.fail({ kind: 'status', status: 404 })
    b.fail({ kind: 'status', status: 410 })
    const error = await failure(client({ discovery: [a.url, b.url] }).ready())
    expect(error.code).toBe('DISCOVERY_UNAVAILABLE')
    expect(error.message).toContain(a.url)
    expect(error.message).toContain(b.url)
    expect((error.cause as BlueGreenError).status).toBe(410)
  })

  it('close() while the first mirror stalls does not go on to the next one', async () => {
    const first = await server()
    const second = await server()
    first.fail({ kind: 'hang' })
    const c = createClient({ discovery: [first.url, second.url], timeoutMs: 20_000 })
    const pending = failure(c.ready())
    await new Promise((resolve) => setTimeout(resolve, 200))
    await c.close()
    expect((await pending).code).toBe('CLOSED')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(second.requests).toHaveLength(0)
  })
})
