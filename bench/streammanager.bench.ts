/**
 * Stream Manager assignment: the client's CPU per `resolve()` against a bare `fetch()` + `json()` of the
 * same URL, and what in-flight sharing saves when many players open at once.
 *
 * - CPU per call: the loopback Stream Manager (2.0 shape) runs in a child process, so
 *   `process.cpuUsage()` here counts the client's side only (user + system, every thread). Three paths,
 *   interleaved in batches with a rotating order (bench/stats.ts), 5 repetitions. A middle path,
 *   `getLimited()` on a plain `createHttp()` instance, shows the share of the shared HTTP layer (ky).
 *   Wall time is not reported: on a 0.1 ms loopback it measures the scheduler of a shared machine, and
 *   what a user feels is time to first frame (measured in Chromium in its own benchmark).
 * - Sharing: 100 identical resolves started together; requests the Stream Manager saw vs 100.
 *
 * Run alone: npx tsx bench/run.ts streammanager
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { resolveEnvironment } from '../src/environment'
import { createHttp, getLimited } from '../src/internal/http'
import { createAssigner } from '../src/streammanager'
import { answerTooLarge } from '../src/streammanager/http'
import type { ManifestEnvironment } from '../src/types'
import { startStreamManagerServer } from '../test/helpers/streamManagerServer'
import { cpuPerCall, fmt, fmtSpread, ratios, spread } from './stats'
import type { BenchResult } from './types'

const CONCURRENT = 100
const ROUNDS = 41
const BATCH = 40

/** A loopback Stream Manager (2.0) in a child process; resolves with its URL and the process. */
async function childStreamManager(): Promise<{ url: string; child: ChildProcess }> {
  const helper = fileURLToPath(new URL('../test/helpers/streamManagerServer.ts', import.meta.url))
  const code = [
    `const { startStreamManagerServer } = await import(${JSON.stringify(helper)})`,
    "const sm = await startStreamManagerServer({ api: 'sm2' })",
    // Keep the request log from growing over tens of thousands of calls.
    'setInterval(() => { sm.requests.length = 0 }, 500)',
    'process.stdout.write(sm.url + "\\n")',
  ].join('\n')
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) {
        resolve(out.trim())
      }
    })
    child.once('exit', (code) => reject(new Error(`the Stream Manager child exited (${code})`)))
  })
  return { url, child }
}

function environmentOf(url: string): ManifestEnvironment {
  return {
    streamManager: url,
    api: 'sm2',
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
  }
}

async function cpuFigures(): Promise<Map<string, number[]>> {
  const { url: smUrl, child } = await childStreamManager()
  try {
    const environment = environmentOf(smUrl)
    const assigner = createAssigner(resolveEnvironment({}, 'bench'), { timeoutMs: 5000 })
    const url = `${smUrl}/as/v1/streams/stream/default/publish/live/stage`
    const shared = createHttp(resolveEnvironment({}, 'bench'), {
      timeoutMs: 5000,
      retries: 2,
      backoffBaseMs: 250,
      backoffCapMs: 5000,
      maxRetryAfterMs: 10_000,
    })
    return await cpuPerCall(
      [
        {
          name: 'bare',
          fn: async () => {
            const response = await fetch(url, { headers: { accept: 'application/json' } })
            await response.json()
          },
        },
        {
          name: 'layer',
          fn: async () => {
            const response = await getLimited(shared, url, {
              what: 'the bench Stream Manager',
              unavailableCode: 'STREAM_MANAGER_UNAVAILABLE',
              maxBytes: 64 * 1024,
              tooLarge: answerTooLarge,
              headers: { accept: 'application/json' },
            })
            JSON.parse(new TextDecoder().decode(response.body))
          },
        },
        { name: 'resolve', fn: () => assigner.resolve('green', environment, 'stage', 'publish') },
      ],
      { rounds: ROUNDS, batch: BATCH, warmup: 300 },
    )
  } finally {
    child.kill()
  }
}

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
  const cpu = await cpuFigures()
  const sharedRequests = await sharing()
  const bare = cpu.get('bare')!
  const layer = spread(cpu.get('layer')!)
  const resolve = spread(cpu.get('resolve')!)
  const layerRatio = spread(ratios(cpu.get('layer')!, bare))
  const resolveRatio = spread(ratios(cpu.get('resolve')!, bare))
  const markdown = [
    'Client CPU per call (`process.cpuUsage()`, user + system, all threads of the client process; the loopback ' +
      `Stream Manager, 2.0 shape, runs in a child process). Batches of ${BATCH} sequential calls, the three paths ` +
      `interleaved in a rotating order, ${ROUNDS} rounds per repetition (each reports its 10th-percentile round); ` +
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
  return {
    title: 'Stream Manager assignment: client CPU per resolve() and in-flight sharing',
    markdown,
    figures: {
      bareCpuUs: Number(spread(bare).median.toFixed(1)),
      sharedLayerCpuUs: Number(layer.median.toFixed(1)),
      resolveCpuUs: Number(resolve.median.toFixed(1)),
      sharedLayerCpuRatio: Number(layerRatio.median.toFixed(3)),
      resolveCpuRatio: Number(resolveRatio.median.toFixed(3)),
      resolveCpuRatioSpreadPct: Number((resolveRatio.relative * 100).toFixed(0)),
      concurrentResolves: CONCURRENT,
      requestsForConcurrentResolves: sharedRequests,
      requestsSaved: CONCURRENT - sharedRequests,
    },
  }
}
