/**
 * The CLI at its trust boundaries, through the built binary: names that are JavaScript prototype
 * members, weak Ed25519 keys, and `keygen --force` over a symlink.
 */
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { bytesToBase64 } from '../../src/discovery/dsse'
import { cli, ensureCliBuilt, sendJson, startServer, tempDir, type TestServer } from './helpers'

let tmp: ReturnType<typeof tempDir>
let file: string
let discovery: TestServer
let document: unknown

beforeAll(async () => {
  await ensureCliBuilt()
  discovery = await startServer((_request, response) => sendJson(response, 200, document))
}, 120_000)
afterAll(() => discovery.close())
beforeEach(() => {
  tmp = tempDir()
  file = tmp.path('discovery.json')
})
afterEach(() => tmp.cleanup())

function manifest(production = 'green'): Record<string, unknown> {
  return {
    manifestVersion: 1,
    revision: 3,
    issuedAt: new Date(Date.now() - 60_000).toISOString(),
    roles: { production, staging: 'blue' },
    environments: {
      green: { streamManager: 'http://127.0.0.1:5080', api: 'sm2' },
      blue: { streamManager: 'http://127.0.0.1:5081', api: 'sm2' },
    },
  }
}

describe('names that are JavaScript prototype members', () => {
  it('manifest validate exits 1 when production names "constructor", which is no environment', async () => {
    writeFileSync(file, JSON.stringify(manifest('constructor')))
    const result = await cli(['manifest', 'validate', '--file', file])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('$.roles.production')
    expect(result.stderr).not.toContain('TypeError')
  })

  it('sign and promote refuse such a manifest (exit 2) and leave the file alone', async () => {
    const text = JSON.stringify(manifest('constructor'))
    writeFileSync(file, text)
    expect((await cli(['keygen', '--out', tmp.path('ops')])).code).toBe(0)
    const signed = await cli(['sign', '--file', file, '--key', tmp.path('ops.key')])
    expect(signed.code).toBe(2)
    const promoted = await cli(['manifest', 'promote', 'blue', '--file', file])
    expect(promoted.code).toBe(2)
    expect(readFileSync(file, 'utf8')).toBe(text)
  })

  it.each(['constructor', '__proto__'])(
    'status --env %s exits 2 with one line, not a TypeError',
    async (env) => {
      document = manifest()
      const result = await cli(['status', '--discovery', `${discovery.url}/discovery.json`, '--env', env])
      expect(result.code).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).not.toContain('TypeError')
    },
  )
})

describe('weak Ed25519 keys', () => {
  const identity = new Uint8Array(32)
  identity[0] = 1

  it.each([
    ['32 zero bytes', bytesToBase64(new Uint8Array(32))],
    ['the identity point', bytesToBase64(identity)],
  ])('verify --pub refuses %s as a trusted key (exit 2)', async (_label, key) => {
    writeFileSync(file, JSON.stringify(manifest()))
    const result = await cli(['verify', '--file', file, '--pub', `placeholder=${key}`])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/is a weak Ed25519 public key/)
  })
})

describe('keygen --force', () => {
  it('replaces a symlinked key file with a new 0600 file and never writes through the link', async () => {
    const victim = tmp.path('victim.txt')
    writeFileSync(victim, 'keep me', { mode: 0o644 })
    symlinkSync(victim, tmp.path('ops.key'))
    const result = await cli(['keygen', '--out', tmp.path('ops'), '--force'])
    expect(result.code).toBe(0)
    expect(readFileSync(victim, 'utf8')).toBe('keep me')
    const key = lstatSync(tmp.path('ops.key'))
    expect(key.isSymbolicLink()).toBe(false)
    expect(key.mode & 0o777).toBe(0o600)
  })
})
