/**
 * The shared HTTP layer (`src/internal/http.ts`), configured for Stream Manager assignment calls.
 *
 * One addition through ky's own `afterResponse` hook: the answer body is read inside the attempt, so
 * - a connection reset in the middle of the body is retried like a reset before it (`ky.retry()`),
 *   sharing the attempt budget and the jittered backoff with every other retry;
 * - a body that stalls is bounded by `timeoutMs` (ky's timeout ends when the headers arrive) and
 *   fails as `TIMEOUT` instead of hanging;
 * - a body over the byte limit fails at once, without being retried.
 * The hook hands ky a fully buffered copy, which `getLimited` then reads without waiting.
 * @internal
 */
import ky, { type AfterResponseHook, type KyInstance } from 'ky'

import type { Environment } from '../environment'
import { abortedError, BlueGreenError, isBlueGreenError } from '../errors'
import { createHttp, type HttpSettings } from '../internal/http'

/** Largest Stream Manager answer read, in bytes (64 KiB). @internal */
export const MAX_ANSWER_BYTES = 64 * 1024

/** Statuses whose responses cannot carry a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

const STALLED = Symbol('stalled')

/** The error for an answer over {@link MAX_ANSWER_BYTES}. @internal */
export function answerTooLarge(url: string, bytes: number): BlueGreenError {
  return new BlueGreenError(
    'STREAM_MANAGER_INVALID_RESPONSE',
    `The answer from ${url} is larger than ${MAX_ANSWER_BYTES} bytes (${bytes} seen).`,
    { url },
  )
}

function bufferAnswer(env: Environment, settings: HttpSettings): AfterResponseHook {
  return async (request, _options, response) => {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) {
      throw answerTooLarge(request.url, declared)
    }
    if (!response.body) {
      return undefined
    }
    const reader = response.body.getReader()
    let timer: unknown
    const stalled = new Promise<never>((_resolve, reject) => {
      timer = env.clock.setTimeout(() => reject(STALLED), settings.timeoutMs)
    })
    const chunks: Uint8Array[] = []
    let total = 0
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), stalled])
        if (done) {
          break
        }
        total += value.byteLength
        if (total > MAX_ANSWER_BYTES) {
          throw answerTooLarge(request.url, total)
        }
        chunks.push(value)
      }
    } catch (error) {
      void reader.cancel().catch(() => undefined)
      if (error === STALLED) {
        throw new BlueGreenError(
          'TIMEOUT',
          `The answer from ${request.url} stopped arriving: its body did not finish within ${settings.timeoutMs} ms.`,
          { url: request.url },
        )
      }
      if (isBlueGreenError(error)) {
        throw error
      }
      if (request.signal.aborted) {
        throw abortedError(`GET ${request.url}`, request.signal.reason)
      }
      // A reset in the middle of the body: retry within the same budget.
      return ky.retry({
        code: 'BODY_INTERRUPTED',
        cause: error instanceof Error ? error : new Error(String(error)),
      })
    } finally {
      env.clock.clearTimeout(timer)
    }
    const body = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      body.set(chunk, offset)
      offset += chunk.byteLength
    }
    return new Response(NULL_BODY.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
}

/**
 * The ky instance an assigner uses: the shared layer (timeout, retries on 5xx/408/429/network errors
 * with capped exponential backoff and full jitter, `Retry-After` up to a cap) plus the body hook above.
 * Our own typed errors (too large, stalled, aborted) are never retried.
 * @internal
 */
export function createStreamManagerHttp(env: Environment, settings: HttpSettings): KyInstance {
  return createHttp(env, settings).extend({
    retry: { shouldRetry: ({ error }) => (isBlueGreenError(error) ? false : undefined) },
    hooks: { afterResponse: [bufferAnswer(env, settings)] },
  })
}
