/**
 * `resolve STREAM`: the Assignment a client would get right now, through the library itself
 * (`createClient` + `resolve`), so what it prints is exactly what an app would do.
 */
import { Option, type Command } from 'commander'

import { createClient } from '../client'
import type { TrustedKey } from '../discovery/envelope'
import type { Assignment, EnvironmentInfo, SessionKind } from '../types'
import { readTrustedKeys } from './files'
import { checkThreshold } from './inspect'
import { collect, collectUrl, durationOption, positiveIntOption, type CliContext } from './options'

/** Options shared by the commands that act as a client (`resolve`, `probe`). */
export interface ClientFlags {
  /** `--discovery`: the manifest URL and its mirrors, in order. */
  discovery: string[]
  /** `--key`: trusted public keys as given on the command line. */
  key?: string[]
  /** `--threshold`: valid signatures required. */
  threshold: number
  /** `--env`: a role or an environment name. */
  env?: string
  /** `--allow-insecure`: accept http Stream Managers on public hosts. */
  allowInsecure?: boolean
  /** `--timeout`: bound on each request, milliseconds. */
  timeout: number
  /** `--json`: print one JSON document. */
  json?: boolean
}

interface ResolveFlags extends ClientFlags {
  publish?: boolean
  subscribe?: boolean
}

/** Adds the options of a command that acts as a client: discovery, keys, environment, timeout. */
export function clientOptions(command: Command, defaultEnv: string): Command {
  return command
    .requiredOption('--discovery <url>', 'the manifest URL; repeat for mirrors (tried in order)', collectUrl)
    .option('--key <pubkey>', 'a trusted public key (a .pub file, ID=KEY or base64); repeatable', collect)
    .option('--threshold <n>', 'valid signatures from distinct keys required', positiveIntOption, 1)
    .option('--env <name>', `a role or an environment name (default: ${defaultEnv})`)
    .option('--allow-insecure', 'accept http Stream Managers on non-loopback hosts')
    .addOption(
      new Option('--timeout <duration>', 'bound on each request')
        .argParser(durationOption)
        .default(10_000, '10s'),
    )
    .option('--json', 'print one JSON document')
}

/** The `createClient` options for a command's client flags. */
export async function clientConfig(
  flags: ClientFlags,
  defaultEnv: string,
): Promise<{
  discovery: string[]
  environment: string
  trustedKeys?: TrustedKey[]
  threshold: number
  allowInsecure: boolean
  timeoutMs: number
}> {
  const keys = await readTrustedKeys(flags.key ?? [])
  checkThreshold(keys, flags.threshold)
  return {
    discovery: flags.discovery,
    environment: flags.env ?? defaultEnv,
    ...(keys.length === 0 ? {} : { trustedKeys: keys }),
    threshold: flags.threshold,
    allowInsecure: flags.allowInsecure ?? false,
    timeoutMs: flags.timeout,
  }
}

/** Adds `resolve` to `program`. */
export function registerResolve(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('resolve')
      .description('show the Assignment (node, WHIP/WHEP endpoint) a client would get for STREAM')
      .argument('<stream>', 'the stream name'),
    'production',
  )
    .addOption(new Option('--publish', 'as a publisher (an origin, WHIP)').conflicts('subscribe'))
    .addOption(new Option('--subscribe', 'as a subscriber (an edge, WHEP; the default)').conflicts('publish'))
    .action((stream: string, flags: ResolveFlags) => resolve(ctx, stream, flags))
}

async function resolve(ctx: CliContext, stream: string, flags: ResolveFlags): Promise<void> {
  const kind: SessionKind = flags.publish ? 'publish' : 'subscribe'
  const client = createClient(await clientConfig(flags, 'production'))
  let environment: EnvironmentInfo
  let assignment: Assignment
  try {
    ;[environment, assignment] = await ctx.out.withSpinner(`resolving ${stream} (${kind})`, async () => {
      const info = await client.ready()
      return [info, await client.resolve(stream, kind)] as const
    })
  } finally {
    await client.close()
  }
  if (flags.json) {
    ctx.out.json(assignment)
    return
  }
  const { color } = ctx.out
  ctx.out.columns([
    [
      'environment',
      `${color.bold(assignment.environment)} ${color.dim(`(${environment.role ?? 'pinned'}, ${environment.state}, revision ${environment.revision})`)}`,
    ],
    ['kind', `${assignment.kind} ${color.dim(assignment.kind === 'publish' ? '(WHIP)' : '(WHEP)')}`],
    ['stream', `${assignment.app}/${assignment.streamName}`],
    ['node', `${assignment.serverAddress} ${color.dim(`(${assignment.nodeRole})`)}`],
    ['endpoint', color.cyan(assignment.endpoint)],
    ['transport', `${assignment.transport} ${color.dim(`via ${assignment.api}`)}`],
  ])
}
