/**
 * The `red5pro-bluegreen` program: commander wiring, and the one place where failures become a
 * single line on stderr and an exit code (0 ok, 1 check failed, 2 bad usage or input, 3 network).
 */
import { Command, CommanderError } from 'commander'

import { version } from '../../package.json'
import { ExitCode, exitCodeFor, oneLine, type ExitCodeValue } from './exit'
import { registerDev } from './dev'
import { registerKeys } from './keys'
import { registerManifest } from './manifest'
import { type CliContext } from './options'
import { Output, type OutputStream } from './output'
import { registerProbe } from './probe'
import { registerResolve } from './resolve'
import { registerStatus } from './status'

/** Where the program reads its environment and writes its output. */
export interface ProgramIo {
  /** Results. */
  readonly stdout: OutputStream
  /** Errors, warnings, progress. */
  readonly stderr: OutputStream
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Builds the command tree. Commands write through `ctx`; failures are thrown, never printed here. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('red5pro-bluegreen')
    .description(
      'Operate blue-green Red5 Pro deployments: read, edit, sign and check the discovery manifest.',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--debug', 'print stack traces of failures')
    .option('--no-color', 'no colours (also: NO_COLOR=1, or output that is not a terminal)')
    .showSuggestionAfterError()
    .exitOverride()
  registerStatus(program, ctx)
  registerResolve(program, ctx)
  registerManifest(program, ctx)
  registerKeys(program, ctx)
  registerProbe(program, ctx)
  registerDev(program, ctx)
  return program
}

function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c; c = c.parent) {
    names.unshift(c.name())
  }
  return names.join(' ')
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)]
}

function debugDetail(error: unknown): string {
  const lines: string[] = []
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    lines.push(depth === 0 ? '' : 'caused by:', e instanceof Error ? (e.stack ?? e.message) : String(e))
    e = e instanceof Error ? e.cause : undefined
  }
  return lines.filter(Boolean).join('\n')
}

/**
 * Runs the program on `argv` (as `process.argv`: node, script, arguments) and resolves with the exit
 * code. Never throws.
 */
export async function run(argv: readonly string[], io: ProgramIo): Promise<ExitCodeValue> {
  const args = argv.slice(2)
  const debug = args.includes('--debug')
  const out = new Output(io.stdout, io.stderr, { env: io.env, disabled: args.includes('--no-color') })
  const ctx: CliContext = { out, env: io.env, now: () => Date.now() }
  const program = createProgram(ctx)
  // Commander's own error lines are replaced by ours (with a pointer to the right --help).
  let failing: Command = program
  for (const command of everyCommand(program)) {
    command.configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: () => {
        failing = command
      },
    })
  }
  try {
    await program.parseAsync([...argv])
    return ExitCode.ok
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
      ) {
        return ExitCode.ok
      }
      if (error.code !== 'commander.help') {
        const message = oneLine(error)
          .replace(/^error:\s*/, '')
          .replace(/\.+$/, '')
        out.error(`${message}. Run \`${commandPath(failing)} --help\` for usage.`)
      }
      return ExitCode.usage
    }
    out.error(oneLine(error), debug ? debugDetail(error) : undefined)
    return exitCodeFor(error)
  }
}
