/**
 * The one HTTP layer: a ky instance over the injected fetch, with per-request timeout, retries decided by
 * ky and waited on the injected clock (capped exponential backoff with full jitter from the injected
 * `random`; `Retry-After` honoured up to a cap as a floor with jitter above it), and bodies read with a
 * byte limit so an oversized answer is never buffered.
 * @internal
 */
import ky, { HTTPError, TimeoutError, type BeforeRetryHook, type KyInstance } from 'ky'

import { sleep, type Environment, type FetchLike } from '../environment'
import { abortedError, BlueGreenError, isBlueGreenError, type BlueGreenErrorCode } from '../errors'
import { fullJitterDelay } from './backoff'
import { readBody } from './body'
import { stormControl } from './coordination'
import { parseRetryAfter, retryAfterWait } from './retryAfter'

/** Tuning for {@link createHttp}. @internal */
export interface HttpSettings {
  /** Bound on each request attempt. */
  timeoutMs: number
  /** Retries after the first attempt for 5xx, 408, 429 and network errors. */
  retries: number
  /** First backoff step; doubles per attempt. */
  backoffBaseMs: number
  /** Largest backoff step. */
  backoffCapMs: number
  /** Largest `Retry-After` honoured (a longer one is cut to this; the jitter goes above it). */
  maxRetryAfterMs: number
  /**
   * When set, each attempt reads the whole body (within the limit) before ky sees the response, so ky's
   * timeout bounds headers AND body (a stalled body is a `TIMEOUT`, not a hang), a reset mid-body is
   * retried like any network error, and an oversized body fails at once without a retry.
   */
  buffer?: BodyLimit | undefined
}

/** The byte limit of buffered bodies and the error for exceeding it. @internal */
export interface BodyLimit {
  maxBytes: number
  tooLarge: (url: string, bytes: number) => BlueGreenError
  /**
   * When set, a response that redirects ended on another origin than the URL asked for fails with this
   * error before its body is read (where a manifest comes from is part of what is trusted).
   */
  crossOrigin?: ((url: string, finalUrl: string) => BlueGreenError) | undefined
}

/** A ky instance bound to the injected fetch, clock and `random`. @internal */
export function createHttp(env: Environment, settings: HttpSettings): KyInstance {
  const fetchImpl = settings.buffer ? bufferingFetch(env.fetch, settings.buffer) : env.fetch
  return ky.create({
    fetch: fetchImpl as typeof fetch,
    timeout: settings.timeoutMs,
    throwHttpErrors: true,
    cache: 'no-store',
    redirect: 'follow',
    retry: {
      limit: settings.retries,
      methods: ['get', 'head', 'options'],
      statusCodes: [408, 429, 500, 502, 503, 504],
      // ky decides WHETHER to retry; how long to wait is the hook's (below). ky would wait on the global
      // timers, and honour Retry-After exactly (reading `1.5` or `-3` as it can): a crowd told "10 s"
      // would come back in one wave.
      afterStatusCodes: [],
      delay: () => 0,
      // Our own typed errors (a body over the limit) are final; everything else follows ky's rules.
      shouldRetry: ({ error }) => (isBlueGreenError(error) ? false : undefined),
    },
    hooks: { beforeRetry: [retryWait(env, settings)] },
  })
}

/**
 * The wait before each retry, on the injected clock and cancelled by the request's signal: for a 429 or
 * 503 with `Retry-After`, the server's floor (cut to `maxRetryAfterMs`) plus jitter above it
 * (`retryAfterWait`: never earlier than asked, a crowd spread over a window); otherwise capped exponential
 * backoff with full jitter from the injected `random`.
 */
function retryWait(env: Environment, settings: HttpSettings): BeforeRetryHook {
  return async ({ error, options, retryCount }) => {
    const response = error instanceof HTTPError ? error.response : undefined
    const asked =
      response?.status === 429 || response?.status === 503
        ? parseRetryAfter(response.headers.get('retry-after'), env.clock.now())
        : undefined
    let waitMs: number
    if (asked === undefined) {
      waitMs = fullJitterDelay(retryCount, settings.backoffBaseMs, settings.backoffCapMs, env.random)
    } else if (stormControl.enabled) {
      waitMs = retryAfterWait(asked, env.random, settings.maxRetryAfterMs)
    } else {
      waitMs = Math.min(asked, settings.maxRetryAfterMs) // the benchmark's baseline: exactly as asked
    }
    if (waitMs > 0) {
      await sleep(env.clock, waitMs, options.signal ?? undefined)
    }
  }
}

/** Statuses whose responses cannot carry a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** A fetch that resolves only once the body is in memory (or fails the attempt). */
function bufferingFetch(fetch: FetchLike, limit: BodyLimit): FetchLike {
  return async (input, init) => {
    const response = await fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (limit.crossOrigin && response.url !== '' && new URL(response.url).origin !== new URL(url).origin) {
      void response.body?.cancel().catch(() => undefined)
      throw limit.crossOrigin(url, response.url)
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limit.maxBytes) {
      void response.body?.cancel().catch(() => undefined)
      throw limit.tooLarge(url, declared)
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
    let body: Uint8Array<ArrayBuffer>
    try {
      body = (await readBody(response.body, limit, url)) as Uint8Array<ArrayBuffer>
    } catch (error) {
      throw bodyFailure(error, input, init)
    }
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
  try {
    return await readBody(response.body, options, url)
  } catch (error) {
    throw transportError(error, url, options)
  }
}

/** Retry-After parsing, beside the requests that honour it. @internal */
export { parseRetryAfter } from './retryAfter'

/** The media type of a Content-Type header, lower-cased without parameters. @internal */
export function mediaType(headers: Headers): string {
  return (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
}

/** True for `application/json` and `application/*+json`. @internal */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}
