/**
 * A real Stream Manager stand-in on 127.0.0.1 (port 0) for integration tests and the benchmark. It
 * speaks either API generation's assignment call with the documented shapes:
 * - `sm1`: `GET {prefix}/streammanager/api/4.0/event/{app}/{stream}?action=broadcast|subscribe`
 *   -> `{ name, scope, serverAddress, region }`, errors `{ errorMessage, timestamp }` (400/404);
 * - `sm2`: `GET {prefix}/as/v1/streams/stream/{nodeGroup}/publish|subscribe/{app}/{stream}`
 *   -> `[{ streamGuid, serverAddress, nodeRole, subGroup, nodeState, subscribers }]`, errors `{ error }` (404).
 * Subscribing needs the stream in `published`. Unknown paths get Tomcat-like HTML 404s. Faults can be
 * scripted per request; every request is recorded with its raw path and headers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { startHttpServer } from '../../src/emulator/http'
import { scopedLogger } from '../../src/environment'

export type StreamManagerFault =
  /** Answer with this status and body (objects are sent as JSON). */
  | { kind: 'status'; status: number; body?: unknown; contentType?: string; headers?: Record<string, string> }
  /** Never answer. */
  | { kind: 'hang' }
  /** Destroy the connection as soon as the request arrives. */
  | { kind: 'reset' }
  /** Send 200 headers and half of a valid body, then destroy the connection. */
  | { kind: 'reset-mid-body' }
  /** Send 200 headers and part of the body, then nothing. */
  | { kind: 'stall-body' }
  /** A 200 JSON answer of `bytes` bytes, with or without Content-Length. */
  | { kind: 'huge'; bytes: number; declareLength?: boolean }

export interface RecordedRequest {
  method: string
  /** Path and query exactly as received (still percent-encoded). */
  path: string
  headers: IncomingMessage['headers']
  /** `performance.now()` when the request arrived. */
  at: number
}

export interface StreamManagerServerOptions {
  api: 'sm1' | 'sm2'
  /** Path prefix the Stream Manager lives under, e.g. `/sm`. @default '' */
  prefix?: string
  /** sm2 node groups. `default` matches when there is exactly one. @default ['blue-group'] */
  nodeGroups?: string[]
  /** serverAddress of the origin. @default '10.0.0.1' */
  origin?: string
  /** serverAddress of the edge. @default '10.0.0.2' */
  edge?: string
  /** Region (sm1) / sub-group (sm2) of every node. @default 'us-east-1' */
  region?: string
  /** When set, assignment calls need `Authorization: Bearer <token>` (401 otherwise). */
  token?: string
}

export interface StreamManagerServer {
  /** Base URL of the Stream Manager (prefix included, no trailing slash). */
  readonly url: string
  readonly requests: RecordedRequest[]
  /** Requests whose client went away before the answer was complete (aborted or timed out). */
  readonly abandoned: number
  /** `app/stream` names that are being published (subscribe needs them). */
  readonly published: Set<string>
  /** Delay every normal answer by this many ms (to make concurrent calls overlap). */
  answerDelayMs: number
  /** Holds every normal answer until the returned function is called (deterministic overlap). */
  hold(): () => void
  /** The next `times` requests misbehave (default: all following requests). */
  fail(fault: StreamManagerFault, times?: number): void
  /** Back to normal answers. */
  heal(): void
  close(): Promise<void>
}

export async function startStreamManagerServer(
  options: StreamManagerServerOptions,
): Promise<StreamManagerServer> {
  const prefix = options.prefix ?? ''
  const nodeGroups = options.nodeGroups ?? ['blue-group']
  const origin = options.origin ?? '10.0.0.1'
  const edge = options.edge ?? '10.0.0.2'
  const region = options.region ?? 'us-east-1'
  const faults: { fault: StreamManagerFault; times: number }[] = []
  const pending = new Set<NodeJS.Timeout>()
  let held: (() => void)[] | undefined
  let abandoned = 0

  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  const sendError = (res: ServerResponse, status: number, message: string): void => {
    sendJson(
      res,
      status,
      options.api === 'sm1' ? { errorMessage: message, timestamp: Date.now() } : { error: message },
    )
  }
  const notFoundPage = (res: ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'text/html;charset=utf-8' })
    res.end('<!doctype html><html><body><h1>HTTP Status 404 – Not Found</h1></body></html>')
  }

  const runFault = (fault: StreamManagerFault, req: IncomingMessage, res: ServerResponse): void => {
    switch (fault.kind) {
      case 'status': {
        const isText = typeof fault.body === 'string' || fault.body === undefined
        res.writeHead(fault.status, {
          'content-type': fault.contentType ?? (isText ? 'text/plain' : 'application/json'),
          ...fault.headers,
        })
        res.end(isText ? ((fault.body as string | undefined) ?? '') : JSON.stringify(fault.body))
        return
      }
      case 'hang':
        return
      case 'reset':
        req.socket.destroy()
        return
      case 'reset-mid-body':
      case 'stall-body': {
        const text = JSON.stringify([
          { serverAddress: origin, nodeRole: 'origin', padding: 'x'.repeat(2000) },
        ])
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
        res.write(text.slice(0, text.length / 2), () => {
          if (fault.kind === 'reset-mid-body') {
            req.socket.destroy()
          }
        })
        return
      }
      case 'huge': {
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(fault.declareLength ? { 'content-length': String(fault.bytes) } : {}),
        })
        const chunk = Buffer.alloc(16 * 1024, 0x20)
        let sent = 0
        const pump = (): void => {
          while (sent < fault.bytes) {
            sent += chunk.length
            if (!res.write(chunk)) {
              res.once('drain', pump)
              return
            }
          }
          res.end()
        }
        res.on('error', () => undefined)
        pump()
        return
      }
    }
  }

  const segments = (path: string): string[] | undefined => {
    try {
      return path.split('/').map(decodeURIComponent)
    } catch {
      return undefined
    }
  }

  const answer = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      sendError(res, 401, 'Unauthorized')
      return
    }
    if (!url.pathname.startsWith(`${prefix}/`)) {
      notFoundPage(res)
      return
    }
    const rest = url.pathname.slice(prefix.length)
    if (options.api === 'sm1') {
      const base = '/streammanager/api/4.0/event/'
      const parts = rest.startsWith(base) ? segments(rest.slice(base.length)) : undefined
      if (!parts || parts.length < 2) {
        notFoundPage(res)
        return
      }
      const [app, ...streamParts] = parts as [string, ...string[]]
      const stream = streamParts.join('/')
      const action = url.searchParams.get('action')
      const wanted = url.searchParams.get('region')
      if (url.searchParams.get('strict') === 'true' && wanted !== null && wanted !== region) {
        sendError(res, 400, `No suitable node found in region ${wanted}`)
        return
      }
      const body = (serverAddress: string) => ({ name: stream, scope: `/${app}`, serverAddress, region })
      if (action === 'broadcast') {
        sendJson(res, 200, body(origin))
      } else if (action === 'subscribe') {
        if (state.published.has(`${app}/${stream}`)) {
          sendJson(res, 200, body(edge))
        } else {
          sendError(res, 404, `Stream ${stream} is not published`)
        }
      } else {
        sendError(res, 400, 'Unknown action')
      }
      return
    }
    const base = '/as/v1/streams/stream/'
    const parts = rest.startsWith(base) ? segments(rest.slice(base.length)) : undefined
    if (!parts || parts.length < 4) {
      notFoundPage(res)
      return
    }
    const [group, action, app, ...streamParts] = parts as [string, string, string, ...string[]]
    const stream = streamParts.join('/')
    if (!nodeGroups.includes(group) && !(group === 'default' && nodeGroups.length === 1)) {
      sendError(res, 404, `Node group not found for ${group}`)
      return
    }
    const wanted = url.searchParams.get('subgroup')
    if (url.searchParams.get('strict') === 'true' && wanted !== null && !wanted.split(',').includes(region)) {
      sendError(res, 404, 'Restrictions could not be met')
      return
    }
    const entry = (serverAddress: string, nodeRole: string) => ({
      streamGuid: `${app}/${stream}`,
      serverAddress,
      nodeRole,
      subGroup: region,
      nodeState: 'INSERVICE',
      subscribers: 0,
    })
    if (action === 'publish') {
      sendJson(res, 200, [entry(origin, 'origin')])
    } else if (action === 'subscribe') {
      if (state.published.has(`${app}/${stream}`)) {
        sendJson(res, 200, [entry(edge, 'edge')])
      } else {
        sendError(res, 404, 'No servers found')
      }
    } else {
      notFoundPage(res)
    }
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/'
    state.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, at: performance.now() })
    res.on('close', () => {
      if (!res.writableFinished) {
        abandoned++
      }
    })
    const active = faults[0]
    if (active) {
      active.times--
      if (active.times <= 0) {
        faults.shift()
      }
      runFault(active.fault, req, res)
      return
    }
    const url = new URL(path, 'http://127.0.0.1')
    if (held) {
      held.push(() => answer(req, res, url))
      return
    }
    if (state.answerDelayMs > 0) {
      const timer = setTimeout(() => {
        pending.delete(timer)
        answer(req, res, url)
      }, state.answerDelayMs)
      pending.add(timer)
      return
    }
    answer(req, res, url)
  }

  const server = await startHttpServer(handle, {
    port: 0,
    logger: scopedLogger(undefined, 'test-server'),
    label: 'Stream Manager test server',
  })
  const { port } = server

  const state: StreamManagerServer = {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests: [],
    get abandoned() {
      return abandoned
    },
    published: new Set(),
    answerDelayMs: 0,
    hold() {
      held ??= []
      return () => {
        const queued = held ?? []
        held = undefined
        for (const release of queued) {
          release()
        }
      }
    },
    fail(fault, times = Number.POSITIVE_INFINITY) {
      faults.push({ fault, times })
    },
    heal() {
      faults.length = 0
    },
    async close() {
      for (const timer of pending) {
        clearTimeout(timer)
      }
      await server.close()
    },
  }
  return state
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
