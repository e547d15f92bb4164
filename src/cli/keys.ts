/**
 * `keygen`, `sign` and `verify`: Ed25519 keys and DSSE envelopes for signed manifests.
 */
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'

import type { Command } from 'commander'

import { generateKeyPair, signManifest } from '../discovery/dsse'
import { MANIFEST_PAYLOAD_TYPE } from '../discovery/envelope'
import { validateManifest } from '../discovery/manifest'
import { isBlueGreenError } from '../errors'
import { checkFailed, ExitCode, usageError } from './exit'
import { readManifestDocument, readSigningKey, readTrustedKeys, writeFileAtomic } from './files'
import { checkSignature, checkThreshold } from './inspect'
import { collect, positiveIntOption, type CliContext } from './options'

interface KeygenFlags {
  out?: string
  force?: boolean
  json?: boolean
}

interface SignFlags {
  file: string
  key: string
  keyid?: string
  out?: string
  allowInsecure?: boolean
}

interface VerifyFlags {
  file: string
  pub: string[]
  threshold: number
  json?: boolean
}

/** Adds `keygen`, `sign` and `verify` to `program`. */
export function registerKeys(program: Command, ctx: CliContext): void {
  program
    .command('keygen')
    .description('create an Ed25519 signing key pair: PREFIX.key (private, 0600) and PREFIX.pub')
    .option(
      '--out <prefix>',
      'path prefix of the two files; its last part is the key id (default: ops-<year>)',
    )
    .option('--force', 'overwrite existing files')
    .option('--json', 'print one JSON document')
    .action((flags: KeygenFlags) => keygen(ctx, flags))

  program
    .command('sign')
    .description('wrap a manifest in a DSSE envelope, or add a signature to an envelope')
    .requiredOption('--file <file>', 'the manifest file (plain JSON or a signed DSSE envelope)')
    .requiredOption('--key <keyfile>', 'the private key (the .key file from keygen)')
    .option('--keyid <id>', 'key id recorded in the signature (default: the key file name)')
    .option('--out <file>', 'where to write the envelope (default: replace --file)')
    .option('--allow-insecure', 'accept http Stream Managers on non-loopback hosts')
    .action((flags: SignFlags) => sign(ctx, flags))

  program
    .command('verify')
    .description('check who signed a manifest envelope (exit 1 when the signature check fails)')
    .requiredOption('--file <file>', 'the signed manifest (a DSSE envelope)')
    .requiredOption(
      '--pub <key>',
      'a trusted public key (a .pub file, ID=KEY or base64); repeatable',
      collect,
    )
    .option('--threshold <n>', 'valid signatures from distinct keys required', positiveIntOption, 1)
    .option('--json', 'print one JSON document')
    .action((flags: VerifyFlags) => verify(ctx, flags))
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function keygen(ctx: CliContext, flags: KeygenFlags): Promise<void> {
  const prefix = flags.out ?? `ops-${new Date(ctx.now()).getUTCFullYear()}`
  const keyid = basename(prefix)
  const keyFile = `${prefix}.key`
  const pubFile = `${prefix}.pub`
  if (!flags.force) {
    for (const file of [keyFile, pubFile]) {
      if (await exists(file)) {
        throw usageError(
          `${file} already exists; pass --force to overwrite it, or choose another --out prefix.`,
        )
      }
    }
  }
  const pair = await generateKeyPair()
  // A new file created 0600 then renamed over the old name: never written through a symlink, and never
  // readable by others, not even for a moment over an existing 0644 file.
  await writeFileAtomic(keyFile, pair.privateKeyPem, { mode: 0o600, keepMode: false })
  await writeFileAtomic(pubFile, pair.publicKeyPem, { keepMode: false })
  if (flags.json) {
    ctx.out.json({ keyid, publicKey: pair.publicKey, privateKeyFile: keyFile, publicKeyFile: pubFile })
    return
  }
  const { color } = ctx.out
  ctx.out.print(
    `${color.green('✔')} wrote ${color.bold(keyFile)} (private key, mode 0600: keep it secret) and ${color.bold(pubFile)}`,
  )
  ctx.out.columns([
    ['key id', keyid],
    ['public key', pair.publicKey],
  ])
  ctx.out.print(
    '',
    color.dim('Give clients the public key:'),
    `  trustedKeys: [{ keyid: '${keyid}', publicKey: '${pair.publicKey}' }]`,
    color.dim('Sign manifests with the private key:'),
    `  red5pro-bluegreen sign --file discovery.json --key ${keyFile} --keyid ${keyid}`,
  )
}

async function sign(ctx: CliContext, flags: SignFlags): Promise<void> {
  const document = await readManifestDocument(flags.file, ExitCode.usage)
  const key = await readSigningKey(flags.key, flags.keyid)
  if (document.kind === 'envelope' && document.envelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
    throw usageError(
      `${flags.file} is a DSSE envelope of type "${document.envelope.payloadType}", not a manifest (${MANIFEST_PAYLOAD_TYPE}); refusing to sign it.`,
    )
  }
  try {
    validateManifest(document.manifest, { now: ctx.now(), allowInsecure: flags.allowInsecure ?? false })
  } catch (error) {
    if (!isBlueGreenError(error)) {
      throw error
    }
    const where = error.path === undefined ? '' : ` at ${error.path}`
    throw usageError(
      `refusing to sign ${flags.file}: clients would refuse it (${error.code}${where}): ${error.message}`,
      error,
    )
  }
  // A plain file is signed byte for byte as written; an envelope gets one more signature over its payload.
  const payload = document.kind === 'envelope' ? document.payload : new TextEncoder().encode(document.text)
  const fresh = await signManifest(payload, [{ keyid: key.keyid, privateKey: key.privateKey }])
  const kept =
    document.kind === 'envelope' ? document.envelope.signatures.filter((s) => s.keyid !== key.keyid) : []
  const replaced = document.kind === 'envelope' && kept.length < document.envelope.signatures.length
  const envelope = { ...fresh, signatures: [...kept, ...fresh.signatures] }
  const target = flags.out ?? flags.file
  await writeFileAtomic(target, `${JSON.stringify(envelope, null, 2)}\n`)
  const { color } = ctx.out
  const what =
    document.kind === 'plain'
      ? 'signed'
      : replaced
        ? `replaced the signature of ${key.keyid} in`
        : `added a signature to`
  ctx.out.print(
    `${color.green('✔')} ${what} ${color.bold(flags.file)} with ${color.bold(key.keyid)}${target === flags.file ? '' : ` -> ${color.bold(target)}`} (${envelope.signatures.length} signature${envelope.signatures.length === 1 ? '' : 's'})`,
  )
}

async function verify(ctx: CliContext, flags: VerifyFlags): Promise<void> {
  const keys = await readTrustedKeys(flags.pub)
  checkThreshold(keys, flags.threshold)
  const document = await readManifestDocument(flags.file, ExitCode.checkFailed)
  if (document.kind === 'plain') {
    if (flags.json) {
      ctx.out.json({
        file: flags.file,
        valid: false,
        signed: false,
        signedBy: [],
        threshold: flags.threshold,
      })
    }
    throw checkFailed(
      `${flags.file} is not signed (a plain manifest, not a DSSE envelope); sign it with \`sign\`.`,
    )
  }
  const signature = await checkSignature(document, keys, flags.threshold, flags.file)
  const revision = (document.manifest as { revision?: unknown } | null)?.revision
  const signedBy = signature.status === 'valid' ? signature.signedBy : []
  if (flags.json) {
    ctx.out.json({
      file: flags.file,
      valid: signature.status === 'valid',
      signed: true,
      signedBy,
      threshold: flags.threshold,
      signatures: document.envelope.signatures.length,
      ...(typeof revision === 'number' ? { revision } : {}),
      ...(signature.status === 'invalid' ? { error: signature.reason } : {}),
    })
  }
  if (signature.status !== 'valid') {
    throw checkFailed(
      signature.status === 'invalid' ? signature.reason : `${flags.file} could not be checked.`,
    )
  }
  if (!flags.json) {
    const { color } = ctx.out
    ctx.out.print(
      `${color.green('✔')} ${color.bold(flags.file)} is signed by ${color.bold(signedBy.join(', '))} (${flags.threshold} required${typeof revision === 'number' ? `, revision ${revision}` : ''})`,
    )
  }
}
