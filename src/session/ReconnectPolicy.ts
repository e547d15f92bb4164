/**
 * How long a session waits before each recovery attempt (STYLE principle 6): a pluggable policy, with a
 * default of capped exponential backoff and full jitter.
 */
import { BlueGreenError } from '../errors'
import { fullJitterDelay } from '../internal/backoff'
import type { SessionKind } from '../types'

/** What a {@link ReconnectPolicy} is told before each attempt. */
export interface ReconnectContext {
  /** 1 for the first attempt, then 2, 3, ... */
  readonly attempt: number
  /** Milliseconds since the connection was lost (or since the move was first tried). */
  readonly elapsedMs: number
  /** The failure that makes this attempt necessary. */
  readonly error: BlueGreenError
  /** The session's kind: a broadcaster (`publish`) is one session its whole audience waits for. */
  readonly kind: SessionKind
}

/**
 * Decides the delay before each reconnect attempt. Return `null` to stop: the session becomes `failed`.
 * A policy that throws (or returns something other than a finite number >= 0 or `null`) stops too.
 * The same policy paces retries of a move that cannot be made yet (the stream is not on the new
 * environment yet); there `null` means "stay where you are until the drain deadline".
 *
 * @example
 * ```ts
 * // Five quick tries, then give up.
 * const reconnect: ReconnectPolicy = {
 *   nextDelayMs: ({ attempt }) => (attempt <= 5 ? 250 * attempt : null),
 * }
 * createClient({ discovery, reconnect })
 * ```
 */
export interface ReconnectPolicy {
  /** Milliseconds to wait before attempt `context.attempt`, or `null` to give up. */
  nextDelayMs(context: ReconnectContext): number | null
}

/** Options of the default {@link ReconnectPolicy}. */
export interface ReconnectOptions {
  /** Ceiling of the first delay; it doubles with every attempt. @default 500 */
  initialDelayMs?: number
  /** The largest delay ceiling. @default 15000 */
  maxDelayMs?: number
  /** Attempts before the session fails. @default Infinity */
  maxAttempts?: number
}

/** Defaults of {@link ReconnectOptions}. @internal */
export const RECONNECT_DEFAULTS = { initialDelayMs: 500, maxDelayMs: 15_000, maxAttempts: Infinity } as const

function checkNumber(name: string, value: unknown, allowInfinity: boolean): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (!allowInfinity && !Number.isFinite(value))
  ) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `reconnect.${name} must be a ${allowInfinity ? '' : 'finite '}number >= 0; got ${String(value)}.`,
    )
  }
  return value
}

/**
 * The default policy: attempt `n` waits a uniformly random time in `[0, min(maxDelayMs, initialDelayMs *
 * 2^(n-1)))` ("full jitter", so a thousand viewers dropped at once do not come back at once), except a
 * broadcaster's first attempt, which goes at once; and gives up after `maxAttempts`.
 *
 * @param options - the curve; see {@link ReconnectOptions}
 * @param random - a `[0, 1)` source (the client's injected `random`)
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when an option is negative or not a number
 * @example
 * ```ts
 * const policy = defaultReconnectPolicy({ initialDelayMs: 1000, maxAttempts: 10 }, Math.random)
 * ```
 */
export function defaultReconnectPolicy(
  options: ReconnectOptions = {},
  random: () => number,
): ReconnectPolicy {
  const initialDelayMs = checkNumber(
    'initialDelayMs',
    options.initialDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs,
    false,
  )
  const maxDelayMs = checkNumber('maxDelayMs', options.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs, false)
  const maxAttempts = checkNumber('maxAttempts', options.maxAttempts ?? RECONNECT_DEFAULTS.maxAttempts, true)
  if (initialDelayMs > maxDelayMs) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `reconnect.initialDelayMs (${initialDelayMs}) is larger than reconnect.maxDelayMs (${maxDelayMs}); ` +
        'lower the first or raise the second.',
    )
  }
  return {
    nextDelayMs: ({ attempt, kind }) =>
      attempt > maxAttempts
        ? null
        : // A broadcaster's first attempt goes at once (DESIGN 11: "publishers at once"): its viewers all
          // wait for it, and a page has few of them (the client's pacing spaces a page's many).
          attempt === 1 && kind === 'publish'
          ? 0
          : fullJitterDelay(attempt, initialDelayMs, maxDelayMs, random),
  }
}

/** The result of asking a policy: a delay, or why to stop. @internal */
export type PolicyAnswer = { delayMs: number } | { stop: 'null' } | { stop: 'broken'; error: BlueGreenError }

/**
 * Asks `policy` for the next delay, turning a throwing or nonsensical policy into a stop with an
 * `INVALID_ARGUMENT` error (the policy is the application's code: its failure is reported as such).
 * @internal
 */
export function askPolicy(policy: ReconnectPolicy, context: ReconnectContext): PolicyAnswer {
  let answer: unknown
  try {
    answer = policy.nextDelayMs(context)
  } catch (error) {
    return {
      stop: 'broken',
      error: new BlueGreenError(
        'INVALID_ARGUMENT',
        `The reconnect policy threw on attempt ${context.attempt} (after: ${context.error.message}); ` +
          'fix its nextDelayMs() or return null to stop on purpose.',
        { cause: error },
      ),
    }
  }
  if (answer === null) {
    return { stop: 'null' }
  }
  if (typeof answer !== 'number' || !Number.isFinite(answer) || answer < 0) {
    return {
      stop: 'broken',
      error: new BlueGreenError(
        'INVALID_ARGUMENT',
        `The reconnect policy returned ${String(answer)} on attempt ${context.attempt}; ` +
          'nextDelayMs() must return a finite number >= 0, or null to stop.',
        { cause: context.error },
      ),
    }
  }
  return { delayMs: answer }
}
