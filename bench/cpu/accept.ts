/**
 * Child entry of bench/discovery.bench.ts (run pinned to one core by `runPinned`): CPU per call of
 * JSON.parse, accepting an unsigned manifest and accepting a signed one, interleaved (bench/stats.ts
 * `cpuPerCall`). Prints `{ parse, plain, signed }`, µs per call for each of 5 repetitions, as one JSON line.
 */
import { EnvelopeVerifier, generateKeyPair, signManifest } from '../../src/discovery/dsse'
import { ManifestLoader } from '../../src/discovery/loadManifest'
import { memoryStorage, resolveEnvironment } from '../../src/environment'
import { createHttp } from '../../src/internal/http'
import { manifest } from '../../test/helpers/manifests'
import { cpuPerCall } from '../stats'

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
const cpu = await cpuPerCall(
  [
    { name: 'parse', fn: () => JSON.parse(new TextDecoder().decode(plainBytes)), batch: 5_000 },
    { name: 'plain', fn: () => plainLoader.accept(plainBytes, 'application/json', 'bench'), batch: 150 },
    { name: 'signed', fn: () => signedLoader.accept(signedBytes, 'application/json', 'bench'), batch: 40 },
  ],
  { rounds: 41, batch: 100, warmup: 500 },
)
process.stdout.write(`${JSON.stringify(Object.fromEntries(cpu))}\n`)
