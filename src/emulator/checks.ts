/**
 * The emulator's argument checks: each gives a typed `BlueGreenError` saying what to pass instead.
 * @internal
 */
import { BlueGreenError } from '../errors'
import type { EnvironmentName, KillMode } from './types'

/** The longest drain window, in seconds (a day). @internal */
export const MAX_DRAIN_SECONDS = 86_400

/** Both environments, production at start first. @internal */
export const NAMES: readonly EnvironmentName[] = ['green', 'blue']

/** An ISO time without milliseconds, as manifests carry them. @internal */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN` unless `name` is `blue` or `green` @internal */
export function checkEnvironment(name: unknown): EnvironmentName {
  if (name !== 'blue' && name !== 'green') {
    throw new BlueGreenError(
      'ENVIRONMENT_UNKNOWN',
      `The emulator has no environment ${JSON.stringify(name)}; use "blue" or "green".`,
      typeof name === 'string' ? { environment: name } : {},
    )
  }
  return name
}

/** @throws {BlueGreenError} `INVALID_ARGUMENT` unless `value` is a number from `min` to `max` @internal */
export function checkSeconds(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `${what} must be a number from ${min} to ${max}, got ${String(value)}.`,
    )
  }
  return value
}

/** @throws {BlueGreenError} `INVALID_ARGUMENT` unless `value` is a port number (0 = any) @internal */
export function checkPort(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `${what} must be a port number (0 = any free port), got ${String(value)}.`,
    )
  }
  return value
}

/** @throws {BlueGreenError} `INVALID_ARGUMENT` unless `mode` is `reset`, `silent` or absent @internal */
export function checkKillMode(mode: unknown): KillMode {
  if (mode === undefined) {
    return 'reset'
  }
  if (mode !== 'reset' && mode !== 'silent') {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `kill(): mode must be "reset" (connections reset, port closed) or "silent" (nothing answers, connections stay open), got ${typeof mode === 'string' ? JSON.stringify(mode) : String(mode)}.`,
    )
  }
  return mode
}
