/**
 * Files the CLI reads and writes: manifests (plain or DSSE envelopes), signing keys and public keys.
 * Reads fail with exit code 2 and a message naming the file; writes are atomic (a temporary file in
 * the same directory, then a rename), so a crash never leaves a half-written manifest for a CDN to
 * pick up.
 */
import { randomUUID } from 'node:crypto'
import { chmod, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'

import { isBlueGreenError } from '../errors'
import { base64ToBytes, parsePrivateKey, parsePublicKey } from '../discovery/dsse'
import { isEnvelope, type DsseEnvelope, type TrustedKey } from '../discovery/envelope'
import { CliError, usageError, type ExitCodeValue } from './exit'

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code
  if (code === 'ENOENT') {
    return 'no such file'
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return 'permission denied'
  }
  if (code === 'EISDIR') {
    return 'it is a directory'
  }
  return typeof code === 'string' ? code : (error as Error).message
}

/**
 * The text of `path`.
 * @throws {CliError} exit 2, naming the file and why it could not be read
 */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw usageError(`cannot read ${what} ${path} (${reason(error)}); check the path and permissions.`, error)
  }
}

/** How {@link writeFileAtomic} sets the file mode. */
export interface WriteOptions {
  /** Mode of a new file (minus the umask). @default 0o644 */
  readonly mode?: number
  /** Keep the mode of an existing file instead of `mode`. @default true */
  readonly keepMode?: boolean
}

/**
 * Writes `text` to `path` atomically: a temporary file beside it, then a rename.
 * @throws {CliError} exit 2 when the file cannot be written
 */
export async function writeFileAtomic(path: string, text: string, options: WriteOptions = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID().slice(0, 8)}.tmp`)
  let existingMode: number | undefined
  if (options.keepMode ?? true) {
    try {
      existingMode = (await stat(path)).mode & 0o777
    } catch {
      // a new file
    }
  }
  try {
    // A new file gets `mode` minus the umask; a replaced one exactly the mode it had.
    await writeFile(temporary, text, { mode: options.mode ?? 0o644, flag: 'wx' })
    if (existingMode !== undefined) {
      await chmod(temporary, existingMode)
    }
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw usageError(`cannot write ${path} (${reason(error)}); check the directory and permissions.`, error)
  }
}

/** A manifest file's content: a plain manifest, or a DSSE envelope and the manifest inside it. */
export type ManifestDocument =
  | { readonly kind: 'plain'; readonly manifest: unknown; readonly text: string }
  | {
      readonly kind: 'envelope'
      readonly manifest: unknown
      readonly text: string
      readonly envelope: DsseEnvelope
      /** The signed payload bytes (the manifest JSON). */
      readonly payload: Uint8Array
    }

/**
 * Parses a manifest document: a plain manifest or a DSSE envelope (whose payload is decoded, not
 * verified).
 * @param where - the file or URL, for messages
 * @param invalidExit - the exit code for content that is not JSON (2 for edits, 1 for checks)
 * @throws {CliError} `invalidExit` when it is not JSON or an envelope's payload cannot be decoded
 */
export function parseManifestDocument(
  text: string,
  where: string,
  invalidExit: ExitCodeValue,
): ManifestDocument {
  const parsed = parseJson(text, where, '$', invalidExit)
  if (!isEnvelope(parsed)) {
    return { kind: 'plain', manifest: parsed, text }
  }
  let payload: Uint8Array
  let payloadText: string
  try {
    payload = base64ToBytes(parsed.payload)
    payloadText = new TextDecoder('utf-8', { fatal: true }).decode(payload)
  } catch (error) {
    throw new CliError(
      invalidExit,
      `${where} is a DSSE envelope whose payload is not base64 of UTF-8 text (at $.payload); re-create it with \`sign\`.`,
      { cause: error },
    )
  }
  return {
    kind: 'envelope',
    envelope: parsed,
    payload,
    text,
    manifest: parseJson(payloadText, where, '$.payload', invalidExit),
  }
}

/**
 * Reads and parses a manifest file (see {@link parseManifestDocument}).
 * @throws {CliError} exit 2 when unreadable; `invalidExit` when not JSON
 */
export async function readManifestDocument(
  path: string,
  invalidExit: ExitCodeValue,
): Promise<ManifestDocument> {
  return parseManifestDocument(await readTextFile(path, 'manifest file'), path, invalidExit)
}

function parseJson(text: string, path: string, where: string, invalidExit: ExitCodeValue): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new CliError(
      invalidExit,
      `${path} is not valid JSON (at ${where}): ${(error as Error).message}; fix the file.`,
      { cause: error },
    )
  }
}

/** A private signing key read from a file, with the key id derived from the file name. */
export interface SigningKey {
  /** The key file's text (PKCS#8 PEM or base64 seed), checked to be an Ed25519 key. */
  readonly privateKey: string
  /** `--keyid`, else the file name without its extension (`ops-2026.key` -> `ops-2026`). */
  readonly keyid: string
}

/**
 * Reads and checks a private key file.
 * @throws {CliError} exit 2 when it is unreadable or not an Ed25519 private key
 */
export async function readSigningKey(path: string, keyid: string | undefined): Promise<SigningKey> {
  const privateKey = await readTextFile(path, 'key file')
  try {
    parsePrivateKey(privateKey)
  } catch (error) {
    throw usageError(
      `${path} is not an Ed25519 private key (PKCS#8 PEM or base64 seed); use the .key file written by \`keygen\`.`,
      error,
    )
  }
  return { privateKey, keyid: keyid ?? basename(path, extname(path)) }
}

/**
 * A trusted public key from a command-line value: a file holding one (`ops-2026.pub`: the key id is
 * the file name), `ID=KEY`, or the key itself (base64 of 32 raw bytes, or SPKI PEM).
 * @throws {CliError} exit 2 when it is none of these
 */
export async function readTrustedKey(value: string): Promise<TrustedKey> {
  const fromFile = await readIfFile(value)
  if (fromFile !== undefined) {
    return checkedKey(fromFile.trim(), basename(value, extname(value)), value)
  }
  const named = /^([A-Za-z0-9][\w.@-]*)=(.+)$/.exec(value)
  if (named) {
    const [, keyid, key] = named as unknown as [string, string, string]
    const keyFile = await readIfFile(key)
    return checkedKey((keyFile ?? key).trim(), keyid, value)
  }
  return checkedKey(value.trim(), undefined, value)
}

async function readIfFile(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) {
      return undefined
    }
  } catch {
    return undefined
  }
  return readTextFile(path, 'public key file')
}

function checkedKey(publicKey: string, keyid: string | undefined, given: string): TrustedKey {
  try {
    parsePublicKey(publicKey)
  } catch (error) {
    if (!isBlueGreenError(error)) {
      throw error
    }
    const shown = given.length > 60 ? `${given.slice(0, 57)}...` : given
    throw usageError(
      /\bweak\b/.test(error.message)
        ? `"${shown}" is a weak Ed25519 public key (small order, such as 32 zero bytes, or with a torsion component): it would let anyone forge signatures. Pass the .pub file written by \`keygen\`.`
        : `"${shown}" is neither a readable public key file nor an Ed25519 public key (base64 of 32 bytes or SPKI PEM); pass the .pub file written by \`keygen\` or the key it printed.`,
      error,
    )
  }
  return keyid === undefined ? { publicKey } : { keyid, publicKey }
}

/** Reads every `--key` / `--pub` value. @throws {CliError} exit 2 for any unusable one */
export function readTrustedKeys(values: readonly string[]): Promise<TrustedKey[]> {
  return Promise.all(values.map(readTrustedKey))
}
