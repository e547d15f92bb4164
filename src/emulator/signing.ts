/**
 * The manifest's signing key: a fresh Ed25519 key, or the one given (PKCS#8 PEM or a base64 seed, as
 * `red5pro-bluegreen keygen` writes it), with its public halves for clients.
 * @internal
 */
import { createPrivateKey, createPublicKey } from 'node:crypto'

import { bytesToBase64, generateKeyPair, parsePrivateKey } from '../discovery/dsse'
import { BlueGreenError } from '../errors'
import type { EmulatorSigningKey } from './types'

/** A signing key and its public halves. @internal */
export interface SigningMaterial {
  readonly keyid: string
  readonly privateKey: string
  /** Base64 raw Ed25519. */
  readonly publicKey: string
  readonly publicKeyPem: string
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The key `signed` asks for. @throws {BlueGreenError} `INVALID_ARGUMENT` for a key that is not Ed25519 @internal */
export async function signingKey(option: true | EmulatorSigningKey): Promise<SigningMaterial> {
  const keyid = (option === true ? undefined : option.keyid) ?? 'emulator'
  const given = option === true ? undefined : option.privateKey
  if (given === undefined) {
    const pair = await generateKeyPair()
    return {
      keyid,
      privateKey: pair.privateKeyPem,
      publicKey: pair.publicKey,
      publicKeyPem: pair.publicKeyPem,
    }
  }
  let seed: Uint8Array
  try {
    seed = parsePrivateKey(given)
  } catch (error) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `startEmulator(): signed.privateKey is not an Ed25519 key.`,
      {
        cause: error,
      },
    )
  }
  const key = createPublicKey(
    createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  )
  const spki = key.export({ format: 'der', type: 'spki' })
  return {
    keyid,
    privateKey: given,
    publicKey: bytesToBase64(new Uint8Array(spki.subarray(spki.length - 32))),
    publicKeyPem: String(key.export({ format: 'pem', type: 'spki' })),
  }
}
