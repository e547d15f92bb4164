/**
 * The one HTTP layer: a ky instance over the injected fetch, with per-request timeout, capped
 * exponential backoff with full jitter (ky's retry, jittered by the injected `random`), `Retry-After`
 * honoured up to a cap, and bodies read with a byte limit so an oversized answer is never buffered.
 * @internal
 */
import ky, { HTTPError, TimeoutError, type KyInstance } from 'ky'

import type { Environment } from '../environment'
import { abortedError, BlueGreenError, type BlueGreenErrorCode } from '../errors'

/** Tuning for {@link createHttp}. @internal */
export interface HttpSettings {
  /** Bound on each request attempt. */
  timeoutMs: number
  /** Retries after the first attempt for 5xx, 408, 429 and network errors. */
  retries: number
  /** First backoff step; doubles per attempt. */
  backoffBaseMs: number
  /** Largest backoff step, and the cap on a server's `Retry-After`. */
  backoffCapMs: number
  /** Largest `Retry-After` honoured. */
  maxRetryAfterMs: number
}

/** A ky instance bound to the injected fetch and `random`. @internal */
export function createHttp(env: Environment, settings: HttpSettings): KyInstance {
  return ky.create({
    fetch: env.fetch as typeof fetch,
    timeout: settings.timeoutMs,
    throwHttpErrors: true,
    cache: 'no-store',
    redirect: 'follow',
    retry: {
      limit: settings.retries,
      methods: ['get', 'head', 'options'],
      statusCodes: [408, 429, 500, 502, 503, 504],
      afterStatusCodes: [429, 503],
      maxRetryAfter: settings.maxRetryAfterMs,
      backoffLimit: settings.backoffCapMs,
      delay: (attempt) => settings.backoffBaseMs * 2 ** Math.min(attempt - 1, 30),
      // Full jitter from the injected random (ky's own `jitter: true` would use Math.random).
      jitter: (delay) => delay * env.random(),
    },
  })
}

/** A response whose body was read within a byte limit. @internal */
export interface LimitedResponse {
  readonly status: number
  readonly headers: Headers
  readonly url: string
  readonly body: Uint8Array
}

/** How {@link getLimited} names and classifies failures. @internal */
export interface GetLimitedOptions {
  /** What is being fetched, for messages ("the discovery manifest", "Stream Manager blue"). */
  what: string
  /** Code for network failures, exhausted retries and unreadable bodies. */
  unavailableCode: BlueGreenErrorCode
  /** Largest body accepted. */
  maxBytes: number
  /** The error to throw when the body is larger than `maxBytes`. */
  tooLarge: (url: string, bytes: number) => BlueGreenError
  headers?: Record<string, string>
  signal?: AbortSignal | undefined
  /** Overrides the instance timeout for this request. */
  timeoutMs?: number | undefined
}

/**
 * GETs `url` and reads its body up to `maxBytes`. Returns every HTTP status (304 and 4xx included, and
 * 5xx once retries are exhausted) for the caller to interpret; throws only for transport failures:
 * `TIMEOUT`, `ABORTED`, `unavailableCode` (connection refused, reset, DNS), or `tooLarge`.
 * @internal
 */
export async function getLimited(
  http: KyInstance,
  url: string,
  options: GetLimitedOptions,
): Promise<LimitedResponse> {
  let response: Response
  try {
    response = await http.get(url, {
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    })
  } catch (error) {
    if (error instanceof HTTPError) {
      response = error.response
    } else {
      throw transportError(error, url, options)
    }
  }
  const body = await readLimited(response, url, options)
  return { status: response.status, headers: response.headers, url, body }
}

/** Maps what ky/fetch threw into our codes. @internal */
export function transportError(
  error: unknown,
  url: string,
  options: Pick<GetLimitedOptions, 'what' | 'unavailableCode' | 'signal'>,
): BlueGreenError {
  if (error instanceof BlueGreenError) {
    return error
  }
  if (options.signal?.aborted) {
    return abortedError(`Fetching ${options.what} from ${url}`, options.signal.reason)
  }
  if (error instanceof TimeoutError) {
    return new BlueGreenError(
      'TIMEOUT',
      `${options.what} did not answer in time (${url}). Check that the server is up and reachable, or raise timeoutMs.`,
      { url, cause: error },
    )
  }
  const detail = error instanceof Error ? describeNetworkError(error) : String(error)
  return new BlueGreenError(
    options.unavailableCode,
    `Could not reach ${options.what} at ${url} (${detail}). Check the URL, the network and CORS settings.`,
    { url, cause: error },
  )
}

function describeNetworkError(error: Error): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? error.message
}

async function readLimited(response: Response, url: string, options: GetLimitedOptions): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw options.tooLarge(url, declared)
  }
  if (!response.body) {
    return new Uint8Array(0)
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
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined)
        throw options.tooLarge(url, total)
      }
      chunks.push(value)
    }
  } catch (error) {
    throw transportError(error, url, options)
  } finally {
    reader.releaseLock()
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Parses a `Retry-After` header (seconds or HTTP date) into milliseconds, or undefined. @internal */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) {
    return undefined
  }
  const seconds = Number(value)
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000)
  }
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The media type of a Content-Type header, lower-cased without parameters. @internal */
export function mediaType(headers: Headers): string {
  return (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
}

/** True for `application/json` and `application/*+json`. @internal */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}
