/**
 * What a hostile or broken Stream Manager can answer, against a real loopback server: entries without
 * an address, odd node roles, regions that are empty or null, and oversized answers (bytes read).
 */
import { afterEach, describe, expect, it } from 'vitest'

import { resolveEnvironment } from '../../src/environment'
import { isBlueGreenError, type BlueGreenError } from '../../src/errors'
import { createAssigner } from '../../src/streammanager'
import type { ManifestEnvironment, StreamManagerApi } from '../../src/types'
import { countingFetch } from '../helpers/countingFetch'
import { startStreamManagerServer, type StreamManagerServer } from '../helpers/streamManagerServer'

const open: StreamManagerServer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

/** A Stream Manager whose next answer is `status` with `body`. */
async function answering(api: StreamManagerApi, body: unknown, status = 200): Promise<ManifestEnvironment> {
  const s = await startStreamManagerServer({ api })
  open.push(s)
  s.fail({ kind: 'status', status, body }, 1)
  return {
    streamManager: s.url,
    api,
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
  }
}

const assigner = createAssigner(resolveEnvironment({}, 'test'), { timeoutMs: 2_000, retries: 0 })

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

describe('answers without what an assignment needs', () => {
  it('an sm2 entry without serverAddress names the field', async () => {
    const env = await answering('sm2', [{ nodeRole: 'origin' }])
    const error = await failure(assigner.resolve('blue', env, 'cam', 'publish'))
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('`[0].serverAddress`')
  })

  it('an sm1 answer without serverAddress names the field', async () => {
    const env = await answering('sm1', { name: 'cam', region: 'eu' })
    const error = await failure(assigner.resolve('blue', env, 'cam', 'publish'))
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('`serverAddress`')
  })

  it.each(['origin!', '1origin', 'ori gin', ''])('an sm2 nodeRole of %j is refused', async (nodeRole) => {
    const env = await answering('sm2', [{ serverAddress: '10.0.0.1', nodeRole }])
    const error = await failure(assigner.resolve('blue', env, 'cam', 'publish'))
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
  })

  it('an sm2 nodeRole is reported in lower case', async () => {
    const env = await answering('sm2', [{ serverAddress: '10.0.0.1', nodeRole: 'Origin' }])
    await expect(assigner.resolve('blue', env, 'cam', 'publish')).resolves.toMatchObject({
      nodeRole: 'origin',
    })
  })
})

describe('regions a Stream Manager leaves out', () => {
  it.each([
    ['sm2', [{ serverAddress: '10.0.0.1', nodeRole: 'origin', subGroup: '' }]],
    ['sm2', [{ serverAddress: '10.0.0.1', nodeRole: 'origin', subGroup: null }]],
    ['sm1', { serverAddress: '10.0.0.1', region: '' }],
    ['sm1', { serverAddress: '10.0.0.1', region: null }],
  ] as const)('%s: an empty or null region does not fail a strict request', async (api, body) => {
    const env = await answering(api, body)
    await expect(
      assigner.resolve('blue', env, 'cam', 'publish', { region: 'eu-west-1', strict: true }),
    ).resolves.toMatchObject({ serverAddress: '10.0.0.1' })
  })
})

describe('oversized answers', () => {
  it('an undeclared 1 MB answer is read no further than just past 64 KiB', async () => {
    const s = await startStreamManagerServer({ api: 'sm2' })
    open.push(s)
    s.fail({ kind: 'huge', bytes: 1024 * 1024 })
    const counter = countingFetch()
    const counted = createAssigner(resolveEnvironment({ fetch: counter.fetch }, 'test'), {
      timeoutMs: 2_000,
      retries: 0,
    })
    const env: ManifestEnvironment = {
      streamManager: s.url,
      api: 'sm2',
      nodeGroup: 'default',
      app: 'live',
      transport: 'proxy',
      state: 'serving',
    }
    const error = await failure(counted.resolve('blue', env, 'cam', 'publish'))
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(counter.read()).toBeGreaterThan(64 * 1024)
    expect(counter.read()).toBeLessThanOrEqual(2 * 64 * 1024)
  })
})
