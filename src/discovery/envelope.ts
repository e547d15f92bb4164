/**
 * The shape of a signed manifest (DSSE envelope). Kept apart from the verifier so the core bundle can
 * recognise an envelope without loading any cryptography.
 */

/** The DSSE payload type of a red5pro-bluegreen manifest. */
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.red5pro-bluegreen.manifest+json'

/** A trusted Ed25519 public key: base64 raw 32 bytes, or SPKI PEM. */
export interface TrustedKey {
  /** A hint matched against signatures' `keyid`; signatures still count once per distinct key. */
  readonly keyid?: string
  /** Base64 of the raw 32-byte key, or a `-----BEGIN PUBLIC KEY-----` SPKI PEM. */
  readonly publicKey: string
}

/** A DSSE envelope. */
export interface DsseEnvelope {
  /** Always {@link MANIFEST_PAYLOAD_TYPE} for manifests. */
  readonly payloadType: string
  /** Base64 of the payload bytes. */
  readonly payload: string
  /** One or more signatures. */
  readonly signatures: readonly { readonly keyid?: string; readonly sig: string }[]
}

/** True when `value` has the shape of a DSSE envelope. @internal */
export function isEnvelope(value: unknown): value is DsseEnvelope {
  if (typeof value !== 'object' || value === null) {
    return false
  }
  const e = value as Record<string, unknown>
  return typeof e.payloadType === 'string' && typeof e.payload === 'string' && Array.isArray(e.signatures)
}
