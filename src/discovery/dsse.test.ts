import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { once } from '../../test/helpers/manifests'
import { EnvelopeVerifier, generateKeyPair, pae, parsePublicKey, signManifest } from './dsse'

let a: Awaited<ReturnType<typeof generateKeyPair>>
let b: Awaited<ReturnType<typeof generateKeyPair>>
// Per test (made once): a failure here fails the tests rather than skipping them (mutation testing).
const pairs = once(() => Promise.all([generateKeyPair(), generateKeyPair()]))
beforeEach(async () => {
  ;[a, b] = await pairs()
})
afterEach(() => {
  vi.restoreAllMocks()
})

const payload = JSON.stringify({ manifestVersion: 1, revision: 1 })

describe('DSSE', () => {
  it('PAE is "DSSEv1 <len> <type> <len> <body>" with byte lengths', () => {
    const out = new TextDecoder().decode(pae('t', new TextEncoder().encode('héllo')))
    expect(out).toBe('DSSEv1 1 t 6 héllo')
  })

  it('a key is accepted as base64 raw, SPKI PEM, or base64 SPKI; anything else is INVALID_ARGUMENT', () => {
    const raw = parsePublicKey(a.publicKey)
    expect(raw).toHaveLength(32)
    expect(parsePublicKey(a.publicKeyPem)).toEqual(raw)
    expect(() => parsePublicKey('c2hvcnQ=')).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => parsePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('opens an envelope signed by a trusted key and names the signer', async () => {
    const envelope = await signManifest(payload, [{ keyid: 'ops', privateKey: a.privateKeyPem }])
    const opened = await new EnvelopeVerifier([{ keyid: 'ops', publicKey: a.publicKey }], 1).open(
      envelope,
      undefined,
    )
    expect(new TextDecoder().decode(opened.payload)).toBe(payload)
    expect(opened.signedBy).toEqual(['ops'])
  })

  it('refuses a wrong payloadType even when the signature is valid for it', async () => {
    const envelope = await signManifest(payload, [{ keyid: 'ops', privateKey: a.privateKeyPem }])
    const verifier = new EnvelopeVerifier([{ publicKey: a.publicKey }], 1)
    await expect(
      verifier.open({ ...envelope, payloadType: 'application/json' }, undefined),
    ).rejects.toMatchObject({
      code: 'MANIFEST_SIGNATURE',
    })
  })

  it('duplicate trusted keys count once toward the threshold', () => {
    expect(
      () => new EnvelopeVerifier([{ publicKey: a.publicKey }, { publicKey: a.publicKeyPem }], 2),
    ).not.toThrow()
  })

  it('where WebCrypto lacks Ed25519, the audited fallback verifies the same envelopes', async () => {
    const good = await signManifest(payload, [{ keyid: 'ops', privateKey: a.privateKeyPem }])
    const forged = await signManifest(payload, [{ keyid: 'ops', privateKey: b.privateKeyPem }])
    const importKey = vi
      .spyOn(crypto.subtle, 'importKey')
      .mockRejectedValue(new DOMException('no', 'NotSupportedError'))
    const verifier = new EnvelopeVerifier([{ keyid: 'ops', publicKey: a.publicKey }], 1)
    await expect(verifier.open(good, undefined)).resolves.toMatchObject({ signedBy: ['ops'] })
    await expect(verifier.open(forged, undefined)).rejects.toMatchObject({ code: 'MANIFEST_SIGNATURE' })
    expect(importKey).toHaveBeenCalledTimes(1)
  })
})
