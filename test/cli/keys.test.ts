/**
 * `keygen`, `sign`, `verify`, and signed manifests edited by the CLI, through the built binary; the
 * signed output is then handed to the client library to prove clients accept what operators produce.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { createClient } from '../../src/client'
import { parsePublicKey } from '../../src/discovery/dsse'
import { isBlueGreenError } from '../../src/errors'
import { cli, ensureCliBuilt, tempDir } from './helpers'

beforeAll(async () => {
  await ensureCliBuilt()
}, 120_000)

let tmp: ReturnType<typeof tempDir>
let file: string
beforeEach(async () => {
  tmp = tempDir()
  file = tmp.path('discovery.json')
  for (const prefix of ['ops-a', 'ops-b']) {
    expect((await cli(['keygen', '--out', tmp.path(prefix)])).code).toBe(0)
  }
  expect((await cli(['manifest', 'init', '--file', file])).code).toBe(0)
})
afterEach(() => tmp.cleanup())

const envelopeOf = (path = file): { payload: string; signatures: { keyid: string }[] } =>
  JSON.parse(readFileSync(path, 'utf8')) as { payload: string; signatures: { keyid: string }[] }
const publicKey = (prefix: string): string => readFileSync(tmp.path(`${prefix}.pub`), 'utf8')

async function clientVerdict(
  envelope: unknown,
  keys: { keyid: string; publicKey: string }[],
): Promise<string> {
  const client = createClient({ manifest: envelope, trustedKeys: keys })
  try {
    const env = await client.ready()
    return `${env.name}@${env.revision}`
  } catch (error) {
    return isBlueGreenError(error) ? error.code : String(error)
  } finally {
    await client.close()
  }
}

describe('keygen', () => {
  it('writes a 0600 PKCS#8 private key and an SPKI public key, and prints the key and a trustedKeys snippet', async () => {
    const result = await cli(['keygen', '--out', tmp.path('ops-2026')])
    expect(result.code).toBe(0)
    expect(statSync(tmp.path('ops-2026.key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(tmp.path('ops-2026.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    const pem = publicKey('ops-2026')
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    const printed = /public key\s+([A-Za-z0-9+/]{43}=)/.exec(result.stdout)?.[1]
    expect(printed).toBeDefined()
    expect(parsePublicKey(printed!)).toEqual(parsePublicKey(pem))
    expect(result.stdout).toContain(`trustedKeys: [{ keyid: 'ops-2026', publicKey: '${printed!}' }]`)
  })

  it('refuses to overwrite an existing key pair (exit 2)', async () => {
    const before = readFileSync(tmp.path('ops-a.key'), 'utf8')
    const result = await cli(['keygen', '--out', tmp.path('ops-a')])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/already exists; pass --force/)
    expect(readFileSync(tmp.path('ops-a.key'), 'utf8')).toBe(before)
  })
})

describe('sign and verify', () => {
  it('wraps a manifest in an envelope that verify accepts and names the signer', async () => {
    const signed = await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key'), '--keyid', 'ops-a'])
    expect(signed.code).toBe(0)
    expect(envelopeOf().signatures.map((s) => s.keyid)).toEqual(['ops-a'])
    const verified = await cli(['verify', '--file', file, '--pub', tmp.path('ops-a.pub')])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/signed by ops-a/)
  })

  it('exits 1 when no signature is from the given key, or the file is not signed', async () => {
    const plain = await cli(['verify', '--file', file, '--pub', tmp.path('ops-a.pub')])
    expect(plain.code).toBe(1)
    expect(plain.stderr).toMatch(/is not signed/)
    expect((await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key')])).code).toBe(0)
    const wrongKey = await cli(['verify', '--file', file, '--pub', tmp.path('ops-b.pub')])
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.stderr).toMatch(/0 valid signature\(s\)/)
  })

  it('adds a second signature to an envelope, meeting a threshold of 2', async () => {
    const out = tmp.path('signed.json')
    expect((await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key'), '--out', out])).code).toBe(0)
    expect(readFileSync(file, 'utf8')).not.toContain('payloadType') // --out leaves the input alone
    const one = await cli([
      'verify',
      '--file',
      out,
      '--pub',
      tmp.path('ops-a.pub'),
      '--pub',
      tmp.path('ops-b.pub'),
      '--threshold',
      '2',
    ])
    expect(one.code).toBe(1)
    const added = await cli(['sign', '--file', out, '--key', tmp.path('ops-b.key')])
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/added a signature/)
    const both = await cli([
      'verify',
      '--file',
      out,
      '--pub',
      tmp.path('ops-a.pub'),
      '--pub',
      tmp.path('ops-b.pub'),
      '--threshold',
      '2',
      '--json',
    ])
    expect(both.code).toBe(0)
    expect(JSON.parse(both.stdout)).toMatchObject({ valid: true, signedBy: ['ops-a', 'ops-b'], revision: 1 })
  })

  it('refuses to sign an invalid manifest (exit 2)', async () => {
    writeFileSync(file, JSON.stringify({ manifestVersion: 1, revision: 1, roles: {}, environments: {} }))
    const result = await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key')])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/refusing to sign.*\$\.roles\.production/)
  })
})

describe('signed manifests and the client library', () => {
  it('a manifest signed and then promoted by the CLI is accepted by createClient with the trusted key', async () => {
    expect((await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key')])).code).toBe(0)
    const keyA = { keyid: 'ops-a', publicKey: publicKey('ops-a') }
    expect(await clientVerdict(envelopeOf(), [keyA])).toBe('green@1')

    const promoted = await cli([
      'manifest',
      'promote',
      'blue',
      '--file',
      file,
      '--key',
      tmp.path('ops-a.key'),
    ])
    expect(promoted.code).toBe(0)
    expect(await clientVerdict(envelopeOf(), [keyA])).toBe('blue@2')
    expect(await clientVerdict(envelopeOf(), [{ keyid: 'ops-b', publicKey: publicKey('ops-b') }])).toBe(
      'MANIFEST_SIGNATURE',
    )
  })

  it('refuses to edit an envelope without a key (an edited copy would be unsigned) and leaves it intact', async () => {
    expect((await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key')])).code).toBe(0)
    const before = readFileSync(file, 'utf8')
    const result = await cli(['manifest', 'promote', 'blue', '--file', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/signed envelope.*pass --key KEYFILE/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(readFileSync(file, 'utf8')).toBe(before)
  })

  it('validate checks the signature of an envelope when --pub keys are given', async () => {
    expect((await cli(['sign', '--file', file, '--key', tmp.path('ops-a.key')])).code).toBe(0)
    const good = await cli(['manifest', 'validate', '--file', file, '--pub', tmp.path('ops-a.pub'), '--json'])
    expect(good.code).toBe(0)
    expect(JSON.parse(good.stdout)).toMatchObject({
      valid: true,
      signature: { status: 'valid', signedBy: ['ops-a'] },
    })
    const bad = await cli(['manifest', 'validate', '--file', file, '--pub', tmp.path('ops-b.pub')])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/0 valid signature/)
  })
})
