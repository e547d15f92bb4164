/**
 * HTTP plumbing of the media node: routes, CORS, bodies, `Link` headers.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { isSecretParam } from '../../session/drivers/whip/http'

/** A WHIP/WHEP route as parsed from a request path. @internal */
export interface MediaRoute {
  readonly app: string
  readonly protocol: 'whip' | 'whep'
  /** The stream name, percent-decoded. */
  readonly stream: string
  /** The path segment of the stream name as sent (still encoded). */
  readonly rawStream: string
  /** Present for resource URLs (`.../resource/{stream}/{id}` or `.../endpoint/{stream}/{id}`). */
  readonly resourceId?: string
}

const ROUTE = /^\/(.+)\/(whip|whep)\/(endpoint|resource)\/([^/]+)(?:\/([^/]+))?\/?$/

/** Parses `/{app}/whip|whep/endpoint|resource/{stream}[/{id}]`; `undefined` when the path is not one. @internal */
export function parseRoute(pathname: string): MediaRoute | undefined {
  const match = ROUTE.exec(pathname)
  if (!match) {
    return undefined
  }
  const [, app = '', protocol, kind, rawStream = '', id] = match
  let stream: string
  try {
    stream = decodeURIComponent(rawStream)
  } catch {
    return undefined
  }
  if (kind === 'resource' && id === undefined) {
    return undefined
  }
  return {
    app,
    protocol: protocol === 'whip' ? 'whip' : 'whep',
    stream,
    rawStream,
    ...(id === undefined ? {} : { resourceId: id }),
  }
}

/**
 * The resource path of a new session, built from the request path so that a proxy in front of the node
 * can rewrite it: `/{app}/{protocol}/resource/{stream}/{id}`. An absolute path, because the Red5 SDK
 * takes a relative `Location` as a path (it also turns `/endpoint/` into `/resource/` itself).
 * @internal
 */
export function resourcePath(route: MediaRoute, id: string): string {
  return `/${route.app}/${route.protocol}/resource/${route.rawStream}/${encodeURIComponent(id)}`
}

/** CORS headers on every answer: the player page is on another origin. @internal */
export function setCors(request: IncomingMessage, response: ServerResponse): void {
  const origin = request.headers.origin
  response.setHeader(
    'Access-Control-Allow-Origin',
    typeof origin === 'string' && origin !== '' ? origin : '*',
  )
  response.setHeader('Vary', 'Origin')
  response.setHeader('Access-Control-Allow-Methods', 'OPTIONS, POST, PATCH, DELETE')
  response.setHeader(
    'Access-Control-Allow-Headers',
    typeof request.headers['access-control-request-headers'] === 'string'
      ? request.headers['access-control-request-headers']
      : 'Content-Type, Authorization, If-Match',
  )
  response.setHeader('Access-Control-Expose-Headers', 'Location, Link, ETag, Accept-Patch, Retry-After')
  response.setHeader('Access-Control-Max-Age', '600')
}

/** An ICE server to announce in `Link` headers. */
export interface NodeIceServer {
  /** e.g. `stun:stun.example.net:3478` or `turn:turn.example.net?transport=udp` */
  readonly urls: string
  readonly username?: string
  readonly credential?: string
}

/** `Link` header values for `servers` (RFC 9725 section 4.6). @internal */
export function iceServerLinks(servers: readonly NodeIceServer[]): string[] {
  const quote = (value: string): string => `"${value.replace(/["\\]/g, '\\$&')}"`
  return servers.map((server) => {
    let link = `<${server.urls}>; rel="ice-server"`
    if (server.username !== undefined) {
      link += `; username=${quote(server.username)}`
    }
    if (server.credential !== undefined) {
      link += `; credential=${quote(server.credential)}; credential-type="password"`
    }
    return link
  })
}

/** Thrown by {@link readBody} when the body is larger than allowed. @internal */
export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8, up to `maxBytes`. @internal */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    total += buffer.length
    if (total > maxBytes) {
      throw new BodyTooLargeError(`body over ${maxBytes} bytes`)
    }
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The media type of a request, lower-cased, without parameters. @internal */
export function mediaType(request: IncomingMessage): string | undefined {
  const header = request.headers['content-type']
  if (typeof header !== 'string' || header.trim() === '') {
    return undefined
  }
  return header.split(';')[0]?.trim().toLowerCase()
}

/** Query parameters with secret-looking values (`password`, `token`, ...) replaced by `***`. @internal */
export function redactedQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of params) {
    out[key] = isSecretParam(key) ? '***' : value
  }
  return out
}

/** Sends a JSON body. @internal */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.statusCode = status
  response.setHeader('Content-Type', 'application/json')
  response.setHeader('Content-Length', Buffer.byteLength(text))
  response.end(text)
}
