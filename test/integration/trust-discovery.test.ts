/**
 * Where a manifest may come from and what a forged answer can do, over real loopback servers: redirects,
 * plain http, a `null` signature, a forged huge `revision`, and envelopes that only look signed enough.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createClient, type BlueGreenClient } from '../../src/client'
import { bytesToBase64, MANIFEST_PAYLOAD_TYPE, pae, parsePrivateKey } from '../../src/discovery/dsse'
import { UNSIGNED_FLOOR_MS } from '../../src/discovery/limits'
import { startHttpServer } from '../../src/emulator/http'
import { memoryStorage, scopedLogger } from '../../src/environment'
import { isBlueGreenError, type BlueGreenError, type BlueGreenErrorCode } from '../../src/errors'
import type { ClientOptions } from '../../src/options'
import { stepClock } from '../helpers/clock'
import { startManifestServer, type ManifestServer } from '../helpers/manifestServer'
import { manifest, once, signed, testKey, type TestKey } from '../helpers/manifests'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function server(document: unknown): Promise<ManifestServer> {
  const s = await startManifestServer(document)
  open.push(s)
  return s
}

function client(options: ClientOptions): BlueGreenClient {
  const c = createClient({ timeoutMs: 2_000, ...options })
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

const codeOf = async (promise: Promise<unknown>): Promise<BlueGreenErrorCode> => (await failure(promise)).code

let ops: TestKey
// Per test (made once): a failure here fails the tests rather than skipping them (mutation testing).
const key = once(() => testKey('ops'))
beforeEach(async () => {
  ops = await key()
})

/** A server that answers with `handle` (for redirects and exact body framing). */
async function rawServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = await startHttpServer(handle, {
    port: 0,
    logger: scopedLogger(undefined, 'test-server'),
    label: 'raw test server',
  })
  open.push(s)
  return s.url
}

describe('where a manifest comes from', () => {
  it('a redirect to another origin is refused (HOST_NOT_ALLOWED) and nothing is stored', async () => {
    const elsewhere = await server(manifest({ revision: 9 }))
    const front = await rawServer((_req, res) => {
      res.writeHead(302, { location: elsewhere.url }).end()
    })
    const storage = memoryStorage()
    const c = client({ discovery: `${front}/discovery.json`, storage })
    const error = await failure(c.ready())
    expect(error.code).toBe('HOST_NOT_ALLOWED')
    expect(error.message).toContain(elsewhere.url)
    expect(elsewhere.requests.map((r) => r.status)).toEqual([200])
    expect(storage.getItem(`red5pro-bluegreen:${front}/discovery.json`)).toBeNull()
  })

  it('a redirect within the same origin is followed', async () => {
    const url = await rawServer((req, res) => {
      if (req.url === '/old.json') {
        res.writeHead(301, { location: '/new.json' }).end()
        return
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(manifest({ revision: 4 })))
    })
    const c = client({ discovery: `${url}/old.json` })
    await expect(c.ready()).resolves.toMatchObject({ revision: 4 })
  })

  it('an http:// discovery URL off loopback is INVALID_ARGUMENT unless allowInsecure is set', () => {
    expect(() => createClient({ discovery: 'http://cdn.example.com/discovery.json' })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/https/) }),
    )
    expect(() =>
      createClient({ discovery: ['https://a.example.com/d.json', 'http://b.example.com/d.json'] }),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() =>
      createClient({ discovery: 'http://cdn.example.com/discovery.json', allowInsecure: true }),
    ).not.toThrow()
    expect(() => createClient({ discovery: 'http://localhost:8080/discovery.json' })).not.toThrow()
    expect(() => createClient({ discovery: 'http://127.0.0.1.evil.net/discovery.json' })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})

describe('tampered envelopes', () => {
  it('a null among signatures is MANIFEST_SIGNATURE with an error event, not an outage', async () => {
    const envelope = (await signed(manifest(), ops)) as { signatures: unknown[] }
    const s = await server({ ...envelope, signatures: [{ keyid: 'ops', sig: 'AAAA' }, null] })
    const c = client({ discovery: s.url, trustedKeys: [ops] })
    const errors: string[] = []
    c.on('error', (error) => errors.push(error.code))
    await expect(codeOf(c.ready())).resolves.toBe('MANIFEST_SIGNATURE')
    expect(errors).toEqual(['MANIFEST_SIGNATURE'])
  })

  it('a null beside a valid signature does not hide it', async () => {
    const envelope = (await signed(manifest(), ops)) as { signatures: unknown[] }
    const s = await server({ ...envelope, signatures: [null, 7, ...envelope.signatures] })
    const c = client({ discovery: s.url, trustedKeys: [ops] })
    await expect(c.ready()).resolves.toMatchObject({ revision: 1 })
  })

  it('one signer with the key listed twice (raw and PEM) does not meet a threshold of 2', async () => {
    const s = await server(await signed(manifest(), ops))
    const c = client({
      discovery: s.url,
      trustedKeys: [
        { keyid: 'a', publicKey: ops.publicKey },
        { keyid: 'b', publicKey: ops.publicKeyPem },
      ],
      threshold: 2,
    })
    const error = await failure(c.ready())
    expect(error.code).toBe('MANIFEST_SIGNATURE')
    expect(error.message).toContain('1 valid signature(s)')
  })

  it('an envelope validly signed for another payloadType is refused', async () => {
    const type = 'application/json'
    const bytes = new TextEncoder().encode(JSON.stringify(manifest()))
    const pkcs8 = new Uint8Array([
      0x30,
      0x2e,
      0x02,
      0x01,
      0x00,
      0x30,
      0x05,
      0x06,
      0x03,
      0x2b,
      0x65,
      0x70,
      0x04,
      0x22,
      0x04,
      0x20,
      ...parsePrivateKey(ops.privateKey),
    ])
    const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, key, pae(type, bytes) as BufferSource),
    )
    const s = await server({
      payloadType: type,
      payload: bytesToBase64(bytes),
      signatures: [{ keyid: 'ops', sig: bytesToBase64(sig) }],
    })
    const error = await failure(client({ discovery: s.url, trustedKeys: [ops] }).ready())
    expect(error.code).toBe('MANIFEST_SIGNATURE')
    expect(error.message).toContain(MANIFEST_PAYLOAD_TYPE)
  })
})

describe('a forged huge revision (unsigned clients)', () => {
  const forged = manifest({ revision: Number.MAX_SAFE_INTEGER })

  it('locks a client out only for the floor window; it recovers without clearing storage', async () => {
    const clock = stepClock()
    const storage = memoryStorage()
    const s = await server(forged)
    const c = client({ discovery: s.url, storage, clock })
    await expect(c.ready()).resolves.toMatchObject({ revision: Number.MAX_SAFE_INTEGER })
    s.set(manifest({ revision: 5 }))
    const errors: string[] = []
    c.on('error', (error) => errors.push(error.code))
    clock.advance(60_000)
    await c.refresh()
    expect(errors).toEqual(['MANIFEST_ROLLBACK'])
    // A reload within the window still refuses the lower revision...
    const reload = client({ discovery: s.url, storage, clock })
    await expect(codeOf(reload.ready())).resolves.toBe('MANIFEST_ROLLBACK')
    // ...and once the forged revision has gone unconfirmed for the window, the real one is accepted.
    clock.advance(UNSIGNED_FLOOR_MS)
    await expect(c.refresh()).resolves.toMatchObject({ revision: 5 })
    const later = client({ discovery: s.url, storage, clock })
    await expect(later.ready()).resolves.toMatchObject({ revision: 5 })
  })

  it('a revision the server keeps confirming keeps its rollback protection past the window', async () => {
    const clock = stepClock()
    const storage = memoryStorage()
    const s = await server(manifest({ revision: 10 }))
    const c = client({ discovery: s.url, storage, clock })
    await c.ready()
    for (let i = 0; i < 3; i++) {
      clock.advance(UNSIGNED_FLOOR_MS / 2)
      await c.refresh() // a 304: revision 10 confirmed again
    }
    s.set(manifest({ revision: 9 }))
    const reload = client({ discovery: s.url, storage, clock })
    await expect(codeOf(reload.ready())).resolves.toBe('MANIFEST_ROLLBACK')
  })

  it('a signed revision is remembered for good: signed clients refuse a rollback after any time', async () => {
    const clock = stepClock()
    const storage = memoryStorage()
    const s = await server(await signed(manifest({ revision: 10 }), ops))
    await client({ discovery: s.url, storage, clock, trustedKeys: [ops] }).ready()
    s.set(await signed(manifest({ revision: 9 }), ops))
    clock.advance(UNSIGNED_FLOOR_MS * 100)
    const reload = client({ discovery: s.url, storage, clock, trustedKeys: [ops] })
    await expect(codeOf(reload.ready())).resolves.toBe('MANIFEST_ROLLBACK')
  })
})
