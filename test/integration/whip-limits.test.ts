/**
 * whipDriver against hostile signalling servers on loopback: bodies over the 64 KiB limit (declared or
 * streamed) and a `Retry-After` far beyond the driver's cap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterEach, describe, expect, it } from 'vitest'
import { MediaStream, MediaStreamTrack, RTCPeerConnection } from 'werift'

import { startHttpServer } from '../../src/emulator/http'
import { scopedLogger, systemClock, type Clock } from '../../src/environment'
import { isBlueGreenError } from '../../src/errors'
import { whipDriver } from '../../src/session/drivers/whip'
import { MAX_SIGNALLING_BYTES, sendRequest } from '../../src/session/drivers/whip/http'
import { countingFetch } from '../helpers/countingFetch'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

async function server(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = await startHttpServer(handle, { port: 0, logger: scopedLogger(undefined, 'test'), label: 'node' })
  open.push(s)
  return s.url
}

/** Answers every request with `bytes` bytes of SDP-ish text, declared or chunked; counts what it sent. */
async function hugeNode(bytes: number, declare: boolean): Promise<{ url: string; sent(): number }> {
  let sent = 0
  const url = await server((_req, res) => {
    res.writeHead(201, {
      'content-type': 'application/sdp',
      location: '/resource/1',
      ...(declare ? { 'content-length': String(bytes) } : {}),
    })
    const chunk = Buffer.alloc(16 * 1024, 0x61)
    const pump = (): void => {
      while (sent < bytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent))
        sent += piece.length
        if (!res.write(piece)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    res.on('error', () => undefined)
    pump()
  })
  return { url, sent: () => sent }
}

const post = (url: string) => ({
  method: 'POST' as const,
  url,
  body: 'v=0',
  timeoutMs: 10_000,
  what: 'WHIP POST',
})

/** The documented limit, written out: boundaries must not move with the constant under test. */
const LIMIT = 64 * 1024

describe('WHIP/WHEP answer size', () => {
  it('is limited to 64 KiB', () => {
    expect(MAX_SIGNALLING_BYTES).toBe(LIMIT)
  })

  it.each([true, false])(
    'an answer of exactly 64 KiB is read; one byte more is MEDIA_FAILED (Content-Length declared: %s)',
    async (declare) => {
      const exact = await hugeNode(LIMIT, declare)
      const answer = await sendRequest(fetch, systemClock(), post(`${exact.url}/live/whip/endpoint/cam1`))
      expect(answer.body).toHaveLength(LIMIT)
      const over = await hugeNode(LIMIT + 1, declare)
      const error = await sendRequest(fetch, systemClock(), post(`${over.url}/x`)).catch((e: unknown) => e)
      expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
      expect((error as Error).message).toMatch(/more than 65536 bytes/)
    },
  )

  it('a declared 300 MB answer is refused before any of it is read', async () => {
    const node = await hugeNode(300 * 1024 * 1024, true)
    const counter = countingFetch()
    const error = await sendRequest(counter.fetch, systemClock(), post(`${node.url}/x`)).catch(
      (e: unknown) => e,
    )
    expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
    expect(counter.read()).toBe(0)
  })

  it('an undeclared 300 MB answer is cut off just past 64 KiB', async () => {
    const node = await hugeNode(300 * 1024 * 1024, false)
    const counter = countingFetch()
    const error = await sendRequest(counter.fetch, systemClock(), post(`${node.url}/x`)).catch(
      (e: unknown) => e,
    )
    expect(isBlueGreenError(error, 'MEDIA_FAILED')).toBe(true)
    expect(counter.read()).toBeGreaterThan(LIMIT)
    expect(counter.read()).toBeLessThanOrEqual(2 * LIMIT)
    expect(node.sent()).toBeLessThan(32 * 1024 * 1024)
  })
})

describe('Retry-After', () => {
  it('a 503 asking for an hour is retried after maxRetryAfterMs at most', async () => {
    let posts = 0
    const url = await server((req, res) => {
      posts += req.method === 'POST' ? 1 : 0
      res.writeHead(503, { 'retry-after': '3600' }).end()
    })
    const delays: number[] = []
    const base = systemClock()
    const clock: Clock = { ...base, setTimeout: (fn, ms) => (delays.push(ms), base.setTimeout(fn, ms)) }
    const driver = whipDriver({
      RTCPeerConnection: RTCPeerConnection as never,
      clock,
      maxPostAttempts: 2,
      maxRetryAfterMs: 50,
    })
    const track = new MediaStreamTrack({ kind: 'video' })
    const started = performance.now()
    const error = await driver
      .publish(
        {
          kind: 'publish',
          environment: 'green',
          streamName: 'cam1',
          app: 'live',
          endpoint: `${url}/live/whip/endpoint/cam1`,
          serverAddress: '127.0.0.1',
        },
        { mediaStream: new MediaStream([track]) as never },
        new AbortController().signal,
      )
      .catch((e: unknown) => e)
    // After the last attempt: the 503 itself, with what the server asked for.
    expect(error).toMatchObject({ code: 'MEDIA_FAILED', status: 503, retryAfterMs: 3_600_000 })
    expect(posts).toBe(2)
    // Cut to maxRetryAfterMs, then jitter above it (at most the 1 s minimum spread): never the hour.
    expect(delays.filter((ms) => ms >= 50 && ms < 1_050)).toHaveLength(1)
    expect(delays).not.toContain(3_600_000)
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})
