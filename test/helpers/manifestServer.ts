/**
 * A real discovery server on 127.0.0.1 for integration tests: serves a manifest with ETag and
 * Last-Modified, answers 304 to matching conditional requests, and can be told to misbehave.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

import { scopedLogger } from '../../src/environment'
import { startHttpServer } from '../../src/emulator/http'
import { closedPort } from './streamManagerServer'

export type Fault =
  | { kind: 'status'; status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'stall' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'huge'; bytes: number; declareLength?: boolean }
  | { kind: 'raw'; body: string; contentType: string }

export interface ManifestServer {
  url: string
  /** Requests seen, with their conditional headers and the status sent. */
  requests: { ifNoneMatch?: string; ifModifiedSince?: string; status: number }[]
  /** Serves this document (object or string) from now on. */
  set(document: unknown): void
  /** The next `times` requests misbehave as told (default: all following requests). */
  fail(fault: Fault, times?: number): void
  /** Back to normal. */
  heal(): void
  /** Bytes sent for `huge` faults (to prove the client stopped reading). */
  hugeBytesSent: number
  close(): Promise<void>
}

export async function startManifestServer(
  initial: unknown,
  path = '/discovery.json',
): Promise<ManifestServer> {
  let body = ''
  let etag = ''
  let lastModified = ''
  const faults: { fault: Fault; times: number }[] = []
  const state: ManifestServer = {
    url: '',
    requests: [],
    hugeBytesSent: 0,
    set(document) {
      body = typeof document === 'string' ? document : JSON.stringify(document)
      etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`
      // Whole seconds, always moving forward, as HTTP dates require.
      lastModified = new Date(
        Math.floor(Date.now() / 1000) * 1000 + state.requests.length * 1000,
      ).toUTCString()
    },
    fail(fault, times = Number.POSITIVE_INFINITY) {
      faults.push({ fault, times })
    },
    heal() {
      faults.length = 0
    },
    close: () => server.close(),
  }
  state.set(initial)

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const record = {
      ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}),
      ...(req.headers['if-modified-since']
        ? { ifModifiedSince: String(req.headers['if-modified-since']) }
        : {}),
      status: 0,
    }
    state.requests.push(record)
    if (!req.url?.startsWith(path)) {
      record.status = 404
      res.writeHead(404).end()
      return
    }
    const active = faults[0]
    if (active) {
      active.times--
      if (active.times <= 0) {
        faults.shift()
      }
      const fault = active.fault
      switch (fault.kind) {
        case 'status':
          record.status = fault.status
          res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/plain', ...fault.headers })
          res.end(fault.body ?? '')
          return
        case 'hang':
          return
        case 'stall':
          // Headers and half a document, then nothing: only a timeout covering the body ends this.
          record.status = 200
          res.writeHead(200, { 'content-type': 'application/json' })
          res.write('{"manifestVersion": 1, "revision": ')
          return
        case 'reset':
          req.socket.destroy()
          return
        case 'raw':
          record.status = 200
          res.writeHead(200, { 'content-type': fault.contentType })
          res.end(fault.body)
          return
        case 'huge': {
          record.status = 200
          res.writeHead(200, {
            'content-type': 'application/json',
            ...(fault.declareLength ? { 'content-length': String(fault.bytes) } : {}),
          })
          const chunk = Buffer.alloc(64 * 1024, 0x20)
          let sent = 0
          const pump = (): void => {
            while (sent < fault.bytes) {
              sent += chunk.length
              state.hugeBytesSent += chunk.length
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
        case 'delay':
          setTimeout(() => serve(req, res, record), fault.ms)
          return
      }
    }
    serve(req, res, record)
  }

  const serve = (req: IncomingMessage, res: ServerResponse, record: { status: number }): void => {
    const headers = {
      'content-type': 'application/json',
      etag,
      'last-modified': lastModified,
      'cache-control': 'max-age=0, must-revalidate',
    }
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    if ((inm && inm === etag) || (!inm && ims && ims === lastModified)) {
      record.status = 304
      res.writeHead(304, { etag, 'last-modified': lastModified }).end()
      return
    }
    record.status = 200
    res.writeHead(200, headers).end(body)
  }

  const server = await startHttpServer(handle, {
    port: 0,
    logger: scopedLogger(undefined, 'test-server'),
    label: 'manifest server',
  })
  state.url = `${server.url}${path}`
  return state
}

/** A discovery URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}/discovery.json`
}
