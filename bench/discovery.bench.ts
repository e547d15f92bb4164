/**
 * Discovery: what a client running for one simulated hour (ttl 15 s) costs on the wire, against the same
 * client without conditional requests (same run, same revalidation schedule), and the CPU cost of
 * accepting a manifest, unsigned and signed, against a plain JSON.parse of the same bytes.
 *
 * - Wire bytes are counted by a TCP relay in front of the loopback discovery server (bench/wire.ts):
 *   request lines, headers and bodies, both directions, as Node's fetch (undici) sends them.
 * - CPU is `process.cpuUsage()` (user + system, every thread) per call in a child pinned to one core
 *   (bench/cpu/accept.ts, bench/stats.ts runPinned), the three operations interleaved
 *   in batches, over 5 repetitions: each figure is the median with its range.
 */
import { fileURLToPath } from 'node:url'

import { createClient } from '../src/client'
import { memoryStorage, type FetchLike } from '../src/environment'
import { stepClock } from '../test/helpers/clock'
import { startManifestServer } from '../test/helpers/manifestServer'
import { manifest, promoted } from '../test/helpers/manifests'
import { fmt, fmtSpread, KeptFigures, ratios, runPinned, seeded, spread, type Spread } from './stats'
import type { BenchResult } from './types'
import { countWire } from './wire'

const TTL_S = 15
const HOUR_MS = 3600_000

/** The global fetch without the conditional request headers: every revalidation gets the whole manifest. */
const unconditional: FetchLike = (input, init) => {
  const request = new Request(input, init)
  const headers = new Headers(request.headers)
  headers.delete('if-none-match')
  headers.delete('if-modified-since')
  return fetch(new Request(request, { headers }))
}

interface Hour {
  requests: number
  notModified: number
  revisions: number
  /** Client to server, on the wire. */
  sent: number
  /** Server to client, on the wire. */
  received: number
  connections: number
}

async function simulatedHour(conditional: boolean): Promise<Hour> {
  let document = manifest({ ttl: TTL_S })
  const server = await startManifestServer(document)
  const wire = await countWire(server.url)
  const clock = stepClock()
  const start = clock.now()
  const client = createClient({
    discovery: `${wire.url}${new URL(server.url).pathname}`,
    clock,
    random: seeded(7),
    storage: memoryStorage(),
    ...(conditional ? {} : { fetch: unconditional }),
  })
  try {
    await client.ready()
    // Two promotions during the hour, as an operator would do on a release day.
    const changes = [20 * 60_000, 40 * 60_000]
    while (clock.now() - start < HOUR_MS) {
      const next = changes[0]
      if (next !== undefined && clock.now() - start >= next) {
        changes.shift()
        document = promoted(document, document.roles.production === 'green' ? 'blue' : 'green')
        server.set(document)
      }
      const before = server.requests.length
      if (clock.runNext() === undefined) {
        throw new Error('the client stopped revalidating')
      }
      // Wait until this revalidation finished (a new timer is scheduled).
      while (server.requests.length === before || clock.pending().length === 0) {
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    return {
      requests: server.requests.length,
      notModified: server.requests.filter((r) => r.status === 304).length,
      revisions: client.manifest?.revision ?? 0,
      sent: wire.sent,
      received: wire.received,
      connections: wire.connections,
    }
  } finally {
    await client.close()
    await wire.close()
    await server.close()
  }
}

interface AcceptCost {
  pinned: boolean
  parse: Spread
  plain: Spread
  signed: Spread
  plainRatio: Spread
  signedRatio: Spread
}

async function acceptCost(): Promise<AcceptCost> {
  const { pinned, result } = await runPinned<Record<'parse' | 'plain' | 'signed', number[]>>(
    fileURLToPath(new URL('./cpu/accept.ts', import.meta.url)),
  )
  return {
    pinned,
    parse: spread(result.parse),
    plain: spread(result.plain),
    signed: spread(result.signed),
    plainRatio: spread(ratios(result.plain, result.parse)),
    signedRatio: spread(ratios(result.signed, result.parse)),
  }
}

export default async function discoveryBench(): Promise<BenchResult> {
  const ours = await simulatedHour(true)
  const naive = await simulatedHour(false)
  const cost = await acceptCost()
  const share = (100 * ours.notModified) / ours.requests
  const wire = (h: Hour): number => h.sent + h.received
  const perRequest = (h: Hour, bytes: number): string => fmt(bytes / h.requests, 0)
  const bytesRow = (what: string, pick: (h: Hour) => number): string =>
    `| ${what} | ${pick(ours)} (${perRequest(ours, pick(ours))} per request) | ${pick(naive)} (${perRequest(naive, pick(naive))} per request) | ${fmt((100 * pick(ours)) / pick(naive))} % |`
  const markdown = [
    `### One client, one simulated hour, ttl ${TTL_S} s (real loopback HTTP, virtual clock)`,
    '',
    '| figure | value | target |',
    '| --- | --- | --- |',
    `| requests made | ${ours.requests} | about 3600 / ${TTL_S} × 1.05 = ${Math.round((3600 / TTL_S) * 1.05)} (revalidation spread below the ttl) |`,
    `| answered 304 Not Modified | ${ours.notModified} (${fmt(share)} %) | >= 95 % |`,
    `| revisions followed | ${ours.revisions - 1} promotions (revision ${ours.revisions}) | 2 |`,
    '',
    'Bytes on the wire, counted by a TCP relay in front of the discovery server (status and request lines, ' +
      "headers and bodies; Node fetch's own request headers), against the same client with its conditional " +
      `headers removed (same revalidation schedule, same run: ${naive.requests} requests, every one answered 200):`,
    '',
    '| bytes | red5pro-bluegreen (conditional, mostly 304) | baseline without conditional requests | ours / baseline |',
    '| --- | ---: | ---: | ---: |',
    bytesRow('client to server', (h) => h.sent),
    bytesRow('server to client', (h) => h.received),
    bytesRow('both directions', wire),
    '',
    `The manifest here is ${JSON.stringify(manifest({ ttl: TTL_S })).length} B of JSON; headers dominate a 304, and a browser ` +
      'sends more of them than Node (user agent, client hints, cookies), which brings the two columns closer. ' +
      `TCP connections: ${ours.connections} and ${naive.connections} (keep-alive across revalidations where the pool kept them).`,
    '',
    '### CPU cost of accepting a manifest (per call, same run)',
    '',
    `\`process.cpuUsage()\` (user + system, all threads) of a child process ${cost.pinned ? 'pinned to one core (`taskset -c 0`: every hand-off to the WebCrypto thread costs the same in every run)' : 'NOT pinned (no taskset: figures may not repeat)'}, over batches of calls, the three operations interleaved ` +
      '(rotating order); each repetition reports the 10th percentile of its 41 rounds (the least disturbed: other tenants of the machine only add CPU); median of 5 repetitions (min..max, spread = (max - min) / median).',
    '',
    '| operation | CPU µs per call | ratio to JSON.parse |',
    '| --- | --- | --- |',
    `| JSON.parse of the same bytes (baseline) | ${fmtSpread(cost.parse, 2)} | 1.0 |`,
    `| accept unsigned (parse, schema, rules, SHA-256, rollback record) | ${fmtSpread(cost.plain, 1)} | ${fmtSpread(cost.plainRatio, 1)} |`,
    `| accept signed (+ DSSE PAE and one Ed25519 verify, WebCrypto) | ${fmtSpread(cost.signed, 1)} | ${fmtSpread(cost.signedRatio, 1)} |`,
    '',
    'A client accepts a manifest once per new revision (304s skip all of this), so even the signed cost is paid a few times an hour.',
  ].join('\n')
  const kept = new KeptFigures()
  kept.absoluteCpu('parseCpuUs', cost.parse.median)
  kept.absoluteCpu('plainAcceptCpuUs', cost.plain.median)
  kept.absoluteCpu('signedAcceptCpuUs', cost.signed.median)
  kept.add('plainOverParse', cost.plainRatio.samples, { digits: 1 })
  kept.add('signedOverParse', cost.signedRatio.samples, { digits: 1 })
  return {
    title: 'Discovery: revalidation cost and signed manifests',
    markdown: [markdown, '', ...kept.lines(1)].join('\n'),
    figures: {
      hourRequests: ours.requests,
      hourNotModifiedShare: Number(share.toFixed(2)),
      wireBytes: wire(ours),
      wireBytesWithoutConditional: wire(naive),
      wireShare: Number(((100 * wire(ours)) / wire(naive)).toFixed(1)),
      ...kept.figures,
      notKept: kept.notKept,
      signedOverParseSpreadPct: Number((cost.signedRatio.relative * 100).toFixed(0)),
    },
  }
}
