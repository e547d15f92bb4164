/**
 * Every failure the library reports is a {@link BlueGreenError} with a stable string `code`.
 * Messages say what happened, where, and what to do; the original failure is kept in `cause`.
 */

/** The stable error codes. Switch on these, never on messages. */
export type BlueGreenErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DISCOVERY_UNAVAILABLE'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_ROLLBACK'
  | 'MANIFEST_EXPIRED'
  | 'MANIFEST_SIGNATURE'
  | 'HOST_NOT_ALLOWED'
  | 'ENVIRONMENT_UNKNOWN'
  | 'ENVIRONMENT_OFFLINE'
  | 'STREAM_NOT_FOUND'
  | 'NO_CAPACITY'
  | 'STREAM_MANAGER_UNAVAILABLE'
  | 'STREAM_MANAGER_INVALID_RESPONSE'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'DRIVER_UNAVAILABLE'
  | 'MEDIA_FAILED'
  | 'CLOSED'

/** Context carried by an error: the data a caller needs to act on it. */
export interface BlueGreenErrorContext {
  /** The URL that was requested, when the failure is about one. */
  url?: string
  /** The HTTP status that was received. */
  status?: number
  /** The environment name involved. */
  environment?: string
  /** The stream name involved. */
  streamName?: string
  /** The JSON path of the first problem in a manifest, e.g. `$.environments.blue.streamManager`. */
  path?: string
  /** The host that was refused. */
  host?: string
  /** The manifest revision involved. */
  revision?: number
  /** Milliseconds to wait before retrying, when the server said so. */
  retryAfterMs?: number
}

const NAME = 'BlueGreenError'

/**
 * The one error class of `red5pro-bluegreen`.
 *
 * @example
 * ```ts
 * try { await client.ready() } catch (e) {
 *   if (isBlueGreenError(e) && e.code === 'MANIFEST_SIGNATURE') alertOps(e.message)
 * }
 * ```
 */
export class BlueGreenError extends Error implements BlueGreenErrorContext {
  /** Always `'BlueGreenError'` (checked by {@link isBlueGreenError}, safe across realms). */
  override readonly name = NAME
  /** The stable code. */
  readonly code: BlueGreenErrorCode
  /** @inheritdoc */
  declare readonly url?: string
  /** @inheritdoc */
  declare readonly status?: number
  /** @inheritdoc */
  declare readonly environment?: string
  /** @inheritdoc */
  declare readonly streamName?: string
  /** @inheritdoc */
  declare readonly path?: string
  /** @inheritdoc */
  declare readonly host?: string
  /** @inheritdoc */
  declare readonly revision?: number
  /** @inheritdoc */
  declare readonly retryAfterMs?: number

  /**
   * @param code - the stable code
   * @param message - what happened, where, and what to do
   * @param options - the original failure (`cause`) and context fields
   */
  constructor(
    code: BlueGreenErrorCode,
    message: string,
    options: BlueGreenErrorContext & { cause?: unknown } = {},
  ) {
    const { cause, ...context } = options
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    for (const [key, value] of Object.entries(context)) {
      if (value !== undefined) {
        Object.defineProperty(this, key, { value, enumerable: true })
      }
    }
  }
}

/**
 * True when `value` is a {@link BlueGreenError} (optionally with one of `codes`), even one created in
 * another realm or another copy of the library.
 */
export function isBlueGreenError(value: unknown, ...codes: BlueGreenErrorCode[]): value is BlueGreenError {
  if (typeof value !== 'object' || value === null) {
    return false
  }
  const candidate = value as { name?: unknown; code?: unknown }
  if (candidate.name !== NAME || typeof candidate.code !== 'string') {
    return false
  }
  return codes.length === 0 || codes.includes(candidate.code as BlueGreenErrorCode)
}

/**
 * Wraps anything thrown into a BlueGreenError with `code` unless it already is one.
 * @internal
 */
export function toBlueGreenError(
  error: unknown,
  code: BlueGreenErrorCode,
  message: string,
  context: BlueGreenErrorContext = {},
): BlueGreenError {
  if (isBlueGreenError(error)) {
    return error
  }
  return new BlueGreenError(code, message, { ...context, cause: error })
}

/** The error an aborted operation rejects with. @internal */
export function abortedError(what: string, reason?: unknown): BlueGreenError {
  if (isBlueGreenError(reason)) {
    return reason
  }
  return new BlueGreenError('ABORTED', `${what} was aborted by its AbortSignal.`, { cause: reason })
}

/** The error an operation on a closed client or session rejects with. @internal */
export function closedError(what: string): BlueGreenError {
  return new BlueGreenError('CLOSED', `${what} is closed; create a new one to continue.`)
}
