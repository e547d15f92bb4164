/**
 * whipDriver's failure paths against the werift media node behind a loopback front that misbehaves on
 * purpose: an answer whose ICE can never connect (connect timeout), a refused SDP answer (PATCH 400), and
 * a live connection whose node dies (ICE fails on a live connection).
 */
import { createSocket } from 'node:dgram'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, it, vi } from 'vitest'
import { MediaStream, MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift'

import { startMediaNode, type MediaNode } from '../../src/emulator/mediaNode'
import { isBlueGreenError } from '../../src/errors'
import type { SignalingTarget } from '../../src/session/drivers/Driver'
import { whipDriver, type WhipDriverOptions } from '../../src/session/drivers/whip'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

class LoopbackPeer extends RTCPeerConnection {
  constructor(config?: ConstructorParameters<typeof RTCPeerConnection>[0]) {
    super({ ...config, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false })
  }
}

async function node(): Promise<MediaNode> {
  const media = await startMediaNode({ name: 'failures' })
  cleanups.push(() => media.close())
  return media
}

/** Forwards to `upstream`; `rewrite` may answer itself (returns true) or change the upstream answer's body. */
async function front(
  upstream: string,
  rewrite: (req: IncomingMessage, res: ServerResponse, body: string) => boolean,
  answer: (method: string, text: string) => string = (_method, text) => text,
  request: (method: string, text: string) => string = (_method, text) => text,
): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      if (rewrite(req, res, body)) {
        return
      }
      void (async () => {
        const upstreamAnswer = await fetch(`${upstream}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers:
            typeof req.headers['content-type'] === 'string'
              ? { 'content-type': req.headers['content-type'] }
              : {},
          ...(body === '' ? {} : { body: request(req.method ?? 'GET', body) }),
        })
        const headers: Record<string, string> = {}
        upstreamAnswer.headers.forEach((value, key) => {
          if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(key)) {
            headers[key] = value
          }
        })
        res
          .writeHead(upstreamAnswer.status, headers)
          .end(answer(req.method ?? 'GET', await upstreamAnswer.text()))
      })().catch(() => res.writeHead(502).end())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function target(base: string, kind: 'publish' | 'subscribe'): SignalingTarget {
  return {
    kind,
    environment: 'green',
    streamName: 'cam1',
    app: 'live',
    endpoint: `${base}/live/${kind === 'publish' ? 'whip' : 'whep'}/endpoint/cam1`,
    serverAddress: '127.0.0.1',
  }
}

/** A video track fed with VP8-like RTP every 20 ms (a publisher is live once its media flows). */
function source(): MediaStream {
  const video = new MediaStreamTrack({ kind: 'video' })
  let seq = 0
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff
    const payload = Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, seq >> 8, seq & 0xff])
    video.writeRtp(
      new RtpPacket(
        new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: true }),
        payload,
      ),
    )
  }, 20)
  cleanups.push(() => clearInterval(timer))
  return new MediaStream([video])
}

const driver = (options: WhipDriverOptions = {}) =>
  whipDriver({ RTCPeerConnection: LoopbackPeer as never, trickle: false, ...options })

describe('whipDriver failure paths', () => {
  it('an answer whose ICE never connects ends start-up with TIMEOUT after connectTimeoutMs', async () => {
    const media = await node()
    // The node learns no candidate of ours, and we learn only a UDP port that swallows every packet:
    // connectivity checks go unanswered (ICE keeps checking, it does not fail).
    const blackhole = createSocket('udp4')
    await new Promise<void>((resolve) => blackhole.bind(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => blackhole.close(() => resolve())))
    const candidate = `a=candidate:1 1 udp 2130706431 127.0.0.1 ${blackhole.address().port} typ host\r\n`
    const strip = (text: string): string => text.replace(/^a=candidate:.*\r?\n/gm, '')
    const base = await front(
      media.url,
      () => false,
      (method, text) => (method === 'POST' ? strip(text).replace(/^(m=.*\r?\n)/m, `$1${candidate}`) : text),
      (method, text) => (method === 'POST' ? strip(text) : text),
    )
    const started = performance.now()
    const error = await driver({ connectTimeoutMs: 800 })
      .publish(target(base, 'publish'), { mediaStream: source() as never }, new AbortController().signal)
      .catch((e: unknown) => e)
    expect(isBlueGreenError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'TIMEOUT' })
    expect((error as Error).message).toMatch(/within 800 ms/)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('ICE failing during start-up (no candidate either way) ends it with MEDIA_FAILED at once', async () => {
    const media = await node()
    const strip = (method: string, text: string): string =>
      method === 'POST' ? text.replace(/^a=candidate:.*\r?\n/gm, '') : text
    const base = await front(media.url, () => false, strip, strip)
    const error = await driver({ connectTimeoutMs: 10_000 })
      .publish(target(base, 'publish'), { mediaStream: source() as never }, new AbortController().signal)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'MEDIA_FAILED' })
    expect((error as Error).message).toMatch(/failed before media flowed/)
  })

  it('a node refusing the PATCHed SDP answer (400) ends a WHEP start-up with MEDIA_FAILED and status 400', async () => {
    const media = await node()
    const publisher = await driver().publish(
      target(media.url, 'publish'),
      { mediaStream: source() as never },
      new AbortController().signal,
    )
    cleanups.push(() => publisher.close())
    const base = await front(media.url, (req, res) => {
      if (req.method === 'PATCH' && req.headers['content-type'] === 'application/sdp') {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad answer"}')
        return true
      }
      return false
    })
    const error = await driver({ whepFlavour: 'server-offer' })
      .subscribe(target(base, 'subscribe'), {}, new AbortController().signal)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'MEDIA_FAILED', status: 400 })
    expect((error as Error).message).toContain('refused the SDP answer')
    expect((error as Error).message).toContain('bad answer')
  })

  it('a live connection whose node dies ends with onEnd(error)', async () => {
    const media = await node()
    const session = await driver({ inactivityTimeoutMs: 1_000, disconnectGraceMs: 500 }).publish(
      target(media.url, 'publish'),
      { mediaStream: source() as never },
      new AbortController().signal,
    )
    cleanups.push(() => session.close())
    const ended: (Error | undefined)[] = []
    session.onEnd((error) => ended.push(error))
    await media.kill()
    await vi.waitFor(() => expect(ended).toHaveLength(1), { timeout: 15_000 })
    expect(isBlueGreenError(ended[0])).toBe(true)
  })
})
