/**
 * The discovery endpoint: serves the current manifest (or its DSSE envelope) as `application/json` with
 * a strong ETag (SHA-256 of the bytes), a Last-Modified that moves forward with every revision,
 * `Cache-Control: max-age=<ttl>`, 304 to a matching `If-None-Match` (or, without one, to an
 * `If-Modified-Since` not older than the document), CORS for any origin, and a switch that makes it
 * answer 503 (to show clients riding out a discovery outage).
 * @internal
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

import { answerPreflight, sendJson } from './http'

/** Where the emulator serves its manifest, on its public port. @internal */
export const DISCOVERY_PATH = '/discovery.json'

/** One published document. @internal */
export interface PublishedDocument {
  /** The exact bytes served. */
  readonly bytes: Buffer
  /** The strong ETag, quoted. */
  readonly etag: string
  /** HTTP date, whole seconds. */
  readonly lastModified: string
  /** Seconds a cache may keep it. */
  readonly maxAge: number
}

/** The discovery endpoint's state and request handler. @internal */
export class DiscoveryEndpoint {
  #document: PublishedDocument | undefined
  #lastModifiedMs = 0
  /** When true, every GET answers 503. */
  failing = false
  /** Requests answered, by status, for the operator state. */
  readonly served = { ok: 0, notModified: 0, failed: 0 }

  /** The document being served. */
  get document(): PublishedDocument | undefined {
    return this.#document
  }

  /** Serves `bytes` from now on; Last-Modified is now, and always later than the previous one. */
  publish(bytes: Buffer, maxAge: number): PublishedDocument {
    const now = Math.floor(Date.now() / 1000) * 1000
    // A revision published within the same second still gets a later date, so If-Modified-Since stays exact.
    this.#lastModifiedMs = Math.max(now, this.#lastModifiedMs + 1000)
    this.#document = {
      bytes,
      etag: `"${createHash('sha256').update(bytes).digest('base64url')}"`,
      lastModified: new Date(this.#lastModifiedMs).toUTCString(),
      maxAge,
    }
    return this.#document
  }

  /** Answers one request for the manifest URL (GET, HEAD, OPTIONS). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res, 'GET, HEAD, OPTIONS')
      return
    }
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'ETag, Last-Modified',
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(
        res,
        405,
        { error: 'The discovery manifest is read with GET.' },
        { ...cors, Allow: 'GET, HEAD, OPTIONS' },
      )
      return
    }
    const document = this.#document
    if (this.failing || !document) {
      this.served.failed++
      sendJson(res, 503, { error: 'Discovery is unavailable (the emulator was told to fail).' }, cors)
      return
    }
    const headers = {
      ...cors,
      ETag: document.etag,
      'Last-Modified': document.lastModified,
      'Cache-Control': `public, max-age=${document.maxAge}`,
      Vary: 'Accept-Encoding',
    }
    if (this.#notModified(req, document)) {
      this.served.notModified++
      res.writeHead(304, headers)
      res.end()
      return
    }
    this.served.ok++
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': document.bytes.length,
    })
    res.end(req.method === 'HEAD' ? undefined : document.bytes)
  }

  #notModified(req: IncomingMessage, document: PublishedDocument): boolean {
    const ifNoneMatch = req.headers['if-none-match']
    if (ifNoneMatch !== undefined) {
      // Weak comparison, as RFC 9110 prescribes for If-None-Match.
      return ifNoneMatch
        .split(',')
        .map((tag) => tag.trim().replace(/^W\//, ''))
        .some((tag) => tag === '*' || tag === document.etag)
    }
    const since = Date.parse(String(req.headers['if-modified-since'] ?? ''))
    return !Number.isNaN(since) && since >= Date.parse(document.lastModified)
  }
}
