/**
 * Which failures are worth retrying (STYLE principle 6: the error decides whether to climb the ladder or
 * give up).
 * @internal
 */
import { type BlueGreenError, isBlueGreenError, toBlueGreenError } from '../errors'

/** HTTP statuses of a node refusing our credentials or the stream: retrying cannot change its mind. */
const REFUSED_STATUSES: readonly number[] = [401, 403, 406]

/**
 * True when retrying `error` cannot succeed: a bad argument, the node refusing the credentials (401, 403,
 * 406), no driver able to reach the node, a closed client, or, for a client pinned to an environment by
 * name, that environment offline or gone.
 * @internal
 */
export function isFatal(error: BlueGreenError, pinned: boolean): boolean {
  switch (error.code) {
    case 'INVALID_ARGUMENT':
    case 'CLOSED':
    case 'DRIVER_UNAVAILABLE':
      return true
    case 'MEDIA_FAILED':
      return error.status !== undefined && REFUSED_STATUSES.includes(error.status)
    case 'ENVIRONMENT_OFFLINE':
    case 'ENVIRONMENT_UNKNOWN':
      return pinned
    default:
      return false
  }
}

/** `error` if it is a BlueGreenError, else one with `code` wrapping it. @internal */
export function asBlueGreenError(
  error: unknown,
  code: BlueGreenError['code'],
  message: string,
  context: { environment?: string; streamName?: string; url?: string } = {},
): BlueGreenError {
  if (isBlueGreenError(error)) {
    return error
  }
  const detail = error instanceof Error ? error.message : String(error)
  return toBlueGreenError(error, code, detail ? `${message} (${detail})` : message, context)
}
