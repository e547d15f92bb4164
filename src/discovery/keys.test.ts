/**
 * Weak Ed25519 keys, and the two verification paths (WebCrypto, noble) agreeing on signatures that only
 * one of the two Ed25519 equations (cofactored, cofactorless) accepts.
 */
import * as ed from '@noble/ed25519'
import { beforeEach, describe, expect, it } from 'vitest'

import {
  bytesToBase64,
  EnvelopeVerifier,
  generateKeyPair,
  MANIFEST_PAYLOAD_TYPE,
  nobleVerifier,
  pae,
  parsePrivateKey,
  parsePublicKey,
  signManifest,
  webCryptoVerifier,
  type Verify,
} from './dsse'
import { once } from '../../test/helpers/manifests'

let a: Awaited<ReturnType<typeof generateKeyPair>>
let paths: [string, Verify][]
// Per test (made once): a failure here fails the tests rather than skipping them (mutation testing).
const setup = once(async () => {
  const pair = await generateKeyPair()
  const verifiers: [string, Verify][] = [
    ['WebCrypto', (await webCryptoVerifier())!],
    ['noble', await nobleVerifier()],
  ]
  return { pair, verifiers }
})
beforeEach(async () => {
  ;({ pair: a, verifiers: paths } = await setup())
})
const L = ed.CURVE.n
const payload = new TextEncoder().encode(JSON.stringify({ manifestVersion: 1, revision: 1 }))
const message = pae(MANIFEST_PAYLOAD_TYPE, payload)

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0, v = value; i < 32; i++, v >>= 8n) {
    out[i] = Number(v & 0xffn)
  }
  return out
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  return bytes.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n)
}

const identity = new Uint8Array(32)
identity[0] = 1
/** A point of order 4: (sqrt(-1), 0), encoded as 32 zero bytes. */
const order4 = new Uint8Array(32)

/** R = identity, S = 0: verifies for any message under a small-order key. */
const forged = new Uint8Array(64)
forged.set(identity, 0)

/**
 * A signature by `a` whose R carries a torsion component: valid under the cofactored equation
 * ([8][S]B = [8]R + [8][k]A, noble's default) and invalid under the cofactorless one (WebCrypto).
 */
async function cofactoredOnly(): Promise<Uint8Array> {
  const extended = await ed.utils.getExtendedPublicKeyAsync(parsePrivateKey(a.privateKeyPem))
  const r = 0x1234567890abcdefn
  const R = ed.Point.BASE.multiply(r).add(ed.Point.fromHex(order4)).toBytes()
  const k = ed.etc.mod(fromLittleEndian(await ed.etc.sha512Async(R, extended.pointBytes, message)), L)
  const S = ed.etc.mod(r + k * extended.scalar, L)
  return new Uint8Array([...R, ...littleEndian(S)])
}

describe('weak trusted keys', () => {
  it.each([
    ['32 zero bytes (order 4)', () => order4],
    ['the identity point', () => identity],
    ['a non-canonical encoding (y = p)', () => littleEndian(2n ** 255n - 19n)],
    [
      'a key with a torsion component',
      () => ed.Point.fromHex(parsePublicKey(a.publicKey)).add(ed.Point.fromHex(order4)).toBytes(),
    ],
  ])('%s is refused with INVALID_ARGUMENT, raw or SPKI', (_label, make) => {
    const raw = make()
    const spki = new Uint8Array([
      0x30,
      0x2a,
      0x30,
      0x05,
      0x06,
      0x03,
      0x2b,
      0x65,
      0x70,
      0x03,
      0x21,
      0x00,
      ...raw,
    ])
    const pem = `-----BEGIN PUBLIC KEY-----\n${bytesToBase64(spki)}\n-----END PUBLIC KEY-----\n`
    for (const key of [bytesToBase64(raw), bytesToBase64(spki), pem]) {
      expect(() => parsePublicKey(key)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/weak/) }),
      )
      expect(() => new EnvelopeVerifier([{ publicKey: key }], 1)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })

  it('an ordinary key is accepted', () => {
    expect(parsePublicKey(a.publicKey)).toHaveLength(32)
  })
})

describe('both verification paths agree', () => {
  it('a valid signature verifies on both', async () => {
    const envelope = await signManifest(payload, [{ keyid: 'ops', privateKey: a.privateKeyPem }])
    const sig = Uint8Array.from(atob(envelope.signatures[0]!.sig), (c) => c.charCodeAt(0))
    for (const [, verify] of paths) {
      await expect(verify(parsePublicKey(a.publicKey), sig, message)).resolves.toBe(true)
    }
  })

  it('a signature valid only under the cofactored equation is refused by both', async () => {
    const sig = await cofactoredOnly()
    // The construction is right: noble's default (ZIP-215, cofactored) accepts it.
    await expect(ed.verifyAsync(sig, message, parsePublicKey(a.publicKey))).resolves.toBe(true)
    for (const [name, verify] of paths) {
      expect([name, await verify(parsePublicKey(a.publicKey), sig, message)]).toEqual([name, false])
    }
  })

  it('R = identity, S = 0 under the identity key is refused by noble (the key never gets that far)', async () => {
    const [, noble] = paths[1]!
    await expect(noble(identity, forged, message)).resolves.toBe(false)
  })
})
