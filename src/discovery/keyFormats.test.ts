/** Key formats at their edges: SPKI of another algorithm, 44 bytes that are not SPKI, private key forms. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { once } from '../../test/helpers/manifests'
import {
  base64ToBytes,
  bytesToBase64,
  generateKeyPair,
  parsePrivateKey,
  parsePublicKey,
  webCryptoVerifier,
} from './dsse'

let pair: Awaited<ReturnType<typeof generateKeyPair>>
// Per test (made once): a failure here fails the tests rather than skipping them (mutation testing).
const made = once(() => generateKeyPair())
beforeEach(async () => {
  pair = await made()
})
afterEach(() => {
  vi.unstubAllGlobals()
})

const pem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${bytesToBase64(der)}\n-----END ${label}-----\n`

describe('public keys', () => {
  it('base64 of the SPKI is accepted like the raw key', () => {
    const spki = base64ToBytes(/-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END/.exec(pair.publicKeyPem)![1]!)
    expect(spki).toHaveLength(44)
    expect(parsePublicKey(bytesToBase64(spki))).toEqual(parsePublicKey(pair.publicKey))
  })

  it('an X25519 SPKI (same length, another algorithm) is refused, as PEM and as base64', async () => {
    const x = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', x.publicKey))
    expect(spki).toHaveLength(44)
    for (const key of [pem('PUBLIC KEY', spki), bytesToBase64(spki)]) {
      expect(() => parsePublicKey(key)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })

  it('a weak key is reported as weak, not as an unreadable key', () => {
    expect(() => parsePublicKey(bytesToBase64(new Uint8Array(32)))).toThrowError(
      expect.objectContaining({
        message: expect.stringMatching(/^A trusted key is a weak Ed25519 public key/),
      }),
    )
  })

  it('an unreadable key keeps its cause', () => {
    try {
      parsePublicKey('c2hvcnQ=')
      expect.unreachable()
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(TypeError)
    }
  })
})

describe('private keys', () => {
  it('a base64 seed of 32 bytes is accepted as it is', () => {
    const seed = new Uint8Array(32).fill(7)
    expect(parsePrivateKey(bytesToBase64(seed))).toEqual(seed)
  })

  it('the PKCS#8 PEM gives the same seed as its base64 DER', () => {
    const der = base64ToBytes(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END/.exec(pair.privateKeyPem)![1]!)
    expect(parsePrivateKey(bytesToBase64(der))).toEqual(parsePrivateKey(pair.privateKeyPem))
  })

  it('48 bytes that are not an Ed25519 PKCS#8 are refused', () => {
    expect(() => parsePrivateKey(bytesToBase64(new Uint8Array(48).fill(1)))).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})

describe('base64', () => {
  it.each([
    ['YQ', 'a'],
    ['YWI', 'ab'],
    ['YWJj', 'abc'],
    ['YW Jj\n', 'abc'],
    ['-_8', '\xfb\xff'],
  ])('%j decodes to %j (padding optional, URL-safe alphabet, whitespace ignored)', (text, expected) => {
    expect(String.fromCharCode(...base64ToBytes(text))).toBe(expected)
  })

  it.each(['YQ!', '!YQ', 'Y===', 'YQ==='])('%j is not base64', (text) => {
    expect(() => base64ToBytes(text)).toThrow()
  })
})

describe('WebCrypto probe', () => {
  it('is undefined without crypto.subtle (insecure contexts): the noble fallback is used', async () => {
    vi.stubGlobal('crypto', {})
    await expect(webCryptoVerifier()).resolves.toBeUndefined()
  })
})
