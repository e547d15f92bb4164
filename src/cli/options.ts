/**
 * Option value parsers shared by the commands (commander turns their `InvalidArgumentError` into
 * exit code 2 with the option named), and the context every command runs with.
 */
import { InvalidArgumentError } from 'commander'

import { parseDuration } from './manifestEdit'
import type { Output } from './output'

/** What every command gets: where to write, the environment, and the clock. */
export interface CliContext {
  /** Output (stdout/stderr, colours, spinner). */
  readonly out: Output
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The current time, milliseconds since the epoch. */
  now(): number
}

/** Collects a repeatable option (`--key A --key B`) into an array. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value]
}

/** Parses a duration option (`90s`, `30m`, `2h`, `1d`; a bare number is seconds) into milliseconds. */
export function durationOption(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) {
    throw new InvalidArgumentError('use a duration such as 90s, 30m or 2h.')
  }
  return ms
}

/** Parses a positive integer option (`--threshold 2`). */
export function positiveIntOption(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('use a whole number of at least 1.')
  }
  return n
}

/** Parses an absolute http(s) URL option. */
export function urlOption(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('use an absolute URL such as https://cdn.example.com/discovery.json.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('use an http or https URL.')
  }
  return value
}

/** Like {@link collect}, for repeatable URL options (`--discovery A --discovery B`: mirrors). */
export function collectUrl(value: string, previous: readonly string[] = []): string[] {
  return [...previous, urlOption(value)]
}
