/**
 * The shared HTTP layer (`src/internal/http.ts`), configured for Stream Manager assignment calls.
 *
 * One addition, through ky's own `fetch` option: the fetch it calls reads the answer body (within the
 * byte limit) before resolving. So, per attempt,
 * - ky's `timeout` bounds the whole answer, headers and body: a body that stalls is a `TIMEOUT`
 *   instead of a hang;
 * - a connection reset in the middle of the body fails the attempt like a reset before it, and ky
 *   retries it with the same budget and jittered backoff as every other network error;
 * - a body over the byte limit fails at once and is not retried.
 * `getLimited` then reads the buffered copy without waiting. (The answers are small: 64 KiB at most.)
 * @internal
 */
import type { KyInstance } from 'ky'

import type { Environment, FetchLike } from '../environment'
import { BlueGreenError, isBlueGreenError } from '../errors'
import { createHttp, type HttpSettings } from '../internal/http'

/** Largest Stream Manager answer read, in bytes (64 KiB). @internal */
export const MAX_ANSWER_BYTES = 64 * 1024

/** Statuses whose responses cannot carry a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** The error for an answer over {@link MAX_ANSWER_BYTES}. @internal */
export function answerTooLarge(url: string, bytes: number): BlueGreenError {
  return new BlueGreenError(
    'STREAM_MANAGER_INVALID_RESPONSE',
    `The answer from ${url} is larger than ${MAX_ANSWER_BYTES} bytes (${bytes} seen).`,
    { url },
  )
}

/** A fetch that resolves only once the body is in memory (or fails the attempt). */
function bufferingFetch(fetch: FetchLike): FetchLike {
  return async (input, init) => {
    const response = await fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) {
      void response.body?.cancel().catch(() => undefined)
      throw answerTooLarge(url, declared)
    }
    if (!response.body) {
      return response
    }
    if (Number.isFinite(declared) && !response.headers.has('content-encoding')) {
      // HTTP framing bounds an identity body by its Content-Length (checked above): read it in one go.
      try {
        const bytes = await response.arrayBuffer()
        return new Response(NULL_BODY.has(response.status) ? null : bytes, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        })
      } catch (error) {
        throw bodyFailure(error, input, init)
      }
    }
    const reader = response.body.getReader()
    const chunks: Uint8Array[] = []
    let total = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          break
        }
        total += value.byteLength
        if (total > MAX_ANSWER_BYTES) {
          void reader.cancel().catch(() => undefined)
          throw answerTooLarge(url, total)
        }
        chunks.push(value)
      }
    } catch (error) {
      throw bodyFailure(error, input, init)
    }
    const body = (chunks.length === 1 ? chunks[0]! : concat(chunks, total)) as Uint8Array<ArrayBuffer>
    return new Response(NULL_BODY.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
}

/** What a failed body read becomes: our own errors and aborts as they are, anything else retriable. */
function bodyFailure(error: unknown, input: Request | string | URL, init: RequestInit | undefined): unknown {
  const aborted = init?.signal?.aborted ?? (input instanceof Request && input.signal.aborted)
  if (isBlueGreenError(error) || aborted) {
    return error
  }
  // Retried by ky like any other network failure.
  return new Error('the connection broke in the middle of the answer', { cause: error })
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * The ky instance an assigner uses: the shared layer (timeout, retries on 5xx/408/429/network errors
 * with capped exponential backoff and full jitter, `Retry-After` up to a cap) over the buffering fetch
 * above. Our own typed errors (an answer too large) are never retried.
 * @internal
 */
export function createStreamManagerHttp(env: Environment, settings: HttpSettings): KyInstance {
  return createHttp({ ...env, fetch: bufferingFetch(env.fetch) }, settings).extend({
    retry: { shouldRetry: ({ error }) => (isBlueGreenError(error) ? false : undefined) },
  })
}
