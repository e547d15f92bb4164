/**
 * Exit codes and the one error type the CLI's commands throw. Every failure ends as one line on stderr
 * (what happened and what to do) and one of four exit codes; stack traces only with `--debug`.
 */
import { isBlueGreenError, type BlueGreenErrorCode } from '../errors'

/** The CLI's exit codes (docs/cli.md). */
export const ExitCode = {
  /** Everything worked. */
  ok: 0,
  /** The check failed: `verify`, `probe`, `manifest validate`, a manifest the client would refuse. */
  checkFailed: 1,
  /** Bad usage or input: unknown flags, missing or unreadable files and keys, refused edits. */
  usage: 2,
  /** Network: the discovery server or a Stream Manager could not be reached. */
  network: 3,
} as const

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** A failure a command reports: a one-line message (with the remedy) and the exit code to end with. */
export class CliError extends Error {
  /** The exit code the process ends with. */
  readonly exitCode: ExitCodeValue

  /**
   * @param exitCode - one of {@link ExitCode}
   * @param message - one line: what happened, where, and what to do
   * @param options - the original failure, shown with `--debug`
   */
  constructor(exitCode: ExitCodeValue, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** Shorthand for a {@link CliError} with exit code 2 (bad usage or input). */
export function usageError(message: string, cause?: unknown): CliError {
  return new CliError(ExitCode.usage, message, { cause })
}

/** Shorthand for a {@link CliError} with exit code 1 (the check failed). */
export function checkFailed(message: string, cause?: unknown): CliError {
  return new CliError(ExitCode.checkFailed, message, { cause })
}

const NETWORK_CODES: readonly BlueGreenErrorCode[] = [
  'DISCOVERY_UNAVAILABLE',
  'STREAM_MANAGER_UNAVAILABLE',
  'TIMEOUT',
]
const USAGE_CODES: readonly BlueGreenErrorCode[] = ['INVALID_ARGUMENT', 'ENVIRONMENT_UNKNOWN']

/**
 * The exit code for anything a command threw: a {@link CliError}'s own; for library errors, 3 when a
 * server could not be reached, 2 for bad arguments, 1 when a server answered but the check failed
 * (a manifest the client refuses, a stream that is not there, no capacity); 1 for anything else.
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CliError) {
    return error.exitCode
  }
  if (isBlueGreenError(error)) {
    if (NETWORK_CODES.includes(error.code)) {
      return ExitCode.network
    }
    if (USAGE_CODES.includes(error.code)) {
      return ExitCode.usage
    }
    return ExitCode.checkFailed
  }
  return ExitCode.checkFailed
}

/** The message of anything thrown, on one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/g, ' ').trim()
}
