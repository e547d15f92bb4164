/**
 * Discovery: what a client running for one simulated hour (ttl 15 s) costs the manifest origin, and the
 * CPU cost of accepting a signed manifest against a plain JSON.parse of the same bytes.
 */
import { Bench } from 'tinybench'

import { createClient } from '../src/client'
import { EnvelopeVerifier, generateKeyPair, signManifest } from '../src/discovery/dsse'
import { ManifestLoader } from '../src/discovery/loadManifest'
import { memoryStorage, resolveEnvironment } from '../src/environment'
import { createHttp } from '../src/internal/http'
import { stepClock } from '../test/helpers/clock'
import { startManifestServer } from '../test/helpers/manifestServer'
import { manifest, promoted } from '../test/helpers/manifests'
import { fmt } from './stats'
import type { BenchResult } from './types'

async function simulatedHour(): Promise<{
  requests: number
  notModified: number
  revisions: number
  bytes: number
  naiveBytes: number
}> {
  let document = manifest({ ttl: 15 })
  const server = await startManifestServer(document)
  const clock = stepClock()
  const start = clock.now()
  const client = createClient({ discovery: server.url, clock, storage: memoryStorage() })
  await client.ready()
  const bodyBytes = JSON.stringify(document).length
  let bytes = bodyBytes
  // Two promotions during the hour, as an operator would do on a release day.
  const changes = [20 * 60_000, 40 * 60_000]
  while (clock.now() - start < 3600_000) {
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
    if (server.requests.at(-1)?.status === 200) {
      bytes += JSON.stringify(document).length
    }
  }
  await client.close()
  await server.close()
  const requests = server.requests.length
  return {
    requests,
    notModified: server.requests.filter((r) => r.status === 304).length,
    revisions: client.manifest?.revision ?? 0,
    bytes,
    naiveBytes: requests * bodyBytes,
  }
}

async function signedCost(): Promise<{ parseUs: number; plainUs: number; signedUs: number }> {
  const key = await generateKeyPair()
  const document = manifest({ revision: 42 })
  const plainBytes = new TextEncoder().encode(JSON.stringify(document))
  const envelope = await signManifest(plainBytes, [{ keyid: 'ops', privateKey: key.privateKeyPem }])
  const signedBytes = new TextEncoder().encode(JSON.stringify(envelope))
  const env = resolveEnvironment({ storage: memoryStorage() }, 'bench')
  const http = createHttp(env, {
    timeoutMs: 1000,
    retries: 0,
    backoffBaseMs: 1,
    backoffCapMs: 1,
    maxRetryAfterMs: 1,
  })
  const settings = { urls: [], rules: {}, timeoutMs: 1000, storageKey: 'bench' }
  const plainLoader = new ManifestLoader(env, http, { ...settings, verifier: undefined })
  const verifier = new EnvelopeVerifier([{ keyid: 'ops', publicKey: key.publicKey }], 1)
  const signedLoader = new ManifestLoader(env, http, {
    ...settings,
    storageKey: 'bench-signed',
    verifier: async () => verifier,
  })
  const bench = new Bench({ time: 1500, warmupTime: 300 })
  bench
    .add('JSON.parse of the plain manifest (baseline)', () => {
      JSON.parse(new TextDecoder().decode(plainBytes))
    })
    .add('accept an unsigned manifest', async () => {
      await plainLoader.accept(plainBytes, 'application/json', 'bench')
    })
    .add('accept a signed manifest (DSSE, Ed25519)', async () => {
      await signedLoader.accept(signedBytes, 'application/json', 'bench')
    })
  await bench.run()
  const median = (i: number): number => (bench.tasks[i]!.result!.latency.p50 ?? Number.NaN) * 1000
  return { parseUs: median(0), plainUs: median(1), signedUs: median(2) }
}

export default async function discoveryBench(): Promise<BenchResult> {
  const hour = await simulatedHour()
  const cost = await signedCost()
  const share = (100 * hour.notModified) / hour.requests
  const markdown = [
    '### One client, one simulated hour, ttl 15 s (real loopback HTTP, virtual clock)',
    '',
    '| figure | value | target |',
    '| --- | --- | --- |',
    `| requests made | ${hour.requests} | about 3600 / 15 × 1.05 = 252 (revalidation spread below the ttl) |`,
    `| answered 304 Not Modified | ${hour.notModified} (${fmt(share)} %) | >= 95 % |`,
    `| revisions followed | ${hour.revisions - 1} promotions (revision ${hour.revisions}) | 2 |`,
    `| manifest bytes sent | ${hour.bytes} | baseline without conditional requests: ${hour.naiveBytes} (${fmt((100 * hour.bytes) / hour.naiveBytes)} %) |`,
    '',
    '### CPU cost of accepting a manifest (median per call, same run)',
    '',
    '| operation | median µs | ratio to JSON.parse |',
    '| --- | --- | --- |',
    `| JSON.parse of the same bytes (baseline) | ${fmt(cost.parseUs, 2)} | 1.0 |`,
    `| accept unsigned (parse, schema, rules, SHA-256, rollback record) | ${fmt(cost.plainUs, 2)} | ${fmt(cost.plainUs / cost.parseUs)} |`,
    `| accept signed (+ DSSE PAE and one Ed25519 verify, WebCrypto) | ${fmt(cost.signedUs, 2)} | ${fmt(cost.signedUs / cost.parseUs)} |`,
    '',
    'A client accepts a manifest once per new revision (304s skip all of this), so even the signed cost is paid a few times an hour.',
  ].join('\n')
  return {
    title: 'Discovery: revalidation cost and signed manifests',
    markdown,
    figures: {
      hourRequests: hour.requests,
      hourNotModifiedShare: Number(share.toFixed(2)),
      signedAcceptMedianUs: Number(cost.signedUs.toFixed(2)),
      parseMedianUs: Number(cost.parseUs.toFixed(2)),
      signedOverParse: Number((cost.signedUs / cost.parseUs).toFixed(1)),
    },
  }
}
