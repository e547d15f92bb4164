/**
 * What the media watchdog costs with 100 sessions on one page, in real Chromium with real WebRTC media:
 * 100 receiving peer connections on one page, each getting an Opus stream (packets every 20 ms) from the
 * other end of a loopback pair held by a second page in another browser context (so another renderer
 * process, whose encoding work is not measured), and the liveness watch (src/session/drivers/liveness.ts,
 * bundled from source by esbuild: it is internal) on every receiving connection at the default viewer
 * timings. Three arms, interleaved in a rotating order in each of 5 repetitions, each over the same fixed
 * window: no watch (the baseline), one timer per session, and the shared sweep (one timer and one
 * getStats() round per page and tick, what the library does). Measured: the receiving page's renderer
 * process CPU time (CDP SystemInfo.getProcessInfo) and its main-thread task time (CDP
 * Performance.getMetrics TaskDuration), each per second of window.
 *
 * The pairs are local to the browser, not connected to the emulator's werift media node: that node runs
 * in Node on the same 2 cores, and 100 subscriptions' SRTP there would be measured as noise in the browser.
 * Run alone (under the shared lock): flock /tmp/browser.lock sh -c 'npm run build && npm run bench -- watchdog'
 */
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'
import { chromium, type CDPSession, type Page } from 'playwright-core'

import { CHROMIUM, CHROMIUM_FLAGS } from '../test/e2e/helpers/engines'
import { fmt, fmtSpread, KeptFigures, ratios, spread } from './stats'
import type { BenchResult } from './types'

const SESSIONS = 100
const REPETITIONS = 5
const WINDOW_MS = 6000
const SETTLE_MS = 1000
const MODES = ['none', 'per-session', 'shared'] as const
type Mode = (typeof MODES)[number]
const TITLE = `Media watchdog: CPU for ${SESSIONS} sessions on one page (Chromium, real WebRTC)`
const LABEL: Record<Mode, string> = {
  none: 'no watch (baseline)',
  'per-session': 'one timer per session',
  shared: 'shared sweep (the library)',
}

interface Sample {
  /** Renderer CPU, ms per second of window. */
  readonly renderer: number
  /** Main-thread task time, ms per second of window. */
  readonly task: number
}

/** The receiving page and how to read its costs. */
interface Receiver {
  readonly page: Page
  readonly cdp: CDPSession
  readonly browserCdp: CDPSession
  /** Its renderer processes (ids). */
  readonly pids: readonly number[]
}

type Api = Record<string, (arg: never) => unknown>

function call<T>(page: Page, name: string, arg?: unknown): Promise<T> {
  return page.evaluate(
    ([fn, value]) => (globalThis as never as { watchdogBench: Api }).watchdogBench[fn]!(value as never),
    [name, arg] as const,
  ) as Promise<T>
}

async function pageBundle(): Promise<string> {
  const entry = fileURLToPath(new URL('./watchdog/page.ts', import.meta.url))
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
  })
  return out.outputFiles[0]!.text
}

async function renderers(browserCdp: CDPSession): Promise<Map<number, number>> {
  const info = (await browserCdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number; cpuTime: number }[]
  }
  return new Map(info.processInfo.filter((p) => p.type === 'renderer').map((p) => [p.id, p.cpuTime]))
}

async function rendererCpuSeconds(receiver: Receiver): Promise<number> {
  const cpu = await renderers(receiver.browserCdp)
  return receiver.pids.reduce((sum, pid) => sum + (cpu.get(pid) ?? Number.NaN), 0)
}

async function taskSeconds(pageCdp: CDPSession): Promise<number> {
  const { metrics } = (await pageCdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[]
  }
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN
}

async function measure(receiver: Receiver, mode: Mode): Promise<Sample> {
  await call(receiver.page, 'start', mode)
  await receiver.page.waitForTimeout(SETTLE_MS)
  const cpu0 = await rendererCpuSeconds(receiver)
  const task0 = await taskSeconds(receiver.cdp)
  const t0 = performance.now()
  await receiver.page.waitForTimeout(WINDOW_MS)
  const cpu1 = await rendererCpuSeconds(receiver)
  const task1 = await taskSeconds(receiver.cdp)
  const seconds = (performance.now() - t0) / 1000
  await call(receiver.page, 'stop')
  return { renderer: ((cpu1 - cpu0) * 1000) / seconds, task: ((task1 - task0) * 1000) / seconds }
}

export default async function watchdogBench(): Promise<BenchResult> {
  const code = await pageBundle()
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
  try {
    const browserCdp = await browser.newBrowserCDPSession()
    const load = async (): Promise<Page> => {
      const page = await (await browser.newContext()).newPage()
      await page.goto('about:blank')
      await page.addScriptTag({ content: code })
      return page
    }
    const senders = await load()
    const before = new Set((await renderers(browserCdp)).keys())
    const page = await load()
    const pids = [...(await renderers(browserCdp)).keys()].filter((pid) => !before.has(pid))
    const answers = await call<string[]>(page, 'answer', await call<string[]>(senders, 'offers', SESSIONS))
    await call(senders, 'accept', answers)
    const flowing = await call<number>(page, 'flowing')
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const receiver: Receiver = { page, cdp, browserCdp, pids }
    const samples: Record<Mode, Sample[]> = { none: [], 'per-session': [], shared: [] }
    for (let rep = 0; rep < REPETITIONS; rep++) {
      for (let i = 0; i < MODES.length; i++) {
        samples[MODES[(rep + i) % MODES.length]!].push(
          await measure(receiver, MODES[(rep + i) % MODES.length]!),
        )
      }
    }
    const verdicts = await call<number>(page, 'stop')
    const why = await call<string>(page, 'why')
    return report(samples, { flowing, verdicts, why, renderers: pids.length, version: browser.version() })
  } finally {
    await browser.close()
  }
}

interface RunFacts {
  readonly flowing: number
  readonly verdicts: number
  readonly why: string
  readonly renderers: number
  readonly version: string
}

function report(samples: Record<Mode, Sample[]>, facts: RunFacts): BenchResult {
  const renderer = (mode: Mode): number[] => samples[mode].map((s) => s.renderer)
  const task = (mode: Mode): number[] => samples[mode].map((s) => s.task)
  const over = (mode: Mode, pick: (m: Mode) => number[]): number[] =>
    pick(mode).map((value, i) => value - pick('none')[i]!)
  const perSessionCpu = spread(over('per-session', renderer))
  const sharedCpu = spread(over('shared', renderer))
  const perSessionTask = spread(over('per-session', task))
  const sharedTask = spread(over('shared', task))
  const sharedVsPerSession = spread(ratios(over('shared', renderer), over('per-session', renderer)))
  const kept = new KeptFigures()
  const sharedKept = kept.add('watchdogSharedRendererMsPerS', sharedCpu.samples, { digits: 2 }).kept
  kept.add('watchdogPerSessionRendererMsPerS', perSessionCpu.samples, { digits: 2 })
  kept.add('watchdogSharedTaskMsPerS', sharedTask.samples, { digits: 2 })
  kept.add('watchdogPerSessionTaskMsPerS', perSessionTask.samples, { digits: 2 })
  kept.add('watchdogSharedVsPerSessionCpu', sharedVsPerSession.samples, { digits: 3 })
  const rows = MODES.map((mode) => {
    const ratio = mode === 'none' ? '1' : fmtSpread(spread(ratios(renderer(mode), renderer('none'))), 3)
    return `| ${LABEL[mode]} | ${fmtSpread(spread(renderer(mode)), 0)} | ${fmtSpread(spread(task(mode)), 0)} | ${ratio} |`
  })
  const markdown = [
    `${SESSIONS} receiving peer connections on one page of Chromium ${facts.version} (headless, 2 shared cores; the ${facts.renderers} renderer process(es) started with the receiving page measured), each getting an Opus stream from the other end of a loopback pair in a second page (another browser context and renderer process, not measured); ${facts.flowing} of ${SESSIONS} had media before measuring. The watch runs at the default viewer timings (a rule of the code: getStats() every 250 ms, 1 s inactivity, 0.5 s grace). ${REPETITIONS} repetitions, each running the three arms once in a rotating order over a ${WINDOW_MS / 1000} s window after ${SETTLE_MS / 1000} s of settling; median (min..max, spread) over the repetitions. Verdicts the watch gave on these healthy connections: ${facts.verdicts}${facts.why === '' ? '' : ` (${facts.why})`}.`,
    '',
    '| arm | renderer CPU, ms per s | main-thread tasks, ms per s | renderer CPU / baseline |',
    '|---|---|---|---|',
    ...rows,
    '',
    `Watch cost over the baseline of the same repetition, renderer CPU: one timer per session ${fmtSpread(perSessionCpu, 1)} ms/s, shared sweep ${fmtSpread(sharedCpu, 1)} ms/s (${sharedKept ? `${fmt(sharedCpu.median / 10, 2)} % of one core for ${SESSIONS} sessions, ${fmt((sharedCpu.median * 1000) / SESSIONS, 0)} µs per session per second` : `within the noise of this shared machine: the renderer's own CPU moves more between repetitions than the watch costs, so no figure for it is kept`}). Main-thread tasks: one timer per session ${fmtSpread(perSessionTask, 1)} ms/s, shared sweep ${fmtSpread(sharedTask, 1)} ms/s. Shared sweep / one timer per session, renderer CPU over the baseline, per repetition: ${fmtSpread(sharedVsPerSession, 2)}.`,
    '',
    ...kept.lines(2),
  ].join('\n')
  return {
    title: TITLE,
    markdown,
    figures: {
      watchdogSessions: SESSIONS,
      ...kept.figures,
      notKept: kept.notKept,
      watchdogVerdictsOnHealthy: facts.verdicts,
    },
  }
}
