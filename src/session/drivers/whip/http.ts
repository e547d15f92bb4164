/**
 * HTTP for WHIP/WHEP: one request at a time over the injected `fetch`, bounded by a timeout on the
 * injected clock, plus the header parsing the protocol needs (`Link` ICE servers, `Retry-After`,
 * `Location` resolution that keeps the endpoint's routing parameters).
 *
 * The injected `fetch` is used directly rather than through ky because ky's timeout and retry run on
 * global timers, and this driver must honour the injected clock, cancel everything from `close()`, and
 * retry only the POST (and only on 503/429, waiting {@link postRetryDelay}), which is a five-line loop.
 * @internal
 */
import type { Clock, FetchLike } from '../../../environment'
import { abortedError, BlueGreenError, isBlueGreenError } from '../../../errors'
import { fullJitterDelay } from '../../../internal/backoff'
import { readBody } from '../../../internal/body'
import { stormControl } from '../../../internal/coordination'
import { retryAfterWait } from '../../../internal/retryAfter'

/**
 * The largest WHIP/WHEP answer read, in bytes (64 KiB, the limit of manifests and assignments): an SDP
 * is a few kilobytes, and a hostile node or proxy must not make the client buffer more.
 * @internal
 */
export const MAX_SIGNALLING_BYTES = 64 * 1024

/** One request. @internal */
export interface WhipRequest {
  readonly method: 'OPTIONS' | 'POST' | 'PATCH' | 'DELETE'
  readonly url: string
  readonly headers?: Record<string, string>
  readonly body?: string
  /** Bound on this request (headers and body). */
  readonly timeoutMs: number
  /** Aborts the request (rejects with `ABORTED`). */
  readonly signal?: AbortSignal | undefined
  /** For messages, e.g. "WHIP POST for stream cam1". */
  readonly what: string
}

/** A response with its body read. @internal */
export interface WhipResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

/**
 * Sends `request` and reads its body. Throws `ABORTED` when `signal` aborts, `TIMEOUT` when the server
 * does not answer within `timeoutMs`, `MEDIA_FAILED` (with `cause`) for network failures. Every HTTP
 * status is returned, never thrown.
 * @internal
 */
export async function sendRequest(
  fetchImpl: FetchLike,
  clock: Clock,
  request: WhipRequest,
): Promise<WhipResponse> {
  const { signal } = request
  if (signal?.aborted) {
    throw abortedError(request.what, signal.reason)
  }
  const controller = new AbortController()
  let timedOut = false
  const timer = clock.setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeoutMs)
  const onAbort = (): void => controller.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const response = await fetchImpl(request.url, {
      method: request.method,
      mode: 'cors',
      cache: 'no-store',
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: controller.signal,
    })
    const body = await readLimitedText(response, request)
    return { status: response.status, headers: response.headers, body }
  } catch (error) {
    if (signal?.aborted) {
      throw abortedError(request.what, signal.reason)
    }
    if (isBlueGreenError(error)) {
      throw error
    }
    if (timedOut) {
      throw new BlueGreenError(
        'TIMEOUT',
        `${request.what}: ${request.method} ${redactUrl(request.url)} got no answer within ${request.timeoutMs} ms. ` +
          'Check that the node or Stream Manager is up, or raise requestTimeoutMs.',
        { url: redactUrl(request.url), cause: error },
      )
    }
    throw new BlueGreenError(
      'MEDIA_FAILED',
      `${request.what}: ${request.method} ${redactUrl(request.url)} failed (${describe(error)}). ` +
        'Check the URL, the network and the server’s CORS settings.',
      { url: redactUrl(request.url), cause: error },
    )
  } finally {
    clock.clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * The wait before POST attempt `attempt + 1` after a 503 or 429: the server's `Retry-After` (already parsed,
 * cut to `maxRetryAfterMs`) as a floor with jitter above it (`retryAfterWait`: never earlier than asked, a
 * crowd of viewers told "10 s" spread over 10-12 s instead of one wave); without one, capped exponential
 * backoff with full jitter (500 ms doubling, at most 5 s).
 * @internal
 */
export function postRetryDelay(
  retryAfterMs: number | undefined,
  attempt: number,
  random: () => number,
  maxRetryAfterMs: number,
): number {
  if (retryAfterMs === undefined) {
    return fullJitterDelay(attempt, 500, 5000, random)
  }
  return stormControl.enabled
    ? retryAfterWait(retryAfterMs, random, maxRetryAfterMs)
    : Math.min(retryAfterMs, maxRetryAfterMs)
}

/** The body as text, refusing (unread) a declared length or (cut off) a stream over the limit. */
async function readLimitedText(response: Response, request: WhipRequest): Promise<string> {
  const tooLarge = (url: string, bytes: number): BlueGreenError =>
    new BlueGreenError(
      'MEDIA_FAILED',
      `${request.what}: ${request.method} ${redactUrl(url)} answered more than ${MAX_SIGNALLING_BYTES} bytes (${bytes} declared or read); refusing it. A WHIP/WHEP answer is a few kilobytes of SDP: check that the endpoint is a WHIP/WHEP server.`,
      { url: redactUrl(url), status: response.status },
    )
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > MAX_SIGNALLING_BYTES) {
    void response.body?.cancel().catch(() => undefined)
    throw tooLarge(request.url, declared)
  }
  if (!response.body) {
    return ''
  }
  const bytes = await readBody(response.body, { maxBytes: MAX_SIGNALLING_BYTES, tooLarge }, request.url)
  return new TextDecoder().decode(bytes)
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
    if (typeof cause?.code === 'string') {
      return cause.code
    }
    if (typeof cause?.message === 'string') {
      return cause.message
    }
    return error.message
  }
  return String(error)
}

const SECRET_WORD = /password|passwd|passphrase|token|secret|credential|api[-_]?key|signature/i
const SECRET_NAME = /^(pass|pwd|key|auth|authorization|sig|jwt)$/i

/**
 * True when a query parameter's value must not be shown: `password`, `token`, `apiKey`, `sig`, ... but
 * not `signal` or `host`. Round-trip authentication travels in the POST query.
 * @internal
 */
export function isSecretParam(name: string): boolean {
  return SECRET_WORD.test(name) || SECRET_NAME.test(name)
}

/**
 * `url` with the values of secret-looking query parameters (`password`, `token`, ...) replaced by
 * `***`, for messages and logs: round-trip authentication travels in the POST query.
 * @internal
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    let changed = false
    for (const key of [...parsed.searchParams.keys()]) {
      if (isSecretParam(key)) {
        parsed.searchParams.set(key, '***')
        changed = true
      }
    }
    return changed ? parsed.toString() : url
  } catch {
    return url
  }
}

/**
 * Splits `text` on `separator` outside `<...>` and quoted strings: a (possibly comma-joined) `Link`
 * header into links, a link into its `;` parameters. Written here because no installed library parses
 * RFC 8288 headers and the grammar needed for `rel="ice-server"` links (RFC 9725 section 4.6) is this small.
 */
function splitOutside(text: string, separator: ',' | ';'): string[] {
  const parts: string[] = []
  let current = ''
  let inAngle = false
  let inQuote = false
  let escaped = false
  for (const char of text) {
    if (inQuote && escaped) {
      escaped = false
    } else if (inQuote && char === '\\') {
      escaped = true
    } else if (char === '"' && !inAngle) {
      inQuote = !inQuote
    } else if (char === '<' && !inQuote) {
      inAngle = true
    } else if (char === '>' && !inQuote) {
      inAngle = false
    }
    if (char === separator && !inAngle && !inQuote) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts.map((part) => part.trim()).filter((part) => part !== '')
}

/** An ICE server as `RTCConfiguration.iceServers` takes it. @internal */
export interface IceServer {
  urls: string
  username?: string
  credential?: string
}

/**
 * The ICE servers announced in `Link: <stun:...>; rel="ice-server"` headers (RFC 9725 section 4.6),
 * with `username` and `credential` parameters when present.
 * @internal
 */
export function parseIceServerLinks(headers: Headers): IceServer[] {
  const header = headers.get('link')
  if (header === null) {
    return []
  }
  const servers: IceServer[] = []
  for (const link of splitOutside(header, ',')) {
    const match = /^<([^>]*)>(.*)$/.exec(link)
    if (!match) {
      continue
    }
    const [, urls = '', rest = ''] = match
    const params = new Map<string, string>()
    for (const param of splitOutside(rest, ';')) {
      const eq = param.indexOf('=')
      if (eq < 0) {
        continue
      }
      const key = param.slice(0, eq).trim().toLowerCase()
      const raw = param.slice(eq + 1).trim()
      params.set(
        key,
        raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw,
      )
    }
    const rel = params.get('rel')?.split(/\s+/) ?? []
    if (!rel.includes('ice-server') || urls === '') {
      continue
    }
    const username = params.get('username')
    const credential = params.get('credential')
    servers.push({
      urls,
      ...(username === undefined ? {} : { username }),
      ...(credential === undefined ? {} : { credential }),
    })
  }
  return servers
}

/**
 * The resource URL of a WHIP/WHEP session: `Location` resolved against the URL that was POSTed to, with
 * every routing parameter of the endpoint (`host`, `requestId`, `nodeGroup`, ...) added back when the
 * server left it out, so a Stream Manager 2.0 proxy can route the PATCH and DELETE to the same node.
 * Without a `Location`, Red5's convention is used: the endpoint with `/endpoint/` replaced by `/resource/`.
 * @internal
 */
export function resolveResourceUrl(
  location: string | null,
  postedTo: string,
  routing: URLSearchParams,
): string {
  let resource: URL
  if (location === null || location.trim() === '') {
    resource = new URL(postedTo)
    resource.search = ''
    resource.pathname = resource.pathname.replace(/\/endpoint\//, '/resource/')
  } else {
    resource = new URL(location.trim(), postedTo)
  }
  for (const [key, value] of routing) {
    if (!resource.searchParams.has(key)) {
      resource.searchParams.append(key, value)
    }
  }
  return resource.toString()
}

/** The text of an error body for a message: JSON `error`/`message`/`errorMessage` or the first 200 characters. @internal */
export function describeErrorBody(body: string): string {
  const text = body.trim()
  if (text === '') {
    return ''
  }
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === 'string') {
      return parsed.slice(0, 200)
    }
    if (typeof parsed === 'object' && parsed !== null) {
      const record = parsed as Record<string, unknown>
      for (const key of ['error', 'message', 'errorMessage']) {
        const value = record[key]
        if (typeof value === 'string') {
          return value.slice(0, 200)
        }
      }
    }
  } catch {
    // not JSON: use the text
  }
  return text.slice(0, 200)
}
