import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createClient, isBlueGreenError, type BlueGreenClient, type BlueGreenErrorCode } from '../../src'
import { memoryStorage, type KeyValueStorage } from '../../src/environment'
import type { ClientOptions } from '../../src/options'
import { stepClock, type StepClock } from '../helpers/clock'
import { refusedUrl, startManifestServer, type Fault, type ManifestServer } from '../helpers/manifestServer'
import {
  manifest,
  once,
  promoted,
  signed,
  testKey,
  type TestKey,
  type TestManifest,
} from '../helpers/manifests'

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

/** Settles `promise`, running `clock`'s timers as they come: the HTTP layer waits its retries on the client's clock. */
async function withRetries<T>(clock: StepClock, promise: Promise<T>): Promise<T> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    if (!done) {
      clock.runNext()
    }
  }
  return promise
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: BlueGreenErrorCode; error: Error & Record<string, unknown> }> {
  try {
    await promise
  } catch (error) {
    if (isBlueGreenError(error)) {
      return { code: error.code, error: error as unknown as Error & Record<string, unknown> }
    }
    throw error
  }
  throw new Error('expected a rejection')
}

let ops: TestKey
let backup: TestKey
let stranger: TestKey
// Per test (made once): a failure here fails the tests rather than skipping them (mutation testing).
const keys = once(() => Promise.all([testKey('ops-2026'), testKey('backup'), testKey('stranger')]))
beforeEach(async () => {
  ;[ops, backup, stranger] = await keys()
})

describe('discovery over real HTTP', () => {
  it('ready() resolves with production from the manifest and exposes it', async () => {
    const s = await server(manifest())
    const c = client({ discovery: s.url })
    const env = await c.ready()
    expect(env).toMatchObject({
      name: 'green',
      role: 'production',
      state: 'serving',
      api: 'sm2',
      revision: 1,
    })
    expect(c.manifest?.environments.blue?.app).toBe('live')
    expect(c.manifest?.environments.green?.nodeGroup).toBe('default')
  })

  it('an unchanged manifest costs a 304: the client sends If-None-Match and keeps the revision', async () => {
    const s = await server(manifest())
    const c = client({ discovery: s.url })
    await c.ready()
    await c.refresh()
    await c.refresh()
    expect(s.requests.map((r) => r.status)).toEqual([200, 304, 304])
    expect(s.requests[1]?.ifNoneMatch).toMatch(/^"/)
    expect(c.environment?.revision).toBe(1)
  })

  it('a new revision is adopted on refresh() and announced with manifest and environmentchange', async () => {
    const first = manifest()
    const s = await server(first)
    const c = client({ discovery: s.url })
    await c.ready()
    const events: string[] = []
    c.on('manifest', (e) => events.push(`manifest ${e.revision}`))
    c.on('environmentchange', (e) => events.push(`env ${e.previous?.name}->${e.current.name} ${e.reason}`))
    s.set(promoted(first, 'blue'))
    const env = await c.refresh()
    expect(env).toMatchObject({ name: 'blue', role: 'production', revision: 2 })
    expect(events).toEqual(['manifest 2', 'env green->blue manifest'])
  })

  it('mirrors are tried in order: a dead first mirror falls over to the second', async () => {
    const s = await server(manifest())
    const c = client({ discovery: [await refusedUrl(), s.url] })
    expect((await c.ready()).name).toBe('green')
  })

  it('revalidates on its own before the ttl runs out, spread below the ttl', async () => {
    const first = manifest({ ttl: 20 })
    const s = await server(first)
    const clock = stepClock()
    const c = client({ discovery: s.url, clock, random: () => 0.5 })
    await c.ready()
    const [delay] = clock.pending()
    expect(delay).toBeGreaterThanOrEqual(18_000)
    expect(delay).toBeLessThanOrEqual(20_000)
    s.set(promoted(first, 'blue'))
    const changed = new Promise((resolve) => c.once('environmentchange', resolve))
    clock.runNext()
    await changed
    expect(c.environment?.name).toBe('blue')
  })

  it('different clients spread their revalidation (random spread of the ttl)', async () => {
    const s = await server(manifest({ ttl: 30 }))
    const delays: number[] = []
    for (const r of [0, 0.5, 0.999]) {
      const clock = stepClock()
      await client({ discovery: s.url, clock, random: () => r }).ready()
      delays.push(clock.pending()[0]!)
    }
    expect(new Set(delays).size).toBe(3)
  })

  it('keeps serving the last good manifest while discovery is down, and says so with stale', async () => {
    const s = await server(manifest())
    const clock = stepClock()
    const c = client({ discovery: s.url, clock })
    await c.ready()
    const stale: string[] = []
    c.on('stale', (e) => stale.push(`${e.error.code}@${e.revision}`))
    s.fail({ kind: 'status', status: 503 })
    await expect(withRetries(clock, c.refresh())).resolves.toMatchObject({ name: 'green', revision: 1 })
    expect(stale).toEqual(['DISCOVERY_UNAVAILABLE@1'])
    // A retry is scheduled with backoff, not later than the ttl.
    expect(clock.pending()[0]).toBeLessThanOrEqual(15_000)
  })

  it('once the held manifest expires while discovery is down, callers get MANIFEST_EXPIRED', async () => {
    const s = await server(manifest({ expiresAt: '2026-11-26T11:00:00Z' }))
    const clock = stepClock()
    const c = client({ discovery: s.url, clock })
    await c.ready()
    s.fail({ kind: 'status', status: 503 })
    clock.advance(2 * 3600_000)
    expect((await rejection(withRetries(clock, c.refresh()))).code).toBe('MANIFEST_EXPIRED')
  })

  it('a frozen manifest still expires: 304s do not extend it', async () => {
    const s = await server(manifest({ expiresAt: '2026-11-26T11:00:00Z' }))
    const clock = stepClock()
    const c = client({ discovery: s.url, clock })
    await c.ready()
    clock.advance(2 * 3600_000)
    expect((await rejection(c.refresh())).code).toBe('MANIFEST_EXPIRED')
    expect(s.requests.at(-1)?.status).toBe(304)
  })

  it('refuses a lower revision even after a reload (persisted in storage)', async () => {
    const storage = memoryStorage()
    const first = manifest({ revision: 7 })
    const s = await server(first)
    await client({ discovery: s.url, storage }).ready()
    s.set({ ...first, revision: 6 })
    const reloaded = client({ discovery: s.url, storage })
    const { code, error } = await rejection(reloaded.ready())
    expect(code).toBe('MANIFEST_ROLLBACK')
    expect(error.revision).toBe(6)
    expect(JSON.parse(storage.getItem(`red5pro-bluegreen:${s.url}`)!)).toMatchObject({ revision: 7 })
  })

  it('an unreadable storage record counts as none', async () => {
    const storage = memoryStorage()
    const s = await server(manifest({ revision: 3 }))
    storage.setItem(`red5pro-bluegreen:${s.url}`, '{not json')
    expect((await client({ discovery: s.url, storage }).ready()).revision).toBe(3)
  })

  it('a storage that throws does not stop the client', async () => {
    const broken: KeyValueStorage = {
      getItem: () => {
        throw new Error('blocked')
      },
      setItem: () => {
        throw new Error('quota')
      },
      removeItem: () => undefined,
    }
    const s = await server(manifest())
    expect((await client({ discovery: s.url, storage: broken }).ready()).name).toBe('green')
  })

  it('stops reading a 100 MB body at 64 KiB: MANIFEST_TOO_LARGE without buffering it', async () => {
    const s = await server(manifest())
    s.fail({ kind: 'huge', bytes: 100 * 1024 * 1024 })
    const { code } = await rejection(client({ discovery: s.url }).ready())
    expect(code).toBe('MANIFEST_TOO_LARGE')
    await new Promise((r) => setTimeout(r, 50))
    expect(s.hugeBytesSent).toBeLessThan(10 * 1024 * 1024)
  })

  it('refuses a declared Content-Length over 64 KiB before reading', async () => {
    const s = await server(manifest())
    s.fail({ kind: 'huge', bytes: 100 * 1024 * 1024, declareLength: true })
    expect((await rejection(client({ discovery: s.url }).ready())).code).toBe('MANIFEST_TOO_LARGE')
  })

  it('a mirror list where every mirror fails is DISCOVERY_UNAVAILABLE with the last failure as cause', async () => {
    const a = await server(manifest())
    a.fail({ kind: 'status', status: 500 })
    const { code, error } = await rejection(client({ discovery: [await refusedUrl(), a.url] }).ready())
    expect(code).toBe('DISCOVERY_UNAVAILABLE')
    expect((error.cause as { status?: number }).status).toBe(500)
  })

  it('with mirrors, the first validation error wins over later network errors', async () => {
    const bad = await server({ ...manifest(), roles: { staging: 'blue' } })
    const { code } = await rejection(client({ discovery: [bad.url, await refusedUrl()] }).ready())
    expect(code).toBe('MANIFEST_INVALID')
  })

  it('a mirror serving a rollback is skipped in favour of a mirror with the current revision', async () => {
    const storage = memoryStorage()
    const old = await server(manifest({ revision: 5 }))
    const current = await server(manifest({ revision: 5 }))
    await client({ discovery: [old.url, current.url], storage }).ready()
    old.set(manifest({ revision: 4 }))
    const c = client({ discovery: [old.url, current.url], storage })
    expect((await c.ready()).revision).toBe(5)
    expect(current.requests).toHaveLength(1)
  })
})

type BadCase = {
  name: string
  code: BlueGreenErrorCode
  path?: string
  options?: Partial<ClientOptions>
  fault?: Fault
  document?: (good: TestManifest) => unknown | Promise<unknown>
  /** Only meaningful against a client that already holds `good` (rollback cases). */
  afterGood?: boolean
}

const cases: BadCase[] = [
  { name: '5xx', code: 'DISCOVERY_UNAVAILABLE', fault: { kind: 'status', status: 503 } },
  { name: 'a timeout', code: 'DISCOVERY_UNAVAILABLE', fault: { kind: 'hang' }, options: { timeoutMs: 300 } },
  { name: 'a connection reset', code: 'DISCOVERY_UNAVAILABLE', fault: { kind: 'reset' } },
  {
    name: 'a body that stalls half-way',
    code: 'DISCOVERY_UNAVAILABLE',
    fault: { kind: 'stall' },
    options: { timeoutMs: 300 },
  },
  {
    name: 'HTML instead of JSON',
    code: 'MANIFEST_INVALID',
    fault: { kind: 'raw', contentType: 'text/html', body: '<html><body>Sign in to the Wi-Fi</body></html>' },
  },
  {
    name: 'a wrong content type',
    code: 'MANIFEST_INVALID',
    fault: { kind: 'raw', contentType: 'text/plain', body: JSON.stringify(manifest({ revision: 6 })) },
  },
  {
    name: 'invalid JSON',
    code: 'MANIFEST_INVALID',
    path: '$',
    fault: { kind: 'raw', contentType: 'application/json', body: '{"manifestVersion": 1,' },
  },
  {
    name: 'a missing production role',
    code: 'MANIFEST_INVALID',
    path: '$.roles.production',
    document: (g) => ({ ...g, revision: g.revision + 1, roles: { staging: 'blue' } }),
  },
  {
    name: 'a role naming an unknown environment',
    code: 'MANIFEST_INVALID',
    path: '$.roles.staging',
    document: (g) => ({ ...g, revision: g.revision + 1, roles: { production: 'green', staging: 'purple' } }),
  },
  {
    name: 'a bad URL',
    code: 'MANIFEST_INVALID',
    path: '$.environments.green.streamManager',
    document: (g) => ({
      ...g,
      revision: g.revision + 1,
      environments: { ...g.environments, green: { ...g.environments.green, streamManager: 'not a url' } },
    }),
  },
  {
    name: 'a non-https URL on a public host',
    code: 'MANIFEST_INVALID',
    path: '$.environments.green.streamManager',
    document: (g) => ({
      ...g,
      revision: g.revision + 1,
      environments: {
        ...g.environments,
        green: { ...g.environments.green, streamManager: 'http://sm.example.com' },
      },
    }),
  },
  {
    name: 'a host outside the allowlist',
    code: 'HOST_NOT_ALLOWED',
    options: { allowedHosts: ['127.0.0.1'] },
    document: (g) => ({
      ...g,
      revision: g.revision + 1,
      environments: {
        ...g.environments,
        blue: { ...g.environments.blue, streamManager: 'https://evil.example.net' },
      },
    }),
  },
  {
    name: 'a rollback',
    code: 'MANIFEST_ROLLBACK',
    afterGood: true,
    document: (g) => ({ ...g, revision: g.revision - 1 }),
  },
  {
    name: 'the same revision with new content',
    code: 'MANIFEST_ROLLBACK',
    afterGood: true,
    document: (g) => ({ ...g, roles: { production: 'blue', staging: 'green' } }),
  },
  {
    name: 'an expired manifest',
    code: 'MANIFEST_EXPIRED',
    document: (g) => ({ ...g, revision: g.revision + 1, expiresAt: '2020-01-01T00:00:00Z' }),
  },
  {
    name: 'a draining environment without a deadline',
    code: 'MANIFEST_INVALID',
    path: '$.environments.blue.drainDeadline',
    document: (g) => ({
      ...g,
      revision: g.revision + 1,
      environments: { ...g.environments, blue: { ...g.environments.blue, state: 'draining' } },
    }),
  },
  {
    name: 'an offline production',
    code: 'MANIFEST_INVALID',
    path: '$.environments.green.state',
    document: (g) => ({
      ...g,
      revision: g.revision + 1,
      environments: { ...g.environments, green: { ...g.environments.green, state: 'offline' } },
    }),
  },
]

const signedCases: BadCase[] = [
  {
    name: 'a bad signature',
    code: 'MANIFEST_SIGNATURE',
    document: async (g) => {
      const envelope = (await signed({ ...g, revision: g.revision + 1 }, ops)) as {
        payload: string
        signatures: { sig: string }[]
      }
      const sig = envelope.signatures[0]!.sig
      return {
        ...envelope,
        signatures: [{ keyid: 'ops-2026', sig: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) }],
      }
    },
  },
  {
    name: 'a payload changed after signing',
    code: 'MANIFEST_SIGNATURE',
    document: async (g) => {
      const envelope = (await signed({ ...g, revision: g.revision + 1 }, ops)) as Record<string, unknown>
      return { ...envelope, payload: btoa(JSON.stringify({ ...g, revision: 3 })) }
    },
  },
  {
    name: 'a signature by an unknown key',
    code: 'MANIFEST_SIGNATURE',
    document: async (g) => signed({ ...g, revision: g.revision + 1 }, stranger),
  },
  {
    name: 'a signature by an unknown key claiming a trusted keyid',
    code: 'MANIFEST_SIGNATURE',
    document: async (g) => signed({ ...g, revision: g.revision + 1 }, { ...stranger, keyid: 'ops-2026' }),
  },
  {
    name: 'too few signatures',
    code: 'MANIFEST_SIGNATURE',
    options: { threshold: 2 },
    document: async (g) => signed({ ...g, revision: g.revision + 1 }, ops),
  },
  {
    name: 'the same key signing twice (signatures count once per key)',
    code: 'MANIFEST_SIGNATURE',
    options: { threshold: 2 },
    document: async (g) => signed({ ...g, revision: g.revision + 1 }, ops, { ...ops, keyid: 'backup' }),
  },
  {
    name: 'an unsigned manifest when keys are configured',
    code: 'MANIFEST_SIGNATURE',
    document: (g) => ({ ...g, revision: g.revision + 1 }),
  },
]

describe('bad input: a typed error, and the last good state is kept', () => {
  for (const bad of [...cases, ...signedCases]) {
    const isSigned = signedCases.includes(bad)
    it(`${bad.name} -> ${bad.code}`, async () => {
      const good = manifest({ revision: 5 })
      const keys = isSigned
        ? { trustedKeys: [ops, backup].map((k) => ({ keyid: k.keyid, publicKey: k.publicKey })) }
        : {}
      const goodDocument = isSigned ? await signed(good, ops, backup) : good
      const s = await server(goodDocument)
      const options = { discovery: s.url, ...keys, ...bad.options }

      // A client that holds a good manifest keeps it and reports the problem.
      const c = client(options)
      await c.ready()
      const stale: BlueGreenErrorCode[] = []
      c.on('stale', (e) => stale.push(e.error.code))
      if (bad.fault) {
        s.fail(bad.fault)
      } else {
        s.set(await bad.document!(good))
      }
      await expect(c.refresh()).resolves.toMatchObject({ name: 'green', revision: 5 })
      expect(stale).toEqual([bad.code])
      expect(c.manifest?.revision).toBe(5)

      // A client starting fresh on the bad input gets the typed error.
      if (!bad.afterGood) {
        const { code, error } = await rejection(client({ ...options, storage: memoryStorage() }).ready())
        expect(code).toBe(bad.code)
        expect(error.message.length).toBeGreaterThan(30)
        if (bad.path) {
          expect(error.path).toBe(bad.path)
        }
      }
    })
  }

  it('connection refused -> DISCOVERY_UNAVAILABLE naming the URL', async () => {
    const url = await refusedUrl()
    const { code, error } = await rejection(client({ discovery: url }).ready())
    expect(code).toBe('DISCOVERY_UNAVAILABLE')
    expect(error.message).toContain(url)
  })

  it('an envelope arriving with no trustedKeys configured is refused (nobody can check it)', async () => {
    const s = await server(await signed(manifest(), ops))
    expect((await rejection(client({ discovery: s.url }).ready())).code).toBe('MANIFEST_SIGNATURE')
  })
})

describe('signed manifests', () => {
  it('accepts an envelope signed by a trusted key given as SPKI PEM', async () => {
    const s = await server(await signed(manifest({ revision: 4 }), ops))
    const c = client({ discovery: s.url, trustedKeys: [{ keyid: 'ops-2026', publicKey: ops.publicKeyPem }] })
    expect((await c.ready()).revision).toBe(4)
  })

  it('accepts 2-of-2 with a misleading keyid (keyid is only a hint)', async () => {
    const s = await server(
      await signed(manifest(), { ...ops, keyid: 'backup' }, { ...backup, keyid: 'ops-2026' }),
    )
    const c = client({
      discovery: s.url,
      threshold: 2,
      trustedKeys: [
        { keyid: 'ops-2026', publicKey: ops.publicKey },
        { keyid: 'backup', publicKey: backup.publicKey },
      ],
    })
    expect((await c.ready()).name).toBe('green')
  })
})

describe('QA: choosing staging is configuration', () => {
  it('environment: "staging" selects the staging role', async () => {
    const s = await server(manifest())
    expect(await client({ discovery: s.url, environment: 'staging' }).ready()).toMatchObject({
      name: 'blue',
      role: 'staging',
    })
  })

  it('environment: "blue" pins by name and reports the first role mapping to it', async () => {
    const s = await server(manifest())
    expect(await client({ discovery: s.url, environment: 'blue' }).ready()).toMatchObject({
      name: 'blue',
      role: 'staging',
    })
  })

  it('an unknown environment is ENVIRONMENT_UNKNOWN', async () => {
    const s = await server(manifest())
    const c = client({ discovery: s.url, environment: 'purple' })
    expect((await rejection(c.ready())).code).toBe('ENVIRONMENT_UNKNOWN')
    // Asking again on the same revision keeps failing: it never resolves without an environment.
    expect((await rejection(c.ready())).code).toBe('ENVIRONMENT_UNKNOWN')
  })

  it('a storage override chooses among manifest names only, never a URL', async () => {
    const s = await server(manifest())
    const storage = memoryStorage()
    storage.setItem('bg-env', 'staging')
    const c = client({ discovery: s.url, storage, overrides: { storageKey: 'bg-env' } })
    const changes: string[] = []
    c.on('environmentchange', (e) => changes.push(e.reason))
    expect((await c.ready()).name).toBe('blue')
    expect(changes).toEqual(['override'])

    storage.setItem('bg-env', 'https://evil.example.net')
    const other = client({ discovery: s.url, storage, overrides: { storageKey: 'bg-env' } })
    expect((await other.ready()).name).toBe('green')
  })

  it('overrides are off by default', async () => {
    const s = await server(manifest())
    const storage = memoryStorage()
    storage.setItem('bg-env', 'staging')
    expect((await client({ discovery: s.url, storage }).ready()).name).toBe('green')
  })
})

describe('lifecycle', () => {
  it('close() stops revalidation timers and later calls reject with CLOSED', async () => {
    const s = await server(manifest())
    const clock = stepClock()
    const c = client({ discovery: s.url, clock })
    await c.ready()
    expect(clock.pending()).toHaveLength(1)
    await c.close()
    await c.close()
    expect(clock.pending()).toHaveLength(0)
    expect((await rejection(c.refresh())).code).toBe('CLOSED')
  })

  it('an inline manifest needs no network', async () => {
    const c = client({
      manifest: manifest({ revision: 9 }),
      fetch: () => Promise.reject(new Error('no network')),
    })
    expect((await c.ready()).revision).toBe(9)
  })

  it('createClient() without discovery or manifest is INVALID_ARGUMENT', () => {
    expect(() => createClient({})).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
