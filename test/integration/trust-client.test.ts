/**
 * Trust boundaries of the client over real loopback servers: names that are JavaScript prototype
 * members, `direct` transport without `allowedHosts`, `close()` during a `resolve()`, and overrides.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

import { createClient, type BlueGreenClient } from '../../src/client'
import { isBlueGreenError, type BlueGreenErrorCode } from '../../src/errors'
import { memoryStorage } from '../../src/environment'
import type { ClientOptions } from '../../src/options'
import { startManifestServer } from '../helpers/manifestServer'
import { manifest } from '../helpers/manifests'
import { startStreamManagerServer, type StreamManagerServer } from '../helpers/streamManagerServer'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  vi.unstubAllGlobals()
  await Promise.all(open.splice(0).map((o) => o.close()))
})

function client(options: ClientOptions): BlueGreenClient {
  const c = createClient({ timeoutMs: 2_000, ...options })
  open.push(c)
  return c
}

async function codeOf(promise: Promise<unknown>): Promise<BlueGreenErrorCode> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (isBlueGreenError(error)) {
    return error.code
  }
  throw error
}

async function streamManager(api: 'sm1' | 'sm2', origin?: string): Promise<StreamManagerServer> {
  const sm = await startStreamManagerServer({ api, ...(origin === undefined ? {} : { origin }) })
  open.push(sm)
  return sm
}

describe('names that are JavaScript prototype members', () => {
  it('a manifest whose production role names "constructor" (no such environment) is MANIFEST_INVALID', async () => {
    const c = client({ manifest: manifest({ roles: { production: 'constructor' } }) })
    await expect(codeOf(c.ready())).resolves.toBe('MANIFEST_INVALID')
  })

  it.each(['__proto__', 'constructor', 'hasownproperty', 'tostring'])(
    'environment: %j is ENVIRONMENT_UNKNOWN, not a TypeError',
    async (environment) => {
      const c = client({ manifest: manifest(), environment })
      await expect(codeOf(c.ready())).resolves.toBe('ENVIRONMENT_UNKNOWN')
    },
  )

  it('a stored override of "constructor" is ignored: the client stays on production', async () => {
    const storage = memoryStorage()
    storage.setItem('bg-env', 'constructor')
    const c = client({ manifest: manifest(), storage, overrides: { storageKey: 'bg-env' } })
    await expect(c.ready()).resolves.toMatchObject({ name: 'green', role: 'production' })
  })

  it('a ?bg-env=__proto__ link is ignored: the client stays on production', async () => {
    vi.stubGlobal('location', { search: '?bg-env=__proto__' })
    const c = client({ manifest: manifest(), overrides: { queryParam: 'bg-env' } })
    await expect(c.ready()).resolves.toMatchObject({ name: 'green', role: 'production' })
    expect(c.pinnedIn(c.manifest!)).toBe(false)
  })

  it('resolve() on an environment named like a prototype member is ENVIRONMENT_UNKNOWN', async () => {
    const c = client({ manifest: manifest() })
    await c.ready()
    await expect(codeOf(c.resolveOn('constructor', 'publish', 'cam1'))).resolves.toBe('ENVIRONMENT_UNKNOWN')
  })
})

describe('overrides', () => {
  it('environmentchange says reason "manifest" when the override was ignored', async () => {
    const storage = memoryStorage()
    storage.setItem('bg-env', 'nowhere')
    const c = client({ manifest: manifest(), storage, overrides: { storageKey: 'bg-env' } })
    const reasons: string[] = []
    c.on('environmentchange', ({ reason }) => reasons.push(reason))
    await c.ready()
    expect(reasons).toEqual(['manifest'])
  })

  it('environmentchange says reason "override" when the override was honoured', async () => {
    const storage = memoryStorage()
    storage.setItem('bg-env', 'staging')
    const c = client({ manifest: manifest(), storage, overrides: { storageKey: 'bg-env' } })
    const reasons: string[] = []
    c.on('environmentchange', ({ reason }) => reasons.push(reason))
    await expect(c.ready()).resolves.toMatchObject({ name: 'blue', role: 'staging' })
    expect(reasons).toEqual(['override'])
  })
})

describe('direct transport and allowedHosts', () => {
  const direct = (sm: StreamManagerServer) =>
    manifest({
      environments: {
        green: { streamManager: sm.url, api: 'sm2', transport: 'direct' },
        blue: { streamManager: sm.url, api: 'sm2' },
      },
    })

  it('resolve() signals straight to an ordinary node when allowedHosts is not set', async () => {
    const sm = await streamManager('sm2', '127.0.0.1:5080')
    const c = client({ manifest: direct(sm) })
    const assignment = await c.resolve('cam1', 'publish')
    expect(assignment.endpoint).toBe('http://127.0.0.1:5080/live/whip/endpoint/cam1')
  })

  it('a node host matching any one of several allowedHosts patterns is allowed', async () => {
    const sm = await streamManager('sm2', '127.0.0.1:5080')
    const c = client({ manifest: direct(sm), allowedHosts: ['*.example.com', '127.0.0.1', 'localhost'] })
    const assignment = await c.resolve('cam1', 'publish')
    expect(assignment.transport).toBe('direct')
  })

  it('a node host matching none of allowedHosts is HOST_NOT_ALLOWED', async () => {
    const sm = await streamManager('sm2', '10.0.0.1:5080')
    const c = client({ manifest: direct(sm), allowedHosts: ['127.0.0.1'] })
    await expect(codeOf(c.resolve('cam1', 'publish'))).resolves.toBe('HOST_NOT_ALLOWED')
  })
})

describe('close()', () => {
  /** A ready client whose production Stream Manager holds every request unanswered. */
  async function hanging(): Promise<{ sm: StreamManagerServer; c: BlueGreenClient }> {
    const sm = await streamManager('sm2')
    sm.fail({ kind: 'hang' })
    const discovery = await startManifestServer(
      manifest({
        environments: { green: { streamManager: sm.url, api: 'sm2' } },
        roles: { production: 'green' },
      }),
    )
    open.push(discovery)
    const c = createClient({ discovery: discovery.url, timeoutMs: 20_000 })
    await c.ready()
    return { sm, c }
  }

  it('rejects a resolve() in flight with CLOSED at once, and no further request is made', async () => {
    const { sm, c } = await hanging()
    const pending = codeOf(c.resolve('cam1', 'publish'))
    await vi.waitFor(() => expect(sm.requests).toHaveLength(1))
    const started = performance.now()
    await c.close()
    await expect(pending).resolves.toBe('CLOSED')
    expect(performance.now() - started).toBeLessThan(1_000)
    await vi.waitFor(() => expect(sm.abandoned).toBe(1))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sm.requests).toHaveLength(1)
  })

  it('rejects 20 resolve() calls in flight with CLOSED, and holding them warns of no listener leak (Node warns past 10 per signal)', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      const { sm, c } = await hanging()
      const pending = Array.from({ length: 20 }, (_, i) => codeOf(c.resolve(`cam${i}`, 'publish')))
      await vi.waitFor(() => expect(sm.requests).toHaveLength(20))
      await new Promise((resolve) => setTimeout(resolve, 50)) // Node emits its warning on a later tick
      await c.close()
      await expect(Promise.all(pending)).resolves.toEqual(Array.from({ length: 20 }, () => 'CLOSED'))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})
