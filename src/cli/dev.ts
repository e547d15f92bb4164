/**
 * `dev`: the emulated blue/green cluster and its demo page on 127.0.0.1 (what `npm run demo` runs),
 * until Ctrl-C.
 */
import type { Command } from 'commander'

import { positiveIntOption, type CliContext } from './options'
import { usageError } from './exit'

interface DevFlags {
  port: number
  signed?: boolean
  latency: number
  failover?: string
}

/** A whole number of at least 0 (a port, a delay in ms). */
function nonNegativeIntOption(value: string): number {
  return value.trim() === '0' ? 0 : positiveIntOption(value)
}

/** Adds `dev` to `program`. */
export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('run the emulated blue/green cluster and the demo page on 127.0.0.1 until Ctrl-C')
    .option(
      '--port <n>',
      'the public port (discovery, operator API, demo); 0 = any free port',
      nonNegativeIntOption,
      0,
    )
    .option('--signed', 'serve the manifest as a signed DSSE envelope (prints the public key)')
    .option(
      '--latency <ms>',
      'add a round-trip delay to every Stream Manager and discovery request (0..10000 ms)',
      nonNegativeIntOption,
      0,
    )
    .option(
      '--failover <environment>',
      'start with the failover role on this environment (blue: production green is its backup), as `startEmulator({ failover })`',
    )
    .action((flags: DevFlags) => dev(ctx, flags))
}

async function dev(ctx: CliContext, flags: DevFlags): Promise<void> {
  if (flags.port > 65_535) {
    throw usageError(`--port ${flags.port} is not a TCP port; use 0..65535.`)
  }
  if (flags.latency > 10_000) {
    throw usageError(`--latency ${flags.latency} is more than 10000 ms; use 0..10000.`)
  }
  if (flags.failover !== undefined && flags.failover !== 'blue') {
    throw usageError(
      `--failover ${flags.failover}: the backup must be the environment that is not production at start, i.e. --failover blue.`,
    )
  }
  const { out } = ctx
  const { color } = out
  const { startEmulator } = await import('../emulator')
  const emu = await out.withSpinner('starting the emulated cluster', () =>
    startEmulator({
      port: flags.port,
      ...(flags.signed ? { signed: true } : {}),
      latencyMs: flags.latency,
      ...(flags.failover === undefined ? {} : { failover: 'blue' as const }),
      logger: {
        info: (line) => out.log(line),
        warn: (line) => out.warn(line),
        error: (line) => out.warn(line),
      },
    }),
  )
  out.print(`${color.green('✔')} emulated blue/green cluster on 127.0.0.1 ${color.dim('(Ctrl-C to stop)')}`)
  out.columns(
    [
      ['demo', color.cyan(emu.demoUrl)],
      ['discovery', color.cyan(emu.discoveryUrl)],
      ['operator API', `${emu.url}/api/state`],
      ...Object.values(emu.environments)
        .sort((a, b) => Number(b.roles.includes('production')) - Number(a.roles.includes('production')))
        .map((env) => [
          env.name,
          `${env.roles.join(',') || '-'}  ${env.state}  ${env.api}  ${env.streamManager}`,
        ]),
      ...(emu.publicKey === undefined ? [] : [['public key', `${emu.keyid ?? ''} ${emu.publicKey}`]]),
    ],
    2,
  )
  const key = emu.publicKey === undefined ? '' : ` --key ${emu.keyid ?? 'emulator'}=${emu.publicKey}`
  out.print(
    '',
    color.dim('Try:'),
    `  red5pro-bluegreen status --discovery ${emu.discoveryUrl}${key}`,
    `  curl -X POST -H 'content-type: application/json' -d '{"environment":"blue"}' ${emu.url}/api/promote`,
    `  curl -X POST -H 'content-type: application/json' -d '{"environment":"green","mode":"silent"}' ${emu.url}/api/kill`,
    color.dim(
      '  (operator API: /api/promote, /api/rollback, /api/state, /api/role, /api/kill with mode "reset" or "silent", /api/revive, /api/discovery)',
    ),
  )
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await out.withSpinner('stopping', () => emu.close())
  out.print(`${color.green('✔')} stopped`)
}
