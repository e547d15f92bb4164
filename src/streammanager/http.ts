/**
 * The shared HTTP layer (`src/internal/http.ts`), configured for Stream Manager assignment calls,
 * with its `buffer` option: the fetch ky calls reads the answer body (within the byte limit) before
 * resolving. So, per attempt,
 * - ky's `timeout` bounds the whole answer, headers and body: a body that stalls is a `TIMEOUT`
 *   instead of a hang;
 * - a connection reset in the middle of the body fails the attempt like a reset before it, and ky
 *   retries it with the same budget and jittered backoff as every other network error;
 * - a body over the byte limit fails at once and is not retried.
 * `getLimited` then reads the buffered copy without waiting. (The answers are small: 64 KiB at most.)
 * @internal
 */
import type { KyInstance } from 'ky'

import type { Environment } from '../environment'
import { BlueGreenError } from '../errors'
import { createHttp, type HttpSettings } from '../internal/http'

/** Largest Stream Manager answer read, in bytes (64 KiB). @internal */
export const MAX_ANSWER_BYTES = 64 * 1024

/** The error for an answer over {@link MAX_ANSWER_BYTES}. @internal */
export function answerTooLarge(url: string, bytes: number): BlueGreenError {
  return new BlueGreenError(
    'STREAM_MANAGER_INVALID_RESPONSE',
    `The answer from ${url} is larger than ${MAX_ANSWER_BYTES} bytes (${bytes} seen).`,
    { url },
  )
}

/**
 * The ky instance an assigner uses: the shared layer (timeout, retries on 5xx/408/429/network errors
 * with capped exponential backoff and full jitter, `Retry-After` up to a cap) over the buffering fetch
 * above. Our own typed errors (an answer too large) are never retried.
 * @internal
 */
export function createStreamManagerHttp(env: Environment, settings: HttpSettings): KyInstance {
  return createHttp(env, { ...settings, buffer: { maxBytes: MAX_ANSWER_BYTES, tooLarge: answerTooLarge } })
}
