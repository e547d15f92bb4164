/**
 * Signed manifests: the DSSE envelope ("Dead Simple Signing Envelope", as used by in-toto and sigstore)
 * with Ed25519 signatures over PAE(payloadType, payload).
 *
 * Verification uses WebCrypto's Ed25519 (Node 20, current Chromium, Firefox, Safari 17+); where a
 * runtime lacks it, the audited `@noble/ed25519` verifies instead, held to the same rules (RFC 8032,
 * canonical encodings, no torsion in R), so two browsers never disagree about an envelope. Keys are
 * checked with noble's point arithmetic where they enter: small-order keys (32 zero bytes, the identity
 * point) verify forged signatures for any payload, and keys with a torsion component let the two
 * verification rules (cofactored and cofactorless) disagree. This module is loaded lazily by the
 * discovery loader only when an envelope arrives, so unsigned deployments never pay for it.
 */
import { Point } from '@noble/ed25519'

import { BlueGreenError } from '../errors'
import { MANIFEST_PAYLOAD_TYPE, type DsseEnvelope, type TrustedKey } from './envelope'

/** The envelope helpers, for the CLI and tests. @internal */
export { MANIFEST_PAYLOAD_TYPE, isEnvelope, type DsseEnvelope, type TrustedKey } from './envelope'

const SPKI_ED25519_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
const PKCS8_ED25519_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]

/** Decodes standard or URL-safe base64 (DSSE allows both). @internal */
export function base64ToBytes(text: string): Uint8Array {
  const normalised = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/')
  const padded = normalised + '='.repeat((4 - (normalised.length % 4)) % 4)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(padded)) {
    throw new TypeError('not base64')
  }
  const binary = atob(padded)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) {
    out[i] = binary.charCodeAt(i)
  }
  return out
}

/** Encodes bytes as standard base64. @internal */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) {
    binary += String.fromCharCode(byte)
  }
  return btoa(binary)
}

/** DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const encoder = new TextEncoder()
  const type = encoder.encode(payloadType)
  const head = encoder.encode(`DSSEv1 ${type.byteLength} ${payloadType} ${payload.byteLength} `)
  const out = new Uint8Array(head.byteLength + payload.byteLength)
  out.set(head, 0)
  out.set(payload, head.byteLength)
  return out
}

function pemBody(pem: string, label: string): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem)
  return match ? base64ToBytes(match[1]!) : undefined
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte)
}

/**
 * The raw 32-byte Ed25519 public key from base64 raw or SPKI PEM.
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when it is neither.
 */
export function parsePublicKey(publicKey: string): Uint8Array {
  try {
    const der = pemBody(publicKey, 'PUBLIC KEY')
    if (der) {
      if (der.byteLength === 44 && startsWith(der, SPKI_ED25519_PREFIX)) {
        return refuseWeak(der.slice(12))
      }
      throw new TypeError('the PEM is not an Ed25519 SPKI public key')
    }
    const raw = base64ToBytes(publicKey)
    if (raw.byteLength === 32) {
      return refuseWeak(raw)
    }
    if (raw.byteLength === 44 && startsWith(raw, SPKI_ED25519_PREFIX)) {
      return refuseWeak(raw.slice(12))
    }
    throw new TypeError(`expected 32 bytes, got ${raw.byteLength}`)
  } catch (error) {
    if (error instanceof BlueGreenError) {
      throw error
    }
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `A trusted key is not an Ed25519 public key (base64 of 32 raw bytes, or SPKI PEM): ${(error as Error).message}. Use the key printed by \`red5pro-bluegreen keygen\`.`,
      { cause: error },
    )
  }
}

/** A point of prime order L: a canonical encoding, neither small order nor with a torsion component. */
function isStrongPoint(bytes: Uint8Array): boolean {
  try {
    const point = Point.fromHex(bytes, false)
    return !point.isSmallOrder() && point.isTorsionFree()
  } catch {
    return false
  }
}

/** `raw` when it is a strong public key. @throws {BlueGreenError} `INVALID_ARGUMENT` for a weak one. */
function refuseWeak(raw: Uint8Array): Uint8Array {
  if (!isStrongPoint(raw)) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      'A trusted key is a weak Ed25519 public key (not a canonical point of prime order: small order, such as 32 zero bytes or the identity point, or with a torsion component); such a key lets anyone forge signatures. Use the key printed by `red5pro-bluegreen keygen`.',
    )
  }
  return raw
}

/** The raw 32-byte Ed25519 seed from a PKCS#8 PEM or base64 seed. @internal */
export function parsePrivateKey(privateKey: string): Uint8Array {
  const der = pemBody(privateKey, 'PRIVATE KEY')
  const bytes = der ?? base64ToBytes(privateKey.trim())
  if (bytes.byteLength === 48 && startsWith(bytes, PKCS8_ED25519_PREFIX)) {
    return bytes.slice(16)
  }
  if (bytes.byteLength === 32) {
    return bytes
  }
  throw new BlueGreenError(
    'INVALID_ARGUMENT',
    'The signing key is not an Ed25519 private key (PKCS#8 PEM or base64 of a 32-byte seed). Create one with `red5pro-bluegreen keygen`.',
  )
}

/** Verifies one Ed25519 signature. @internal */
export type Verify = (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) => Promise<boolean>

/** WebCrypto's Ed25519 (cofactorless, RFC 8032), or undefined where the runtime lacks it. @internal */
export async function webCryptoVerifier(): Promise<Verify | undefined> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) {
    return undefined
  }
  try {
    // Probe with a valid point (the SPKI of a known key is not needed: importing 32 zero bytes is accepted
    // by implementations that support Ed25519 and throws NotSupportedError elsewhere).
    await subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify'])
  } catch (error) {
    if ((error as Error).name === 'NotSupportedError' || (error as Error).name === 'TypeError') {
      return undefined
    }
  }
  return async (publicKey, signature, message) => {
    try {
      const key = await subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, [
        'verify',
      ])
      return await subtle.verify({ name: 'Ed25519' }, key, signature as BufferSource, message as BufferSource)
    } catch {
      return false
    }
  }
}

/**
 * `@noble/ed25519` held to WebCrypto's rules: RFC 8032 encodings (not noble's default ZIP-215), and R
 * without a torsion component, so a signature valid only under the cofactored equation is refused as
 * WebCrypto's cofactorless check refuses it (with keys of prime order, the two equations then agree).
 * @internal
 */
export async function nobleVerifier(): Promise<Verify> {
  const ed = await import('@noble/ed25519')
  return async (publicKey, signature, message) => {
    try {
      return (
        isStrongPoint(publicKey) &&
        Point.fromHex(signature.subarray(0, 32), false).isTorsionFree() &&
        (await ed.verifyAsync(signature, message, publicKey, { zip215: false }))
      )
    } catch {
      return false
    }
  }
}

/** Verifies envelopes against a fixed set of trusted keys; parse keys once, reuse per revalidation. @internal */
export class EnvelopeVerifier {
  readonly #keys: { keyid: string | undefined; raw: Uint8Array; id: string }[]
  readonly #threshold: number
  #verify: Promise<Verify> | undefined

  constructor(keys: readonly TrustedKey[], threshold: number) {
    const seen = new Set<string>()
    this.#keys = []
    for (const key of keys) {
      const raw = parsePublicKey(key.publicKey)
      const id = bytesToBase64(raw)
      if (!seen.has(id)) {
        seen.add(id)
        this.#keys.push({ keyid: key.keyid, raw, id })
      }
    }
    this.#threshold = threshold
  }

  /**
   * Returns the payload bytes when at least `threshold` distinct trusted keys signed the envelope.
   * @throws {BlueGreenError} `MANIFEST_SIGNATURE`
   */
  async open(
    envelope: DsseEnvelope,
    source: string | undefined,
  ): Promise<{ payload: Uint8Array; signedBy: string[] }> {
    const where = source ? ` from ${source}` : ''
    if (envelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
      throw signatureError(
        `has payloadType "${envelope.payloadType}", expected "${MANIFEST_PAYLOAD_TYPE}"`,
        where,
      )
    }
    let payload: Uint8Array
    try {
      payload = base64ToBytes(envelope.payload)
    } catch (error) {
      throw signatureError('has a payload that is not base64', where, error)
    }
    const message = pae(envelope.payloadType, payload)
    this.#verify ??= webCryptoVerifier().then((verify) => verify ?? nobleVerifier())
    const verify = await this.#verify
    // Entries that are not `{ sig: string }` (null, numbers: a tampered envelope) carry no signature.
    const candidates = (envelope.signatures as readonly unknown[]).filter(
      (entry): entry is { keyid?: unknown; sig: string } =>
        typeof entry === 'object' && entry !== null && typeof (entry as { sig?: unknown }).sig === 'string',
    )
    const signedBy: string[] = []
    for (const key of this.#keys) {
      // keyid is only a hint: try signatures naming this key first, then the rest.
      const ordered = [...candidates].sort(
        (a, b) => Number(b.keyid === key.keyid) - Number(a.keyid === key.keyid),
      )
      for (const signature of ordered) {
        let sig: Uint8Array
        try {
          sig = base64ToBytes(signature.sig)
        } catch {
          continue
        }
        if (sig.byteLength === 64 && (await verify(key.raw, sig, message))) {
          signedBy.push(key.keyid ?? key.id)
          break
        }
      }
      if (signedBy.length >= this.#threshold) {
        return { payload, signedBy }
      }
    }
    throw signatureError(
      `carries ${signedBy.length} valid signature(s) from trusted keys; ${this.#threshold} required`,
      where,
    )
  }
}

function signatureError(problem: string, where: string, cause?: unknown): BlueGreenError {
  return new BlueGreenError(
    'MANIFEST_SIGNATURE',
    `The signed discovery manifest${where} ${problem}. Refusing it: check trustedKeys and threshold, and re-sign the manifest with \`red5pro-bluegreen sign\`.`,
    cause === undefined ? {} : { cause },
  )
}

/**
 * Signs manifest bytes into a DSSE envelope with one or more Ed25519 keys (PKCS#8 PEM or base64 seed).
 * Used by the CLI, the emulator and tests; runs wherever WebCrypto has Ed25519 (Node 20+).
 */
export async function signManifest(
  payload: Uint8Array | string,
  keys: readonly { keyid: string; privateKey: string }[],
): Promise<DsseEnvelope> {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload
  const message = pae(MANIFEST_PAYLOAD_TYPE, bytes)
  const signatures = []
  for (const key of keys) {
    const seed = parsePrivateKey(key.privateKey)
    const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed])
    const cryptoKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, cryptoKey, message as BufferSource),
    )
    signatures.push({ keyid: key.keyid, sig: bytesToBase64(sig) })
  }
  return { payloadType: MANIFEST_PAYLOAD_TYPE, payload: bytesToBase64(bytes), signatures }
}

/** A new Ed25519 key pair: private key as PKCS#8 PEM, public key as base64 raw and SPKI PEM. */
export async function generateKeyPair(): Promise<{
  privateKeyPem: string
  publicKey: string
  publicKeyPem: string
}> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey))
  const pem = (label: string, der: Uint8Array): string =>
    `-----BEGIN ${label}-----\n${bytesToBase64(der)
      .replace(/(.{64})/g, '$1\n')
      .replace(/\n$/, '')}\n-----END ${label}-----\n`
  return {
    privateKeyPem: pem('PRIVATE KEY', pkcs8),
    publicKey: bytesToBase64(raw),
    publicKeyPem: pem('PUBLIC KEY', spki),
  }
}
