/**
 * Stream Manager assignment: the client's CPU per `resolve()` against a bare `fetch()` + `json()` of the
 * same URL, and what in-flight sharing saves when many players open at once.
 *
 * - CPU per call (bench/cpu/resolve.ts, in a child pinned to one core with bench/stats.ts runPinned):
 *   the loopback Stream Manager (2.0 shape) runs in a process of its own, so `process.cpuUsage()` counts
 *   the client's side only (user + system, every thread). Three paths,
 *   interleaved in batches with a rotating order (bench/stats.ts), 5 repetitions. A middle path,
 *   `getLimited()` on a plain `createHttp()` instance, shows the share of the shared HTTP layer (ky).
 *   Wall time is not reported: on a 0.1 ms loopback it measures the scheduler of a shared machine, and
 *   what a user feels is time to first frame (measured in Chromium in its own benchmark).
 * - Sharing: 100 identical resolves started together; requests the Stream Manager saw vs 100.
 *
 * Run alone: npx tsx bench/run.ts streammanager
 */
import { fileURLToPath } from 'node:url'

import { resolveEnvironment } from '../src/environment'
import { createAssigner } from '../src/streammanager'
import { startStreamManagerServer } from '../test/helpers/streamManagerServer'
import { fmt, fmtSpread, KeptFigures, ratios, runPinned, spread } from './stats'
import { CPU_BATCH, CPU_ROUNDS, environmentOf } from './streammanager/environment'
import type { BenchResult } from './types'

const CONCURRENT = 100

/** 100 players open the same stream at once: how many requests reach the Stream Manager. */
async function sharing(): Promise<number> {
  const sm = await startStreamManagerServer({ api: 'sm2' })
  try {
    const assigner = createAssigner(resolveEnvironment({}, 'bench'), { timeoutMs: 5000 })
    sm.answerDelayMs = 20
    const assignments = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        assigner.resolve('green', environmentOf(sm.url), 'stage', 'publish'),
      ),
    )
    if (assignments.length !== CONCURRENT) {
      throw new Error('some concurrent resolves did not complete')
    }
    return sm.requests.length
  } finally {
    await sm.close()
  }
}

export default async function streamManagerBench(): Promise<BenchResult> {
  const { pinned, result } = await runPinned<Record<'bare' | 'layer' | 'resolve', number[]>>(
    fileURLToPath(new URL('./cpu/resolve.ts', import.meta.url)),
  )
  const cpu = new Map(Object.entries(result))
  const sharedRequests = await sharing()
  const bare = cpu.get('bare')!
  const layer = spread(cpu.get('layer')!)
  const resolve = spread(cpu.get('resolve')!)
  const layerRatio = spread(ratios(cpu.get('layer')!, bare))
  const resolveRatio = spread(ratios(cpu.get('resolve')!, bare))
  const markdown = [
    'Client CPU per call (`process.cpuUsage()`, user + system, all threads of the client process; the loopback ' +
      `Stream Manager, 2.0 shape, runs in a process of its own; ${pinned ? 'both pinned to one core with `taskset -c 0`, so every hand-off between them costs the same in every run' : 'NOT pinned (no taskset: figures may not repeat)'}). ` +
      `Batches of ${CPU_BATCH} sequential calls, the three paths interleaved in a rotating order, ${CPU_ROUNDS} rounds per repetition (each reports its 10th-percentile round); ` +
      'median of 5 repetitions (min..max, spread = (max - min) / median).',
    '',
    '| path | client CPU per call, ratio to bare |',
    '| --- | ---: |',
    `| bare \`fetch()\` + \`json()\` (baseline) | 1.00 (${fmt(spread(bare).median, 0)} µs; ${fmt(spread(bare).min, 0)}..${fmt(spread(bare).max, 0)}) |`,
    `| shared HTTP layer alone: \`getLimited()\` on \`createHttp()\` (ky) + \`JSON.parse\` | ${fmtSpread(layerRatio, 2)} |`,
    `| \`assigner.resolve()\` (ky, retries armed, body buffered within 64 KiB, validation, endpoint) | **${fmtSpread(resolveRatio, 2)}** |`,
    '',
    `For scale, medians in µs this run: layer ${fmt(layer.median, 0)}, resolve ${fmt(resolve.median, 0)} (absolute CPU ` +
      'moves with the load other tenants put on this shared machine; the ratios, measured interleaved, repeat).',
    '',
    'No target: this is CPU the page spends per assignment, paid once per session start or move. What a user ' +
      "feels is the time to first frame, measured in Chromium against Red5's SDK alone in its own section.",
    '',
    `In-flight sharing: ${CONCURRENT} identical resolves started together reached the Stream Manager as ` +
      `**${sharedRequests}** request${sharedRequests === 1 ? '' : 's'} (${CONCURRENT - sharedRequests} saved).`,
  ].join('\n')
  const kept = new KeptFigures()
  kept.absoluteCpu('bareCpuUs', spread(bare).median)
  kept.absoluteCpu('sharedLayerCpuUs', layer.median)
  kept.absoluteCpu('resolveCpuUs', resolve.median)
  kept.add('sharedLayerCpuRatio', layerRatio.samples, { digits: 3 })
  kept.add('resolveCpuRatio', resolveRatio.samples, { digits: 3 })
  return {
    title: 'Stream Manager assignment: client CPU per resolve() and in-flight sharing',
    markdown: [markdown, '', ...kept.lines(3)].join('\n'),
    figures: {
      ...kept.figures,
      notKept: kept.notKept,
      resolveCpuRatioSpreadPct: Number((resolveRatio.relative * 100).toFixed(0)),
      concurrentResolves: CONCURRENT,
      requestsForConcurrentResolves: sharedRequests,
      requestsSaved: CONCURRENT - sharedRequests,
    },
  }
}
