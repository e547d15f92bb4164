/**
 * The node:http plumbing every emulator server shares: loopback servers whose sockets are tracked (so
 * `kill()` can drop them abruptly and `close()` leaves no handle behind), CORS, JSON answers, bounded
 * body reading, static files and the signalling proxy that forwards one request to a media node.
 * @internal
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { extname, resolve, sep } from 'node:path'

import type { Logger } from '../environment'

/** The only interface the emulator listens on. */
export const LOOPBACK = '127.0.0.1'

/** Request bodies the emulator accepts (SDP offers, operator JSON), in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024

/** A request handler; a rejection becomes a 500 (or the status of an {@link HttpError}). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** An error that becomes an HTTP answer with `status` and a JSON body built by the server. @internal */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number

  /**
   * @param status - the HTTP status
   * @param message - the text of the JSON error body
   */
  constructor(status: number, message: string) {
    super(message)
    this.name = 'HttpError'
    this.status = status
  }
}

/** A listening loopback server. @internal */
export interface HttpServerHandle {
  /** The bound port. */
  readonly port: number
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** Stops listening, drops every connection (keep-alive, SSE) and resolves once the port is free. */
  close(): Promise<void>
}

/**
 * Starts `handler` on 127.0.0.1 (`port` 0 = any free port). Every socket is tracked: `close()` destroys
 * them at once, which is both the graceful shutdown (no keep-alive socket can hold the process open) and
 * the abrupt one (an in-flight request sees its connection reset).
 * @internal
 */
export async function startHttpServer(
  handler: Handler,
  options: { port: number; logger: Logger; label: string; errorBody?: (message: string) => unknown },
): Promise<HttpServerHandle> {
  const sockets = new Set<Socket>()
  const errorBody = options.errorBody ?? ((message: string) => ({ error: message }))
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500
        if (status >= 500) {
          options.logger.error(`${options.label}: ${req.method} ${req.url} failed`, error)
        }
        if (res.headersSent) {
          res.destroy()
          return
        }
        const message = error instanceof Error ? error.message : String(error)
        sendJson(res, status, errorBody(message))
      })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => socket.destroy())
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port, LOOPBACK, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    port,
    url: `http://${LOOPBACK}:${port}`,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        for (const socket of sockets) {
          socket.destroy()
        }
      })
      return closing
    },
  }
}

/** A request target split without the WHATWG parser (which would read `//x` as a host). @internal */
export interface RequestTarget {
  /** The raw path, still percent-encoded. */
  readonly path: string
  /** The raw query without `?` (may be empty). */
  readonly rawQuery: string
  /** The decoded query. */
  readonly query: URLSearchParams
}

/** Splits `req.url` into path and query. @internal */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const raw = req.url ?? '/'
  const mark = raw.indexOf('?')
  const path = mark === -1 ? raw : raw.slice(0, mark)
  const rawQuery = mark === -1 ? '' : raw.slice(mark + 1)
  return { path, rawQuery, query: new URLSearchParams(rawQuery) }
}

/**
 * The decoded `/`-separated segments of `path` after `prefix` (which must end with `/`), or `undefined`
 * when the path does not start with it.
 * @throws {HttpError} 400 when a segment is not valid percent-encoding
 * @internal
 */
export function segmentsAfter(path: string, prefix: string): string[] | undefined {
  if (!path.startsWith(prefix)) {
    return undefined
  }
  try {
    return path.slice(prefix.length).split('/').map(decodeURIComponent)
  } catch {
    throw new HttpError(400, `The path ${path} is not valid percent-encoding.`)
  }
}

/** Headers a browser may read from the emulator's answers. */
const EXPOSED = 'Location, Link, ETag, Last-Modified, Content-Type, Session-Host'

/** Lets any origin read the answer (the demo page and browsers call every server directly). @internal */
export function allowAnyOrigin(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Expose-Headers', EXPOSED)
}

/** True for a CORS preflight (an OPTIONS a browser sends before the real request). @internal */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

/** Answers a CORS preflight allowing `methods` and whatever headers were asked for. @internal */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, methods: string): void {
  const asked = req.headers['access-control-request-headers']
  res.writeHead(204, {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': methods,
    'Access-Control-Allow-Headers': asked ?? 'Content-Type, Authorization, If-None-Match, If-Modified-Since',
    'Access-Control-Expose-Headers': EXPOSED,
    'Access-Control-Max-Age': '600',
    'Content-Length': '0',
  })
  res.end()
}

/** Sends `body` as JSON with `status`. @internal */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  })
  res.end(text)
}

/**
 * Reads the whole request body, at most `maxBytes`.
 * @throws {HttpError} 413 when the body is larger
 * @internal
 */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      throw new HttpError(413, `The request body is larger than ${maxBytes} bytes.`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Headers that describe one connection, never forwarded by a proxy (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
])

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  )
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (
      value !== undefined &&
      !HOP_BY_HOP.has(name) &&
      !named.has(name) &&
      !name.startsWith('access-control-')
    ) {
      out[name] = value
    }
  }
  return out
}

/** One request to forward to a media node. @internal */
export interface ForwardRequest {
  /** The node's base URL, `http://127.0.0.1:PORT`. */
  readonly nodeUrl: string
  /** Path and query to request on the node (already encoded). */
  readonly path: string
  /**
   * Turns the node's `Location` into the one the client should use; gets it resolved against the node
   * request (`absolute`) and as sent (`original`).
   */
  readonly rewriteLocation: (absolute: URL, original: string) => string
  /** Extra answer headers (e.g. `Session-Host`). */
  readonly headers?: OutgoingHttpHeaders
  /** Bound on the node's answer. @default 10000 */
  readonly timeoutMs?: number
}

/**
 * Forwards the incoming request (method, end-to-end headers, body) to a media node and relays its
 * answer with `Location` rewritten and CORS added.
 * @throws {HttpError} 502 when the node is unreachable, 504 when it does not answer in time (the server
 *   turns these into its own JSON error body)
 * @internal
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardRequest,
): Promise<void> {
  const body = await readBody(req)
  const url = new URL(target.path, target.nodeUrl)
  const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>(
    (resolveAnswer, reject) => {
      const outgoing = httpRequest(
        url,
        {
          method: req.method ?? 'GET',
          headers: { ...endToEnd(req.headers), 'content-length': String(body.length) },
          timeout: target.timeoutMs ?? 10_000,
        },
        (incoming) => {
          const chunks: Buffer[] = []
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
          incoming.on('end', () =>
            resolveAnswer({
              status: incoming.statusCode ?? 502,
              headers: incoming.headers,
              body: Buffer.concat(chunks),
            }),
          )
          incoming.on('error', reject)
        },
      )
      outgoing.on('timeout', () => outgoing.destroy(new HttpError(504, 'timeout')))
      outgoing.on('error', reject)
      outgoing.end(body)
    },
  ).catch((error: unknown) => {
    const timedOut = error instanceof HttpError && error.status === 504
    const reason = timedOut ? 'did not answer in time' : `is unreachable (${(error as Error).message})`
    throw new HttpError(timedOut ? 504 : 502, `The media node at ${target.nodeUrl} ${reason}.`)
  })
  if (res.destroyed) {
    return
  }
  const headers = endToEnd(answer.headers)
  const location = answer.headers.location
  if (typeof location === 'string' && location !== '') {
    let absolute: URL | undefined
    try {
      absolute = new URL(location, url)
    } catch {
      absolute = undefined
    }
    headers.location = absolute ? target.rewriteLocation(absolute, location) : location
  }
  res.writeHead(answer.status, {
    ...headers,
    ...target.headers,
    'Content-Length': answer.body.length,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': EXPOSED,
  })
  res.end(answer.body)
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
}

/**
 * Serves the file at `relative` (a raw, still-encoded URL path) under `root`, refusing anything that
 * would leave `root` (`..`, encoded separators, symbolic links pointing out). Resolves `false` when
 * there is no such file, so the caller can answer 404 or fall back.
 * @internal
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  relative: string,
): Promise<boolean> {
  let decoded: string
  try {
    decoded = decodeURIComponent(relative)
  } catch {
    return false
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) {
    return false
  }
  let base: string
  let file: string
  try {
    base = await realpath(root)
    file = await realpath(resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`))
  } catch {
    return false
  }
  if (!file.startsWith(base + sep)) {
    return false
  }
  const info = await stat(file).catch(() => undefined)
  if (!info?.isFile()) {
    return false
  }
  const content = await readFile(file)
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': content.length,
    'Cache-Control': 'no-cache',
  })
  res.end(req.method === 'HEAD' ? undefined : content)
  return true
}
