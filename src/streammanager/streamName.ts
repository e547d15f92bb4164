/**
 * Stream names: the one check every entry point (assignment, sessions) runs before anything touches
 * the network, and the percent-encoding used wherever a name becomes part of a URL path.
 */
import { BlueGreenError } from '../errors'

/** Longest stream name accepted, in characters (Unicode code points). */
export const MAX_STREAM_NAME_LENGTH = 255

const CONTROL = /\p{Cc}/u
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A short, printable rendering of a rejected value for messages (control characters escaped). */
function show(value: string): string {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
  return shown
}

function invalid(name: string, problem: string): BlueGreenError {
  return new BlueGreenError(
    'INVALID_ARGUMENT',
    `Invalid stream name ${show(name)}: ${problem}. A stream name has 1 to ${MAX_STREAM_NAME_LENGTH} characters, ` +
      'no control characters, no "." or ".." path segment and no leading or trailing "/".',
    { streamName: name },
  )
}

/**
 * Checks a stream name and returns it unchanged. Names may contain spaces, Unicode, `#`, `?` and
 * inner `/` (sub-scopes such as `room1/stream1`): they are percent-encoded wherever they reach a URL.
 *
 * Rules (DESIGN section 10): 1..255 characters (code points); no control characters; no `..` segment;
 * no leading or trailing `/`. Also refused, because a URL would silently rewrite them: a `.` segment
 * and unpaired UTF-16 surrogates.
 *
 * @param streamName - the value to check (anything: callers pass user input straight through)
 * @returns the same string
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when the value is not a string or breaks a rule above;
 *   the message says which rule.
 *
 * @example
 * ```ts
 * validateStreamName('stage left')    // 'stage left'
 * validateStreamName('../admin')      // throws INVALID_ARGUMENT
 * ```
 */
export function validateStreamName(streamName: unknown): string {
  if (typeof streamName !== 'string') {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `A stream name must be a string; got ${streamName === null ? 'null' : typeof streamName}.`,
    )
  }
  if (streamName.length === 0) {
    throw invalid(streamName, 'it is empty')
  }
  if (LONE_SURROGATE.test(streamName)) {
    throw invalid(streamName, 'it contains an unpaired UTF-16 surrogate (not valid Unicode text)')
  }
  const length = [...streamName].length
  if (length > MAX_STREAM_NAME_LENGTH) {
    throw invalid(streamName, `it has ${length} characters`)
  }
  if (CONTROL.test(streamName)) {
    throw invalid(streamName, 'it contains a control character')
  }
  if (streamName.startsWith('/') || streamName.endsWith('/')) {
    throw invalid(streamName, 'it starts or ends with "/"')
  }
  for (const segment of streamName.split('/')) {
    if (segment === '..' || segment === '.') {
      throw invalid(streamName, `it contains a "${segment}" path segment`)
    }
  }
  return streamName
}

/**
 * Percent-encodes a (validated) stream name for a URL path: each `/`-separated segment is encoded,
 * the separators are kept. `#`, `?`, `%`, spaces and non-ASCII characters are all encoded.
 * @internal
 */
export function encodeStreamPath(streamName: string): string {
  return streamName.split('/').map(encodeURIComponent).join('/')
}
