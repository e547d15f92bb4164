/**
 * `manifest init|validate|promote|rollback|drain|offline|serve`: a manifest file edited as an operator
 * would. Every edit reads the file (a plain manifest or a signed envelope), applies a pure edit from
 * `manifestEdit.ts`, checks the result as a client would, re-signs it when `--key` is given, and
 * replaces the file atomically. An envelope is never rewritten unsigned.
 */
import { stat } from 'node:fs/promises'

import { Option, type Command } from 'commander'

import { signManifest } from '../discovery/dsse'
import { validateManifest } from '../discovery/manifest'
import { isBlueGreenError } from '../errors'
import type { EnvironmentState, Manifest } from '../types'
import { checkFailed, ExitCode, usageError } from './exit'
import {
  readManifestDocument,
  readSigningKey,
  readTrustedKeys,
  writeFileAtomic,
  type SigningKey,
} from './files'
import {
  checkSignature,
  checkThreshold,
  describeSignature,
  environmentTable,
  headerRows,
  summarize,
} from './inspect'
import {
  checkEdited,
  describeProblem,
  DEFAULT_DRAIN_MS,
  ManifestEditError,
  promote,
  renew,
  rollback,
  setFailover,
  setState,
  starterManifest,
  type EditContext,
  type EditResult,
  type RawManifest,
} from './manifestEdit'
import { collect, durationOption, positiveIntOption, urlOption, type CliContext } from './options'

interface WriteFlags {
  file: string
  key?: string
  keyid?: string
  expires?: number
  allowInsecure?: boolean
}

interface EditFlags extends WriteFlags {
  drain?: number
}

interface InitFlags extends WriteFlags {
  production: string
  staging: string
  productionSm?: string
  stagingSm?: string
  api: 'sm1' | 'sm2'
  ttl: number
  force?: boolean
}

interface ValidateFlags {
  file: string
  pub?: string[]
  threshold?: number
  allowInsecure?: boolean
  json?: boolean
}

function writeOptions(command: Command, expiresDefault = 'moved forward by its old validity'): Command {
  return command
    .requiredOption('--file <file>', 'the manifest file (plain JSON or a signed DSSE envelope)')
    .option('--key <keyfile>', 'sign the result with this private key (the .key file from keygen)')
    .option('--keyid <id>', 'key id recorded in the signature (default: the key file name)')
    .option(
      '--expires <duration>',
      `set expiresAt to now + duration (default: ${expiresDefault})`,
      durationOption,
    )
    .option(
      '--allow-insecure',
      'accept http Stream Managers on non-loopback hosts (clients need allowInsecure too)',
    )
}

function editCommand(parent: Command, name: string, description: string, drain: boolean): Command {
  const command = writeOptions(parent.command(name).description(description))
  if (drain) {
    command.addOption(
      new Option('--drain <duration>', 'how long the draining environment keeps its sessions (90s, 30m, 2h)')
        .argParser(durationOption)
        .default(DEFAULT_DRAIN_MS, '30m'),
    )
  }
  return command
}

/** Adds the `manifest` command group to `program`. */
export function registerManifest(program: Command, ctx: CliContext): void {
  const manifest = program
    .command('manifest')
    .description('create, check and edit a discovery manifest file (promote, rollback, drain, ...)')

  writeOptions(
    manifest
      .command('init')
      .description('write a valid starter manifest: two serving environments, production and staging'),
    'no expiry',
  )
    .option('--production <name>', 'name of the production environment', 'green')
    .option('--staging <name>', 'name of the staging environment', 'blue')
    .option('--production-sm <url>', 'Stream Manager URL of the production environment', urlOption)
    .option('--staging-sm <url>', 'Stream Manager URL of the staging environment', urlOption)
    .addOption(
      new Option('--api <api>', 'Stream Manager API generation of both')
        .choices(['sm1', 'sm2'])
        .default('sm2'),
    )
    .option('--ttl <seconds>', 'seconds clients use the manifest before revalidating', positiveIntOption, 30)
    .option('--force', 'overwrite an existing file')
    .action(async (flags: InitFlags) => {
      if (!flags.force && (await exists(flags.file))) {
        throw usageError(
          `${flags.file} already exists; pass --force to overwrite it, or edit it with promote/drain/...`,
        )
      }
      const now = ctx.now()
      let starter: RawManifest
      try {
        starter = starterManifest({
          now,
          productionName: flags.production,
          stagingName: flags.staging,
          ...(flags.productionSm === undefined ? {} : { productionStreamManager: flags.productionSm }),
          ...(flags.stagingSm === undefined ? {} : { stagingStreamManager: flags.stagingSm }),
          api: flags.api,
          ttl: flags.ttl,
          ...(flags.expires === undefined ? {} : { expiresInMs: flags.expires }),
        })
      } catch (error) {
        throw asUsage(error)
      }
      const key = flags.key === undefined ? undefined : await readSigningKey(flags.key, flags.keyid)
      await write(ctx, flags, starter, key, {
        manifest: starter,
        changed: true,
        summary: [
          `production: ${flags.production}`,
          `staging: ${flags.staging}`,
          `revision: ${starter.revision}`,
        ],
      })
    })

  manifest
    .command('validate')
    .description('check a manifest file as a client would (exit 1 when a client would refuse it)')
    .requiredOption('--file <file>', 'the manifest file (plain JSON or a signed DSSE envelope)')
    .option(
      '--pub <key>',
      'check the signature with this public key (a .pub file, ID=KEY or base64); repeatable',
      collect,
    )
    .option('--threshold <n>', 'valid signatures from distinct keys required', positiveIntOption, 1)
    .option('--allow-insecure', 'accept http Stream Managers on non-loopback hosts')
    .option('--json', 'print one JSON document')
    .action((flags: ValidateFlags) => validate(ctx, flags))

  editCommand(
    manifest,
    'failover',
    'name ENV the failover backup (clients use it while production is unreachable); --clear removes it',
    false,
  )
    .argument('[ENV]', 'environment (or role) to back production up')
    .option('--clear', 'remove the failover role')
    .action((env: string | undefined, flags: EditFlags & { clear?: boolean }) => {
      if ((env === undefined) === !flags.clear) {
        throw usageError('manifest failover: give either an environment or --clear.')
      }
      return edit(ctx, flags, (raw, context) => setFailover(raw, flags.clear ? null : env!, context))
    })
  editCommand(manifest, 'promote', 'make ENV production; the old production drains and becomes staging', true)
    .argument('<env>', 'the environment (or the role holding it) to promote')
    .action((env: string, flags: EditFlags) => edit(ctx, flags, (raw, context) => promote(raw, env, context)))

  editCommand(
    manifest,
    'rollback',
    'promote back the previous production environment (recorded by promote), else staging',
    true,
  ).action((flags: EditFlags) => edit(ctx, flags, (raw, context) => rollback(raw, context)))

  editCommand(
    manifest,
    'renew',
    're-issue the manifest as it is: new revision and issuedAt, expiresAt moved forward',
    false,
  ).action((flags: EditFlags) => edit(ctx, flags, (raw, context) => renew(raw, context)))

  const states: [EnvironmentState, string, string][] = [
    ['draining', 'drain', 'mark ENV draining until now + --drain: its sessions move away over that window'],
    ['offline', 'offline', 'mark ENV offline: it takes no sessions (retire it)'],
    ['serving', 'serve', 'mark ENV serving (again)'],
  ]
  for (const [state, name, description] of states) {
    editCommand(manifest, name, description, state === 'draining')
      .argument('<env>', 'the environment (or the role holding it)')
      .action((env: string, flags: EditFlags) =>
        edit(ctx, flags, (raw, context) => setState(raw, env, state, context)),
      )
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

function asUsage(error: unknown): unknown {
  return error instanceof ManifestEditError ? usageError(error.message, error) : error
}

async function edit(
  ctx: CliContext,
  flags: EditFlags,
  change: (manifest: RawManifest, context: EditContext) => EditResult,
): Promise<void> {
  const document = await readManifestDocument(flags.file, ExitCode.usage)
  if (document.kind === 'envelope' && flags.key === undefined) {
    throw usageError(
      `${flags.file} is a signed envelope and an edited copy would be unsigned (clients would refuse it); pass --key KEYFILE to re-sign it.`,
    )
  }
  try {
    // The file as it is must be a manifest; an expired one may be edited (the edit moves expiresAt).
    validateManifest(document.manifest, { now: 0, allowInsecure: true })
  } catch (error) {
    if (!isBlueGreenError(error)) {
      throw error
    }
    throw usageError(
      `${flags.file} is not a valid manifest (${error.code}) ${describeProblem(error)}; fix the file first.`,
      error,
    )
  }
  const key = flags.key === undefined ? undefined : await readSigningKey(flags.key, flags.keyid)
  let result: EditResult
  try {
    result = change(document.manifest as RawManifest, {
      now: ctx.now(),
      drainMs: flags.drain ?? DEFAULT_DRAIN_MS,
      ...(flags.expires === undefined ? {} : { expiresInMs: flags.expires }),
    })
  } catch (error) {
    throw asUsage(error)
  }
  if (!result.changed) {
    ctx.out.print(`${flags.file}: ${result.summary.join('; ')} (file left as it is)`)
    return
  }
  await write(ctx, flags, result.manifest, key, result)
  if (document.kind === 'envelope' && document.envelope.signatures.length > 1) {
    ctx.out.warn(
      `the edited manifest carries only the signature of ${key!.keyid} (it had ${document.envelope.signatures.length}); add the others with \`sign --file ${flags.file} --key KEYFILE\` if clients need more than one.`,
    )
  }
}

async function write(
  ctx: CliContext,
  flags: WriteFlags,
  manifest: RawManifest,
  key: SigningKey | undefined,
  result: EditResult,
): Promise<void> {
  try {
    checkEdited(manifest, { now: ctx.now(), allowInsecure: flags.allowInsecure ?? false })
  } catch (error) {
    throw asUsage(error)
  }
  const json = `${JSON.stringify(manifest, null, 2)}\n`
  const text =
    key === undefined
      ? json
      : `${JSON.stringify(await signManifest(json, [{ keyid: key.keyid, privateKey: key.privateKey }]), null, 2)}\n`
  await writeFileAtomic(flags.file, text)
  const { color } = ctx.out
  const signed = key === undefined ? 'unsigned' : `signed by ${key.keyid}`
  ctx.out.print(
    `${color.green('✔')} wrote ${color.bold(flags.file)} (revision ${manifest.revision}, ${signed})`,
  )
  ctx.out.columns(
    result.summary.map((line) => {
      const [label, ...rest] = line.split(': ')
      return rest.length === 0 ? [line] : [color.dim(label!), rest.join(': ')]
    }),
    2,
  )
}

async function validate(ctx: CliContext, flags: ValidateFlags): Promise<void> {
  const { out } = ctx
  const keys = await readTrustedKeys(flags.pub ?? [])
  const threshold = flags.threshold ?? 1
  checkThreshold(keys, threshold)
  const document = await readManifestDocument(flags.file, ExitCode.checkFailed)
  const signature = await checkSignature(document, keys, threshold, flags.file)
  const now = ctx.now()
  let manifest: Manifest | undefined
  let problem: { code: string; path?: string; message: string } | undefined
  if (signature.status === 'invalid') {
    problem = { code: 'MANIFEST_SIGNATURE', message: signature.reason }
  } else {
    try {
      manifest = validateManifest(document.manifest, {
        now,
        allowInsecure: flags.allowInsecure ?? false,
        source: flags.file,
      })
    } catch (error) {
      if (!isBlueGreenError(error)) {
        throw error
      }
      problem = {
        code: error.code,
        ...(error.path === undefined ? {} : { path: error.path }),
        message: describeProblem(error),
      }
    }
  }
  if (flags.json) {
    out.json({
      file: flags.file,
      valid: problem === undefined,
      signed: document.kind === 'envelope',
      signature,
      ...(manifest === undefined ? {} : summarize(manifest)),
      ...(problem === undefined ? {} : { error: problem }),
    })
  }
  if (problem !== undefined) {
    const remedy =
      problem.code === 'MANIFEST_EXPIRED'
        ? 're-issue it: any `manifest` edit moves expiresAt forward (or pass --expires)'
        : 'fix it and run validate again'
    throw checkFailed(
      problem.code === 'MANIFEST_SIGNATURE'
        ? problem.message
        : `${flags.file} is not a valid manifest (${problem.code}) ${problem.message}; ${remedy}.`,
    )
  }
  if (!flags.json) {
    const { color } = out
    out.print(`${color.green('✔')} ${color.bold(flags.file)} is a valid manifest`)
    out.columns([...headerRows(manifest!, now, color), ['signature', describeSignature(signature, color)]], 2)
    out.print('')
    out.columns(environmentTable(manifest!, Object.keys(manifest!.environments), now, color), 2)
  }
}
