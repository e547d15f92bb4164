/**
 * The HTTP side of one WHIP/WHEP connection: OPTIONS (ICE servers from `Link` headers), the POST of the
 * offer (retried on 503/429), the PATCH of a WHEP answer and the DELETE of the resource. Split from
 * session.ts, which owns the peer connection and the session's life.
 * @internal
 */
import { sleep, type Environment } from '../../../environment'
import { BlueGreenError, isBlueGreenError } from '../../../errors'
import { parseRetryAfter } from '../../../internal/retryAfter'
import type { ConnectionParams, SessionKind } from '../../../types'
import type { SignalingTarget } from '../Driver'
import {
  describeErrorBody,
  parseIceServerLinks,
  postRetryDelay,
  redactUrl,
  resolveResourceUrl,
  sendRequest,
  type IceServer,
  type WhipResponse,
} from './http'
import { looksLikeSdp } from './sdp'

/** What the requests need from the driver's settings. @internal */
export interface SignallingSettings {
  readonly env: Environment
  readonly requestTimeoutMs: number
  readonly maxPostAttempts: number
  readonly maxRetryAfterMs: number
  readonly deleteTimeoutMs: number
}

/** The POST URL: the endpoint with the connection parameters that do not override its routing. @internal */
export function withConnectionParams(
  endpoint: URL,
  routing: URLSearchParams,
  params: ConnectionParams,
  log: Environment['logger'],
  what: string,
): string {
  const url = new URL(endpoint.toString())
  const keys: string[] = []
  for (const [key, value] of Object.entries(params)) {
    if (routing.has(key)) {
      log.warn(`${what}: connection parameter "${key}" would override the endpoint's; skipped`)
      continue
    }
    url.searchParams.append(key, String(value))
    keys.push(key)
  }
  if (keys.length > 0) {
    log.debug(`${what}: connection parameters ${keys.join(', ')}`)
  }
  return url.toString()
}

/** The requests of one WHIP/WHEP connection. @internal */
export class WhipSignalling {
  private readonly log: Environment['logger']

  constructor(
    private readonly settings: SignallingSettings,
    private readonly target: SignalingTarget,
    private readonly what: string,
  ) {
    this.log = settings.env.logger
  }

  private get kind(): SessionKind {
    return this.target.kind
  }

  /** OPTIONS first: learns ICE servers from `Link` headers. Tolerates servers that refuse OPTIONS. */
  async readOptions(url: string, signal: AbortSignal): Promise<IceServer[]> {
    let response: WhipResponse
    try {
      response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
        method: 'OPTIONS',
        url,
        timeoutMs: this.settings.requestTimeoutMs,
        signal,
        what: this.what,
      })
    } catch (error) {
      if (isBlueGreenError(error, 'MEDIA_FAILED')) {
        // Some servers (or their CORS setup) refuse OPTIONS; the POST will say clearly if it is worse.
        this.log.warn(
          `${this.what}: OPTIONS failed, continuing without server ICE servers (${error.message})`,
        )
        return []
      }
      throw error
    }
    if (response.status !== 200 && response.status !== 204) {
      this.log.debug(`${this.what}: OPTIONS answered ${response.status}; no ICE servers from the server`)
      return []
    }
    const servers = parseIceServerLinks(response.headers)
    if (servers.length > 0) {
      this.log.debug(`${this.what}: ${servers.length} ICE server(s) from Link headers`)
    }
    return servers
  }

  /**
   * POSTs the offer (retrying 503/429) and returns the answer's SDP. `onResource` learns the resource URL
   * as soon as the server made one (before any check of the body), so that teardown can DELETE it.
   * `checkpoint` throws when start-up was aborted meanwhile.
   */
  async post(
    url: string,
    sdp: string,
    routing: URLSearchParams,
    signal: AbortSignal,
    onResource: (resource: string) => void,
    checkpoint: (signal: AbortSignal) => void,
  ): Promise<string> {
    const { env, maxPostAttempts, maxRetryAfterMs, requestTimeoutMs } = this.settings
    for (let attempt = 1; ; attempt++) {
      // Not aborted by `signal`: if the server creates a resource we must learn its URL to DELETE it.
      const response = await sendRequest(env.fetch, env.clock, {
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/sdp' },
        body: sdp,
        timeoutMs: requestTimeoutMs,
        what: this.what,
      })
      if (response.status >= 200 && response.status < 300) {
        const resource = resolveResourceUrl(response.headers.get('location'), url, routing)
        onResource(resource)
        if (response.headers.get('location') === null) {
          this.log.warn(`${this.what}: no Location in the POST answer; using ${redactUrl(resource)}`)
        }
        this.log.debug(`${this.what}: resource ${redactUrl(resource)}`)
        checkpoint(signal)
        if (!looksLikeSdp(response.body)) {
          throw new BlueGreenError(
            'MEDIA_FAILED',
            `${this.what}: the POST answer (${response.status}) has no SDP body (${redactUrl(url)}).`,
            { url: redactUrl(url), status: response.status, streamName: this.target.streamName },
          )
        }
        return response.body
      }
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), env.clock.now())
      if ((response.status === 503 || response.status === 429) && attempt < maxPostAttempts) {
        const delay = postRetryDelay(retryAfter, attempt, env.random, maxRetryAfterMs)
        this.log.info(`${this.what}: ${response.status} from the server, retrying in ${delay} ms`)
        await sleep(env.clock, delay, signal)
        continue
      }
      throw this.postError(response, url, retryAfter)
    }
  }

  private postError(response: WhipResponse, url: string, retryAfterMs: number | undefined): BlueGreenError {
    const { status } = response
    const detail = describeErrorBody(response.body)
    const said = detail === '' ? '' : `: "${detail}"`
    const context = {
      url: redactUrl(url),
      status,
      streamName: this.target.streamName,
      environment: this.target.environment,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    }
    const where = `${redactUrl(url)}`
    if (this.kind === 'subscribe' && (status === 404 || status === 409)) {
      return new BlueGreenError(
        'STREAM_NOT_FOUND',
        `${this.what}: the stream is not published on this node (WHEP ${status}${said}, ${where}). ` +
          'Publish it first, or retry once it is live.',
        context,
      )
    }
    if (status === 401 || status === 403 || status === 406) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node refused the connection (${status}${said}, ${where}). ` +
          'Check the connectionParams (round-trip authentication); retrying will not help.',
        context,
      )
    }
    if (this.kind === 'publish' && status === 409) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the stream is already being published (409${said}, ${where}). ` +
          'Stop the other publisher or use another stream name.',
        context,
      )
    }
    if (status === 503 || status === 429) {
      return new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node is busy (${status}${said}, ${where}) after ${this.settings.maxPostAttempts} attempt(s).`,
        context,
      )
    }
    return new BlueGreenError(
      'MEDIA_FAILED',
      `${this.what}: POST answered ${status}${said} (${where}).`,
      context,
    )
  }

  /** PATCHes a WHEP answer (Red5's server-offer flavour) to the resource. */
  async patchAnswer(resourceUrl: string, sdp: string, signal: AbortSignal): Promise<void> {
    const response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
      method: 'PATCH',
      url: resourceUrl,
      headers: { 'Content-Type': 'application/sdp' },
      body: sdp,
      timeoutMs: this.settings.requestTimeoutMs,
      signal,
      what: this.what,
    })
    if (response.status < 200 || response.status >= 300) {
      const detail = describeErrorBody(response.body)
      throw new BlueGreenError(
        'MEDIA_FAILED',
        `${this.what}: the node refused the SDP answer (PATCH ${response.status}${detail === '' ? '' : `: "${detail}"`}, ` +
          `${redactUrl(resourceUrl)}).`,
        { url: redactUrl(resourceUrl), status: response.status, streamName: this.target.streamName },
      )
    }
  }

  /** DELETEs the resource, best effort (bounded by `deleteTimeoutMs`). */
  async remove(resource: string): Promise<void> {
    try {
      const response = await sendRequest(this.settings.env.fetch, this.settings.env.clock, {
        method: 'DELETE',
        url: resource,
        timeoutMs: this.settings.deleteTimeoutMs,
        what: this.what,
      })
      this.log.debug(`${this.what}: DELETE answered ${response.status}`)
    } catch (error) {
      this.log.debug(`${this.what}: DELETE failed (best effort)`, error)
    }
  }
}
