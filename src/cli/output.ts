/**
 * Everything the CLI writes: human output on stdout (coloured only for a terminal, never with
 * NO_COLOR), one JSON document for `--json`, errors on stderr, and a spinner on stderr when it is a
 * terminal. Commands never touch `process.stdout` directly, so the rules live in one place.
 */
import pc from 'picocolors'

import { oneLine } from './exit'

/** The picocolors formatters the CLI uses (all identity functions when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>

/** A writable terminal-ish stream: what `process.stdout` / `process.stderr` offer. */
export interface OutputStream {
  write(chunk: string): boolean
  readonly isTTY?: boolean
}

/** How to decide on colour: the environment and whether colour was switched off by a flag. */
export interface ColorSettings {
  /** Environment variables (`NO_COLOR`, `FORCE_COLOR`, `TERM`). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** `--no-color` was given. */
  readonly disabled?: boolean
}

/**
 * True when `stream` should get colour: never with `NO_COLOR` (any non-empty value), `--no-color` or
 * `TERM=dumb`; always with `FORCE_COLOR` (other than `0`); otherwise only for a terminal.
 */
export function wantsColor(stream: OutputStream, settings: ColorSettings): boolean {
  const { env } = settings
  if (settings.disabled || (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb') {
    return false
  }
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') {
    return true
  }
  return stream.isTTY === true
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')

/** The width of `text` on screen (colour codes take no room). */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length
}

/**
 * Rows as aligned columns: every column as wide as its widest cell, two spaces between columns, the
 * last column unpadded.
 */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))
    })
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd(),
  )
}

/** A running progress indicator; `stop()` erases it. */
export interface Spinner {
  /** Replaces the text next to the spinner. */
  update(text: string): void
  /** Erases the spinner line. Idempotent. */
  stop(): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** The CLI's output: stdout for results, stderr for errors, warnings and progress. */
export class Output {
  /** Colours for stdout. */
  readonly color: Colors
  /** Colours for stderr. */
  readonly errColor: Colors
  readonly #stdout: OutputStream
  readonly #stderr: OutputStream

  /**
   * @param stdout - where results go
   * @param stderr - where errors, warnings and the spinner go
   * @param settings - how to decide on colour
   */
  constructor(stdout: OutputStream, stderr: OutputStream, settings: ColorSettings) {
    this.#stdout = stdout
    this.#stderr = stderr
    this.color = pc.createColors(wantsColor(stdout, settings))
    this.errColor = pc.createColors(wantsColor(stderr, settings))
  }

  /** Writes lines to stdout. */
  print(...lines: string[]): void {
    for (const line of lines) {
      this.#stdout.write(`${line}\n`)
    }
  }

  /** Writes rows as aligned columns to stdout, each line indented by `indent` spaces. */
  columns(rows: readonly (readonly string[])[], indent = 0): void {
    this.print(...alignColumns(rows).map((line) => ' '.repeat(indent) + line))
  }

  /** Writes one JSON document to stdout (`--json`). */
  json(document: unknown): void {
    this.#stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  }

  /** Writes a progress or log line to stderr (stdout stays for results). */
  log(message: string): void {
    this.#stderr.write(`${this.errColor.dim(oneLine(message))}\n`)
  }

  /** Writes a one-line warning to stderr. */
  warn(message: string): void {
    this.#stderr.write(`${this.errColor.yellow('warning:')} ${oneLine(message)}\n`)
  }

  /** Writes a one-line error to stderr, and with `detail` (the `--debug` stack) the lines after it. */
  error(message: string, detail?: string): void {
    this.#stderr.write(`${this.errColor.red('error:')} ${oneLine(message)}\n`)
    if (detail !== undefined) {
      this.#stderr.write(`${this.errColor.dim(detail)}\n`)
    }
  }

  /**
   * Starts a progress indicator on stderr for work that may take over a second. Only on a terminal:
   * elsewhere (pipes, CI logs, tests) it writes nothing.
   */
  spinner(text: string): Spinner {
    if (this.#stderr.isTTY !== true) {
      return { update: () => undefined, stop: () => undefined }
    }
    let frame = 0
    let label = text
    const draw = (): void => {
      this.#stderr.write(`\r\u001b[2K${this.errColor.cyan(FRAMES[frame % FRAMES.length]!)} ${label}`)
      frame++
    }
    draw()
    const timer = setInterval(draw, 80)
    timer.unref()
    let stopped = false
    return {
      update: (next) => {
        label = next
      },
      stop: () => {
        if (!stopped) {
          stopped = true
          clearInterval(timer)
          this.#stderr.write('\r\u001b[2K')
        }
      },
    }
  }

  /** Runs `work` with a spinner showing `text`, erasing it whatever happens. */
  async withSpinner<T>(text: string, work: () => Promise<T>): Promise<T> {
    const spinner = this.spinner(text)
    try {
      return await work()
    } finally {
      spinner.stop()
    }
  }
}

/** "in 29m", "3m ago", "now": how far `iso` is from `now`, for people. */
export function relativeTime(iso: string, now: number): string {
  const delta = Date.parse(iso) - now
  if (Number.isNaN(delta)) {
    return iso
  }
  const span = formatDuration(Math.abs(delta))
  if (span === '0s') {
    return 'now'
  }
  return delta > 0 ? `in ${span}` : `${span} ago`
}

/** 90 000 ms -> "1m30s", 7 200 000 -> "2h", 0 -> "0s". */
export function formatDuration(ms: number): string {
  let seconds = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`)
      seconds %= size
    }
  }
  if (seconds > 0 || parts.length === 0) {
    parts.push(`${seconds}s`)
  }
  return parts.slice(0, 2).join('')
}
