/**
 * The acceptance pipeline and the rollback record, without HTTP: what `accept()` refuses and with which
 * context, how the stored record is read, and when it binds.
 */
import { describe, expect, it } from 'vitest'

import { memoryStorage, resolveEnvironment, type KeyValueStorage } from '../environment'
import { isBlueGreenError, type BlueGreenError } from '../errors'
import { createHttp } from '../internal/http'
import { UNSIGNED_FLOOR_MS } from './limits'
import { ManifestLoader, readRecord, recordBinds, type LoaderSettings } from './loadManifest'

const NOW = Date.parse('2026-11-26T10:00:00Z')
const KEY = 'red5pro-bluegreen:test'
const URL_A = 'https://cdn.example.com/discovery.json'

function manifest(revision = 3): Record<string, unknown> {
  return {
    manifestVersion: 1,
    revision,
    roles: { production: 'green' },
    environments: { green: { streamManager: 'https://green-sm.example.com', api: 'sm2' } },
  }
}

function loader(
  storage: KeyValueStorage = memoryStorage(),
  settings: Partial<LoaderSettings> = {},
  now: { value: number } = { value: NOW },
): ManifestLoader {
  const env = resolveEnvironment(
    {
      storage,
      clock: { now: () => now.value, setTimeout: () => 0, clearTimeout: () => undefined },
    },
    'test',
  )
  return new ManifestLoader(
    env,
    createHttp(env, { timeoutMs: 1000, retries: 0, backoffBaseMs: 0, backoffCapMs: 0, maxRetryAfterMs: 0 }),
    {
      urls: [URL_A],
      rules: {},
      timeoutMs: 1000,
      verifier: undefined,
      storageKey: KEY,
      ...settings,
    },
  )
}

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

async function refusal(promise: Promise<unknown>): Promise<BlueGreenError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (isBlueGreenError(error)) {
    return error
  }
  throw error
}

describe('readRecord()', () => {
  const stored = (value: string): ReturnType<typeof readRecord> => {
    const storage = memoryStorage()
    storage.setItem(KEY, value)
    return readRecord(storage, KEY)
  }

  it('reads revision, digest, signed and at', () => {
    expect(stored('{"revision":4,"digest":"d","signed":true,"at":5}')).toEqual({
      revision: 4,
      digest: 'd',
      signed: true,
      at: 5,
    })
    expect(stored('{"revision":4,"digest":"d"}')).toEqual({ revision: 4, digest: 'd' })
  })

  it.each([
    ['nothing stored', undefined],
    ['not JSON', '{'],
    ['a string revision', '{"revision":"4","digest":"d"}'],
    ['a fractional revision', '{"revision":4.5,"digest":"d"}'],
    ['an unsafe revision', '{"revision":9007199254740993,"digest":"d"}'],
    ['no digest', '{"revision":4}'],
    ['a numeric digest', '{"revision":4,"digest":7}'],
    ['null', 'null'],
  ])('counts %s as none', (_label, value) => {
    const storage = memoryStorage()
    if (value !== undefined) {
      storage.setItem(KEY, value)
    }
    expect(readRecord(storage, KEY)).toBeUndefined()
  })

  it('drops a signed flag that is not true and an at that is not a finite number', () => {
    expect(stored('{"revision":4,"digest":"d","signed":"yes","at":"5"}')).toEqual({
      revision: 4,
      digest: 'd',
    })
    expect(stored('{"revision":4,"digest":"d","at":1e400}')).toEqual({ revision: 4, digest: 'd' })
  })

  it('a storage that throws counts as none', () => {
    const storage: KeyValueStorage = {
      getItem: () => {
        throw new Error('blocked')
      },
      setItem: () => undefined,
      removeItem: () => undefined,
    }
    expect(readRecord(storage, KEY)).toBeUndefined()
  })
})

describe('recordBinds(): the unsigned floor window', () => {
  const record = { revision: 9, digest: 'd' }
  it('a signed record binds for good', () => {
    expect(recordBinds({ ...record, signed: true }, NOW + 1e12)).toBe(true)
  })
  it('an unsigned record binds strictly less than UNSIGNED_FLOOR_MS after its last confirmation', () => {
    expect(recordBinds({ ...record, at: NOW }, NOW + UNSIGNED_FLOOR_MS - 1)).toBe(true)
    expect(recordBinds({ ...record, at: NOW }, NOW + UNSIGNED_FLOOR_MS)).toBe(false)
    expect(recordBinds({ ...record, at: NOW + UNSIGNED_FLOOR_MS - 1 }, NOW)).toBe(true)
    expect(recordBinds({ ...record, at: NOW + UNSIGNED_FLOOR_MS }, NOW)).toBe(false)
  })
  it('a record without at (an older version wrote it) binds nothing', () => {
    expect(recordBinds(record, NOW)).toBe(false)
  })
})

describe('ManifestLoader.record', () => {
  it('is the highest binding revision of storage and memory', async () => {
    const storage = memoryStorage()
    const l = loader(storage)
    await l.accept(bytes(manifest(5)), 'application/json', URL_A)
    storage.setItem(KEY, JSON.stringify({ revision: 7, digest: 'x', at: NOW }))
    expect(l.record?.revision).toBe(7)
    storage.setItem(KEY, JSON.stringify({ revision: 4, digest: 'x', at: NOW }))
    expect(l.record?.revision).toBe(5)
    storage.setItem(KEY, JSON.stringify({ revision: 5, digest: 'other', at: NOW }))
    expect(l.record?.digest).not.toBe('other') // equal revisions: the one in memory
  })

  it('accepting stores { revision, digest, at } and no signed flag for an unsigned manifest', async () => {
    const storage = memoryStorage()
    await loader(storage).accept(bytes(manifest(5)), 'application/json', URL_A)
    const stored = JSON.parse(storage.getItem(KEY)!) as Record<string, unknown>
    expect(stored).toEqual({ revision: 5, digest: expect.stringMatching(/^[0-9a-f]{64}$/), at: NOW })
  })

  it('a lower revision is accepted once the floor window has passed', async () => {
    const now = { value: NOW }
    const l = loader(memoryStorage(), {}, now)
    await l.accept(bytes(manifest(9)), 'application/json', URL_A)
    now.value += UNSIGNED_FLOOR_MS - 1
    expect((await refusal(l.accept(bytes(manifest(3)), 'application/json', URL_A))).code).toBe(
      'MANIFEST_ROLLBACK',
    )
    now.value += 1
    await expect(l.accept(bytes(manifest(3)), 'application/json', URL_A)).resolves.toMatchObject({
      kind: 'accepted',
    })
  })
})

describe('ManifestLoader.accept() refusals', () => {
  it('a non-JSON content type is MANIFEST_INVALID at $ with the url, naming the type', async () => {
    const error = await refusal(loader().accept(bytes(manifest()), 'text/plain', URL_A))
    expect(error).toMatchObject({ code: 'MANIFEST_INVALID', path: '$', url: URL_A })
    expect(error.message).toContain('"text/plain"')
    expect(error.message).not.toContain('captive portal')
  })

  it('an HTML page is named as such, and an empty content type as "no content type"', async () => {
    const html = await refusal(loader().accept(bytes(manifest()), 'text/html', URL_A))
    expect(html.message).toContain('captive portal')
    const none = await refusal(loader().accept(bytes(manifest()), '', URL_A))
    expect(none.message).toContain('"no content type"')
  })

  it('an inline manifest has no url in its errors and is called "the inline manifest"', async () => {
    const error = await refusal(loader().accept(new TextEncoder().encode('{'), undefined, undefined))
    expect(error.code).toBe('MANIFEST_INVALID')
    expect(error.message).toContain('the inline manifest')
    expect(Object.hasOwn(error, 'url')).toBe(false)
    expect(error).toMatchObject({ path: '$' })
  })

  it('invalid UTF-8 is MANIFEST_INVALID, not a manifest decoded with replacement characters', async () => {
    const text = JSON.stringify(manifest())
    const broken = new Uint8Array([...new TextEncoder().encode(text.slice(0, -1)), 0xff, 0x7d])
    const error = await refusal(loader().accept(broken, 'application/json', URL_A))
    expect(error).toMatchObject({ code: 'MANIFEST_INVALID', path: '$', url: URL_A })
  })

  it('an envelope without trustedKeys is MANIFEST_SIGNATURE with the url', async () => {
    const envelope = { payloadType: 'x', payload: 'e30=', signatures: [] }
    const error = await refusal(loader().accept(bytes(envelope), 'application/json', URL_A))
    expect(error).toMatchObject({ code: 'MANIFEST_SIGNATURE', url: URL_A })
    expect(error.message).toContain('no trustedKeys')
  })

  it('a rollback names the revision and the url', async () => {
    const l = loader()
    await l.accept(bytes(manifest(5)), 'application/json', URL_A)
    const lower = await refusal(l.accept(bytes(manifest(4)), 'application/json', URL_A))
    expect(lower).toMatchObject({ code: 'MANIFEST_ROLLBACK', revision: 4, url: URL_A })
    const changed = await refusal(l.accept(bytes({ ...manifest(5), ttl: 99 }), 'application/json', URL_A))
    expect(changed).toMatchObject({ code: 'MANIFEST_ROLLBACK', revision: 5, url: URL_A })
    expect(changed.message).toContain('different content')
  })
})
