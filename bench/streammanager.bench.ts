/**
 * Stream Manager assignment: what `resolve()` costs on top of the HTTP round trip it makes, and what
 * in-flight sharing saves when many players open at once.
 *
 * - Latency: a warm assigner's `resolve()` against a bare `fetch()` + `json()` of the same URL on the
 *   same loopback Stream Manager (2.0 shape), 2,000 sequential calls each, interleaved in blocks of 100
 *   (rotating which goes first) so all share the machine's noise. Target: median ratio <= 1.2.
 *   A third path, `getLimited()` on a plain `createHttp()` instance, shows the floor the shared HTTP
 *   layer (ky) sets for any caller, so the report separates ky's cost from the assigner's.
 * - Sharing: 100 identical resolves started together; requests the Stream Manager saw vs 100.
 *
 * Run alone: npx tsx -e "import('./bench/streammanager.bench.ts').then(async m => console.log((await m.default()).markdown))"
 */
import { resolveEnvironment } from '../src/environment'
import { createHttp, getLimited } from '../src/internal/http'
import { createAssigner } from '../src/streammanager'
import { answerTooLarge } from '../src/streammanager/http'
import type { ManifestEnvironment } from '../src/types'
import { startStreamManagerServer } from '../test/helpers/streamManagerServer'
import { fmt, percentile } from './stats'
import type { BenchResult } from './types'

const CALLS = 2000
const BLOCK = 100
const WARMUP = 200
const CONCURRENT = 100

export default async function streamManagerBench(): Promise<BenchResult> {
  const sm = await startStreamManagerServer({ api: 'sm2' })
  try {
    const environment: ManifestEnvironment = {
      streamManager: sm.url,
      api: 'sm2',
      nodeGroup: 'default',
      app: 'live',
      transport: 'proxy',
      state: 'serving',
    }
    const assigner = createAssigner(resolveEnvironment({}, 'bench'), { timeoutMs: 5000 })
    const url = `${sm.url}/as/v1/streams/stream/default/publish/live/stage`

    const bare = async (): Promise<void> => {
      const response = await fetch(url, { headers: { accept: 'application/json' } })
      await response.json()
    }
    const resolve = async (): Promise<void> => {
      await assigner.resolve('green', environment, 'stage', 'publish')
    }
    const env = resolveEnvironment({}, 'bench')
    const shared = createHttp(env, {
      timeoutMs: 5000,
      retries: 2,
      backoffBaseMs: 250,
      backoffCapMs: 5000,
      maxRetryAfterMs: 10_000,
    })
    const layer = async (): Promise<void> => {
      const response = await getLimited(shared, url, {
        what: 'the bench Stream Manager',
        unavailableCode: 'STREAM_MANAGER_UNAVAILABLE',
        maxBytes: 64 * 1024,
        tooLarge: answerTooLarge,
        headers: { accept: 'application/json' },
      })
      JSON.parse(new TextDecoder().decode(response.body))
    }
    const time = async (fn: () => Promise<void>, into: number[], count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const started = performance.now()
        await fn()
        into.push(performance.now() - started)
      }
    }

    // Warm both paths (connection pool, JIT) before measuring.
    await time(bare, [], WARMUP)
    await time(layer, [], WARMUP)
    await time(resolve, [], WARMUP)

    const bareMs: number[] = []
    const layerMs: number[] = []
    const resolveMs: number[] = []
    const paths: [() => Promise<void>, number[]][] = [
      [bare, bareMs],
      [layer, layerMs],
      [resolve, resolveMs],
    ]
    for (let block = 0; block < CALLS / BLOCK; block++) {
      for (let i = 0; i < paths.length; i++) {
        const [fn, into] = paths[(block + i) % paths.length]!
        await time(fn, into, BLOCK)
      }
    }

    // In-flight sharing: 100 players open the same stream at once.
    sm.answerDelayMs = 20
    const before = sm.requests.length
    const assignments = await Promise.all(
      Array.from({ length: CONCURRENT }, () => assigner.resolve('green', environment, 'stage', 'publish')),
    )
    const sharedRequests = sm.requests.length - before
    if (assignments.length !== CONCURRENT) {
      throw new Error('some concurrent resolves did not complete')
    }

    const bareMedian = percentile(bareMs, 50)
    const bareP99 = percentile(bareMs, 99)
    const resolveMedian = percentile(resolveMs, 50)
    const resolveP99 = percentile(resolveMs, 99)
    const layerMedian = percentile(layerMs, 50)
    const layerP99 = percentile(layerMs, 99)
    const medianRatio = resolveMedian / bareMedian
    const p99Ratio = resolveP99 / bareP99
    const layerRatio = layerMedian / bareMedian
    const markdown = [
      `Loopback Stream Manager (2.0 shape), ${CALLS} sequential calls each, interleaved in blocks of ${BLOCK}, after ${WARMUP} warm-up calls each.`,
      '',
      '| path | median (ms) | p99 (ms) | median vs bare |',
      '| --- | ---: | ---: | ---: |',
      `| bare \`fetch()\` + \`json()\` (baseline) | ${fmt(bareMedian, 3)} | ${fmt(bareP99, 3)} | 1.00 |`,
      `| shared HTTP layer alone: \`getLimited()\` on \`createHttp()\` (ky) + \`JSON.parse\` | ${fmt(layerMedian, 3)} | ${fmt(layerP99, 3)} | ${fmt(layerRatio, 2)} |`,
      `| \`assigner.resolve()\` (ky, retries armed, body buffered within 64 KiB, validation, endpoint) | ${fmt(resolveMedian, 3)} | ${fmt(resolveP99, 3)} | **${fmt(medianRatio, 2)}** |`,
      '',
      `Target: median ratio <= 1.2 — ${medianRatio <= 1.2 ? 'met' : 'NOT met'} (p99 ratio ${fmt(p99Ratio, 2)}). ` +
        `The shared HTTP layer alone accounts for ${fmt(layerRatio, 2)}×; the assigner adds ` +
        `${fmt((resolveMedian - layerMedian) * 1000, 0)} µs on top of it (buffering the body inside the attempt, ` +
        'validation, endpoint building). On loopback the round trip is ~0.2 ms, so per-call CPU dominates; ' +
        'against a real Stream Manager milliseconds away, the same absolute overhead would be a small fraction of the call.',
      '',
      `In-flight sharing: ${CONCURRENT} identical resolves started together reached the Stream Manager as ` +
        `**${sharedRequests}** request${sharedRequests === 1 ? '' : 's'} (${CONCURRENT - sharedRequests} saved).`,
    ].join('\n')
    return {
      title: 'Stream Manager assignment: resolve() overhead and in-flight sharing',
      markdown,
      figures: {
        bareMedianMs: Number(bareMedian.toFixed(4)),
        bareP99Ms: Number(bareP99.toFixed(4)),
        resolveMedianMs: Number(resolveMedian.toFixed(4)),
        resolveP99Ms: Number(resolveP99.toFixed(4)),
        sharedLayerMedianMs: Number(layerMedian.toFixed(4)),
        sharedLayerMedianRatio: Number(layerRatio.toFixed(3)),
        medianRatio: Number(medianRatio.toFixed(3)),
        p99Ratio: Number(p99Ratio.toFixed(3)),
        concurrentResolves: CONCURRENT,
        requestsForConcurrentResolves: sharedRequests,
        requestsSaved: CONCURRENT - sharedRequests,
      },
    }
  } finally {
    await sm.close()
  }
}
