/**
 * The media node answers WHIP and WHEP at once even when name lookups hang. werift 0.24 asks a STUN
 * server for a reflexive candidate while it gathers (stun.l.google.com when none is configured) and
 * waits up to 5 s for it; on a machine without that route the resolver now and then drops the query, and
 * the node's answer (WHIP) or offer (WHEP, Red5's server-offer flavour) then came 5 s late: the ~5.5 s
 * time-to-first-frame outliers of bench/ttff.bench.ts. The node's peers now ask the emulator's loopback
 * STUN server (src/emulator/media/stun.ts), which needs no lookup. Both tests fail (about 5 s) without it.
 */
import dns from 'node:dns'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { startMediaNode, type MediaNode } from '../../src/emulator/mediaNode'
import { weriftPublisher, type Cleanups } from '../helpers/weriftMedia'

const cleanups: Cleanups = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** From now on, a lookup of any name never answers (what a dropped DNS query looks like for 5 s). */
function hangNameLookups(): string[] {
  const names: string[] = []
  const real = dns.promises.lookup.bind(dns.promises)
  vi.spyOn(dns.promises, 'lookup').mockImplementation(((hostname: string, ...rest: unknown[]) => {
    names.push(hostname)
    return hostname === 'localhost'
      ? (real as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest)
      : new Promise(() => undefined)
  }) as typeof dns.promises.lookup)
  return names
}

async function timed(request: Promise<Response>): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now()
  const response = await request
  const body = await response.text()
  return { status: response.status, ms: performance.now() - started, body }
}

describe('the media node with name lookups hanging', () => {
  it('answers a WHIP offer and makes its WHEP offer in well under werift’s 5 s STUN wait', async () => {
    // The publisher's own offer first: it is a werift peer too, and gathers before the lookups hang.
    const publisher = await weriftPublisher(cleanups)
    const media: MediaNode = await startMediaNode({ name: 'stun-node' })
    cleanups.push(() => media.close())
    const names = hangNameLookups()

    const whip = await timed(
      fetch(`${media.url}/live/whip/endpoint/cam`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: publisher.offer,
      }),
    )
    expect(whip.status).toBe(201)
    expect(whip.ms).toBeLessThan(1500)

    const whep = await timed(fetch(`${media.url}/live/whep/endpoint/cam`, { method: 'POST' }))
    expect(whep.status).toBe(201)
    expect(whep.body).toMatch(/^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m)
    expect(whep.ms).toBeLessThan(1500)
    // Nothing asked the resolver: the STUN server is an address.
    expect(names).toEqual([])
  })
})
