/**
 * The 64 KiB manifest limit at its boundary, with and without a declared Content-Length, and how many
 * bytes the client actually reads from a body it refuses (counted at the fetch the client was given).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterEach, describe, expect, it } from 'vitest'

import { createClient } from '../../src/client'
import { MAX_MANIFEST_BYTES } from '../../src/discovery/limits'
import { startHttpServer } from '../../src/emulator/http'
import { scopedLogger, type FetchLike } from '../../src/environment'
import { isBlueGreenError } from '../../src/errors'
import { startManifestServer } from '../helpers/manifestServer'
import { countingFetch } from '../helpers/countingFetch'
import { manifest } from '../helpers/manifests'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

/** The test manifest padded with trailing spaces (valid JSON) to exactly `size` bytes. */
function bodyOf(size: number): Buffer {
  const text = JSON.stringify(manifest({ revision: 3 }))
  return Buffer.from(text + ' '.repeat(size - Buffer.byteLength(text)))
}

/** Serves `/<size>?framing=length|chunked` as a manifest of exactly `size` bytes. */
async function sizedServer(): Promise<string> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x')
    const body = bodyOf(Number(url.pathname.slice(1)))
    if (url.searchParams.get('framing') === 'length') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.byteLength })
      res.end(body)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    // Uneven chunks, so the limit falls inside one.
    res.write(body.subarray(0, 1000))
    res.write(body.subarray(1000, 40_000))
    res.end(body.subarray(40_000))
  }
  const s = await startHttpServer(handle, {
    port: 0,
    logger: scopedLogger(undefined, 'test'),
    label: 'sized',
  })
  open.push(s)
  return s.url
}

async function load(url: string, fetchImpl?: FetchLike): Promise<string | number> {
  const c = createClient({ discovery: url, timeoutMs: 5_000, ...(fetchImpl ? { fetch: fetchImpl } : {}) })
  try {
    return (await c.ready()).revision
  } catch (error) {
    return isBlueGreenError(error) ? error.code : String(error)
  } finally {
    await c.close()
  }
}

/** The documented limit, written out: boundaries must not move with the constant under test. */
const LIMIT = 64 * 1024

describe('the 64 KiB manifest limit', () => {
  it('is exactly 64 KiB', () => {
    expect(MAX_MANIFEST_BYTES).toBe(LIMIT)
  })

  it.each(['length', 'chunked'])(
    'with %s framing: 64 KiB - 1 and 64 KiB are accepted, 64 KiB + 1 is MANIFEST_TOO_LARGE',
    async (framing) => {
      const url = await sizedServer()
      const at = (size: number) => load(`${url}/${size}?framing=${framing}`)
      expect(await at(LIMIT - 1)).toBe(3)
      expect(await at(LIMIT)).toBe(3)
      expect(await at(LIMIT + 1)).toBe('MANIFEST_TOO_LARGE')
    },
  )
})

describe('bytes read from a refused body', () => {
  it('a declared Content-Length of 100 MB is refused before any of the body is read', async () => {
    const s = await startManifestServer(manifest())
    open.push(s)
    s.fail({ kind: 'huge', bytes: 100 * 1024 * 1024, declareLength: true })
    const counter = countingFetch()
    expect(await load(s.url, counter.fetch)).toBe('MANIFEST_TOO_LARGE')
    expect(counter.read()).toBe(0)
  })

  it('an undeclared 100 MB body is cut off just past 64 KiB', async () => {
    const s = await startManifestServer(manifest())
    open.push(s)
    s.fail({ kind: 'huge', bytes: 100 * 1024 * 1024 })
    const counter = countingFetch()
    expect(await load(s.url, counter.fetch)).toBe('MANIFEST_TOO_LARGE')
    // The limit plus at most the chunk that crossed it.
    expect(counter.read()).toBeGreaterThan(LIMIT)
    expect(counter.read()).toBeLessThanOrEqual(2 * LIMIT)
    expect(s.hugeBytesSent).toBeLessThan(16 * 1024 * 1024)
  })
})
