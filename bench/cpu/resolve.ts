/**
 * Child entry of bench/streammanager.bench.ts (run pinned to one core by `runPinned`, and so is the
 * Stream Manager it starts as its own child): client CPU per call of a bare fetch, the shared HTTP layer
 * and `assigner.resolve()`, interleaved (bench/stats.ts `cpuPerCall`). Prints `{ bare, layer, resolve }`,
 * µs per call for each of 5 repetitions, as one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { resolveEnvironment } from '../../src/environment'
import { createHttp, getLimited } from '../../src/internal/http'
import { createAssigner } from '../../src/streammanager'
import { answerTooLarge } from '../../src/streammanager/http'
import { CPU_BATCH, CPU_ROUNDS, environmentOf } from '../streammanager/environment'
import { cpuPerCall } from '../stats'

/** A loopback Stream Manager (2.0) in a child process; resolves with its URL and the process. */
async function childStreamManager(): Promise<{ url: string; child: ChildProcess }> {
  const helper = fileURLToPath(new URL('../../test/helpers/streamManagerServer.ts', import.meta.url))
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
      { rounds: CPU_ROUNDS, batch: CPU_BATCH, warmup: 300 },
    )
  } finally {
    child.kill()
  }
}

const cpu = await cpuFigures()
process.stdout.write(`${JSON.stringify(Object.fromEntries(cpu))}\n`)
