/** Builders for valid manifests (loopback Stream Managers) that tests then break one field at a time. */
import { generateKeyPair, signManifest } from '../../src/discovery/dsse'

export interface TestManifest {
  manifestVersion: number
  revision: number
  issuedAt?: string
  expiresAt?: string
  ttl?: number
  roles: Record<string, string>
  environments: Record<string, Record<string, unknown>>
}

export function manifest(patch: Partial<TestManifest> = {}): TestManifest {
  return {
    manifestVersion: 1,
    revision: 1,
    issuedAt: '2026-11-26T10:00:00Z',
    ttl: 15,
    roles: { production: 'green', staging: 'blue' },
    environments: {
      green: { streamManager: 'http://127.0.0.1:5080', api: 'sm2', state: 'serving' },
      blue: { streamManager: 'http://127.0.0.1:5081', api: 'sm1', state: 'serving' },
    },
    ...patch,
  }
}

/** The same manifest with production moved to `to` and the other side draining. */
export function promoted(base: TestManifest, to: string, deadline = '2099-01-01T00:00:00Z'): TestManifest {
  const from = base.roles.production!
  return {
    ...base,
    revision: base.revision + 1,
    roles: { ...base.roles, production: to, staging: from },
    environments: {
      ...base.environments,
      [to]: { ...base.environments[to], state: 'serving' },
      [from]: { ...base.environments[from], state: 'draining', drainDeadline: deadline },
    },
  }
}

export interface TestKey {
  keyid: string
  privateKey: string
  publicKey: string
  publicKeyPem: string
}

export async function testKey(keyid: string): Promise<TestKey> {
  const pair = await generateKeyPair()
  return { keyid, privateKey: pair.privateKeyPem, publicKey: pair.publicKey, publicKeyPem: pair.publicKeyPem }
}

export async function signed(document: unknown, ...keys: TestKey[]): Promise<unknown> {
  return signManifest(JSON.stringify(document), keys)
}

/**
 * Runs `make` once, from the first test that needs it. Use it in `beforeEach`, not `beforeAll`: when key
 * generation breaks (a mutation of the key code), the tests then fail instead of being skipped, and
 * mutation testing counts a skipped test as a pass.
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => (made ??= make())
}
