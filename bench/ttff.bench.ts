/**
 * Time to first frame for a viewer, in real Chromium with real WebRTC media, with the emulator adding a
 * round-trip delay (`startEmulator({ latencyMs })`) to every Stream Manager and discovery request, as if
 * the cluster were that far from the viewer. Measured in the page (bench/ttff/page.ts): from the click on
 * "play" to the first frame its <video> presents (requestVideoFrameCallback).
 *
 * Per Stream Manager generation (green: 1.x, blue: 2.0), the same broadcaster (our client, whipDriver,
 * the fake camera) publishing, and each variant in a fresh browser context (no HTTP cache, no cached CORS
 * preflight, no open connection), interleaved round by round (the start rotates each round):
 * - ours cold: `createClient()` + `subscribe()` at the click (whipDriver);
 * - ours with `client.ready()` called at page load (the manifest is there before the click);
 * - Red5's SDK alone, pointed at the known Stream Manager as a Red5 app does without this package:
 *   1.x: GET the edge, then WHEPClient through the `live` proxy (npm's 11.0.0, and the newest build);
 *   2.0 (SDK 13+): WHEPClient with `endpoint` = `{sm}/as/v1/proxy/whep/live/{stream}` +
 *   `connectionParams.nodeGroup`, the proxy picking the node (every build >= 13 in RED5PRO_SDK_BUILDS).
 * Both media nodes answer WHEP in Red5's server-offer flavour (their offer, the viewer PATCHes its answer),
 * for every variant.
 * Every request each page sent between the click and its first frame is listed (fetch and XHR), so the
 * round trips can be counted; CORS preflights (a browser's own OPTIONS before an OPTIONS, a POST of
 * application/sdp or a PATCH) are not visible to the page and come on top.
 *
 * Needs dist/ and Chromium at /usr/bin/chromium. Run: npm run build && npm run bench -- ttff
 * (under the shared lock: flock /tmp/browser.lock sh -c 'npm run build && npm run bench -- ttff').
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { startEmulator, type Emulator } from '../src/emulator'
import { bundleForBrowser, requireDist, root } from '../test/e2e/helpers/bundle'
import { CHROMIUM, launchBrowser, type E2eBrowser } from '../test/e2e/helpers/engines'
import { findRed5proSdkBuilds, type SdkBuild } from '../test/helpers/red5proBuilds'
import { serveFolder, type StaticSite } from '../test/helpers/staticSite'
import { KeptFigures, percentile } from './stats'
import { ttffChart, type ChartRow } from './ttff/chart'
import type { TtffApi, TtffSpec, TtffState } from './ttff/page'
import type { BenchResult } from './types'

/** The round-trip delay the emulator adds (a rule of this simulation, not a measurement). */
const LATENCY_MS = 50
const ROUNDS = Number(process.env.TTFF_ROUNDS ?? 9)
const STREAM = 'ttff'
const TITLE = `Time to first frame, ${LATENCY_MS} ms round trip to the cluster (Chromium, real media)`
const CHART = 'bench/ttff-chart.svg'

/** One measured variant. */
interface Variant {
  readonly key: string
  readonly label: string
  readonly environment: 'green' | 'blue'
  readonly variant: TtffSpec['variant']
  readonly sdk?: SdkBuild
  readonly ours: boolean
}

/** One run of one variant. */
interface Run {
  readonly ms: number
  /** Requests between the click and the first frame, `METHOD path`. */
  readonly requests: readonly string[]
  /** Every step of the run, ms after the click: the page's requests and answers, its peer connection's steps, the emulator's log. */
  readonly trace: readonly string[]
}

/** A run slower than this gets its trace printed in the notes. */
const SLOW_MS = 2000

/** The emulator's log lines, with when they were written (epoch ms), for the runs' traces. */
const emulatorLog: { at: number; line: string }[] = []
const logTo =
  (level: string) =>
  (message: string): void => {
    emulatorLog.push({ at: performance.timeOrigin + performance.now(), line: `${level} ${message}` })
  }

const GENERATION = { green: 'Stream Manager 1.x (green)', blue: 'Stream Manager 2.0 (blue)' } as const

function variants(): Variant[] {
  const builds = findRed5proSdkBuilds()
  // 11.0.0 is npm's (or the same build from RED5PRO_SDK_BUILDS, which replaces it in the list).
  const npm = builds.find((b) => b.version === '11.0.0' || b.source === 'npm')
  const newest = builds.filter((b) => b !== npm).at(-1)
  // 13+ have the `endpoint` option the 2.0 proxy needs (knowledge/red5pro-sdk-versions.md).
  const withEndpoint = builds.filter((b) => Number(b.version.split('.')[0]) >= 13)
  const list: Variant[] = []
  for (const environment of ['green', 'blue'] as const) {
    list.push(
      {
        key: `${environment}Cold`,
        label: 'ours, cold (createClient + subscribe)',
        environment,
        variant: 'cold',
        ours: true,
      },
      {
        key: `${environment}Ready`,
        label: 'ours, ready() at page load',
        environment,
        variant: 'ready',
        ours: true,
      },
      {
        key: `${environment}ReadySerial`,
        label: 'ours, ready(), before the cuts',
        environment,
        variant: 'ready-serial',
        ours: true,
      },
    )
  }
  for (const sdk of [npm, newest]) {
    if (sdk !== undefined) {
      list.push({
        key: `greenRed5Sdk${sdk.version}`,
        label: `Red5 SDK ${sdk.version} alone (GET edge + live proxy)`,
        environment: 'green',
        variant: 'red5-sm1',
        sdk,
        ours: false,
      })
    }
  }
  for (const sdk of withEndpoint) {
    list.push({
      key: `blueRed5Sdk${sdk.version}`,
      label: `Red5 SDK ${sdk.version} alone (endpoint + nodeGroup)`,
      environment: 'blue',
      variant: 'red5-sm2',
      sdk,
      ours: false,
    })
  }
  return list.sort((a, b) => a.environment.localeCompare(b.environment) * -1)
}

/** Bundles bench/ttff/page.ts with the built package and serves it beside the Red5 SDK builds. */
async function startSite(list: readonly Variant[]): Promise<{ site: StaticSite; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bluegreen-ttff-'))
  await bundleForBrowser({ app: 'bench/ttff/entry.js' }, dir)
  copyFileSync(join(root, 'bench/ttff/index.html'), join(dir, 'index.html'))
  for (const { sdk } of list) {
    if (sdk !== undefined) {
      copyFileSync(sdk.entry, join(dir, sdkScript(sdk).slice(1)))
    }
  }
  return { site: await serveFolder(dir), dir }
}

function sdkScript(sdk: SdkBuild): string {
  return `/red5pro-sdk-${sdk.version}-${sdk.source === 'npm' ? 'npm' : 'build'}.js`
}

type Window = { ttff: TtffApi }

async function measureOnce(browser: E2eBrowser, site: StaticSite, emu: Emulator, v: Variant): Promise<Run> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${site.url}/`)
    await page.waitForFunction(() => 'ttff' in globalThis)
    const spec: TtffSpec = {
      variant: v.variant,
      discovery: emu.discoveryUrl,
      environment: v.environment,
      streamManager: emu.environments[v.environment].streamManager,
      streamName: STREAM,
      ...(v.sdk ? { sdkScript: sdkScript(v.sdk) } : {}),
    }
    await page.evaluate((s) => (globalThis as unknown as Window).ttff.prepare(s), spec)
    await page.click('#play')
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as Window).ttff.state()
      return s.firstFrameAt !== undefined || s.error !== undefined
    }, 30_000)
    const state = await page.evaluate(() => (globalThis as unknown as Window).ttff.state(), undefined)
    const origin = await page.evaluate(() => performance.timeOrigin, undefined)
    await page
      .evaluate(() => (globalThis as unknown as Window).ttff.close(), undefined)
      .catch(() => undefined)
    return toRun(v, state, origin)
  } finally {
    await context.close()
  }
}

function toRun(v: Variant, state: TtffState, origin: number): Run {
  if (state.error !== undefined || state.firstFrameAt === undefined || state.clickAt === undefined) {
    throw new Error(`${v.label} on ${v.environment}: ${state.error ?? 'no frame'}`)
  }
  const first = state.firstFrameAt
  const click = state.clickAt
  return {
    ms: Math.round(first - click),
    requests: state.requests
      .filter((r) => r.at <= first)
      .map((r) => `${r.method} ${describePath(r.url)} @${Math.round(r.at - click)}`),
    trace: trace(state, origin),
  }
}

/** The run's steps in time order, ms after the click (page clock; the emulator's log mapped onto it). */
function trace(state: TtffState, origin: number): string[] {
  const click = state.clickAt!
  const end = state.firstFrameAt!
  const steps: { at: number; what: string }[] = [{ at: end, what: 'first frame presented' }]
  for (const r of state.requests) {
    steps.push({ at: r.at, what: `page: ${r.method} ${describePath(r.url)} sent` })
    if (r.doneAt !== undefined) {
      steps.push({ at: r.doneAt, what: `page: ${r.method} ${describePath(r.url)} answered ${r.status}` })
    }
  }
  for (const s of state.steps) {
    steps.push({ at: s.at, what: `page: ${s.step}` })
  }
  for (const e of emulatorLog) {
    const at = e.at - origin
    if (at >= click - 50 && at <= end + 50) {
      steps.push({ at, what: `emulator: ${e.line}` })
    }
  }
  return steps
    .filter((s) => s.at >= click - 50 && s.at <= end + 50)
    .sort((a, b) => a.at - b.at)
    .map((s) => `@${Math.round(s.at - click)} ${s.what}`)
}

/** A request's path with the stream name, ids and node addresses folded, for the report. */
function describePath(url: string): string {
  const parsed = new URL(url)
  const keys = [...parsed.searchParams.keys()].filter((k) => k !== 'requestId')
  const path = parsed.pathname
    .replace(/\/resource\/.*$/, '/resource/…')
    .replace(new RegExp(`/${STREAM}(?=/|$)`), '/{stream}')
  return `${path}${keys.length > 0 ? `?${keys.join('&')}` : ''}`
}

const median = (values: readonly number[]): number => percentile(values, 50)

function row(v: Variant, runs: readonly Run[]): string {
  const ms = runs.map((r) => r.ms)
  return (
    `| ${GENERATION[v.environment]} | ${v.ours ? '**' : ''}${v.label}${v.ours ? '**' : ''} | ${runs.length} | ` +
    `**${median(ms)}** | ${Math.min(...ms)}–${Math.max(...ms)} | ${percentile(ms, 25)}–${percentile(ms, 75)} | ` +
    `${median(runs.map((r) => r.requests.length))} |`
  )
}

export default async function ttffBench(): Promise<BenchResult> {
  if (!existsSync(CHROMIUM)) {
    return {
      title: TITLE,
      markdown: `Skipped: no Chromium at ${CHROMIUM} (scripts/ensure-chromium.sh).`,
      figures: { skipped: 'no browser' },
    }
  }
  requireDist()
  const list = variants()
  // Both nodes answer every WHEP POST with their own offer, as Red5 does (knowledge/red5pro-wire.md):
  // without it the emulator's 'auto' would answer whipDriver's offer (RFC 9725), a flow Red5 never offers.
  const emu = await startEmulator({
    latencyMs: LATENCY_MS,
    logger: { debug: logTo('debug'), info: logTo('info'), warn: logTo('warn'), error: logTo('error') },
    green: { whepFlavour: 'server-offer' },
    blue: { whepFlavour: 'server-offer' },
  })
  const { site, dir } = await startSite(list)
  const browser = await launchBrowser('chromium')
  const runs = new Map<string, Run[]>(list.map((v) => [v.key, []]))
  try {
    const broadcaster = await (await browser.newContext()).newPage()
    await broadcaster.goto(`${site.url}/`)
    await broadcaster.waitForFunction(() => 'ttff' in globalThis)
    for (const environment of ['green', 'blue']) {
      await broadcaster.evaluate(
        ([discovery, env, stream]) => (globalThis as unknown as Window).ttff.publish(discovery, env, stream),
        [emu.discoveryUrl, environment, STREAM] as [string, string, string],
      )
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved: every variant once per round, the starting variant rotating.
      for (let i = 0; i < list.length; i++) {
        const v = list[(i + round) % list.length]!
        const run = await measureOnce(browser, site, emu, v)
        runs.get(v.key)!.push(run)
        if (run.ms > SLOW_MS) {
          process.stderr.write(
            `slow run: ${v.environment} ${v.label}: ${run.ms} ms\n  ${run.trace.join('\n  ')}\n`,
          )
        }
      }
    }
  } finally {
    await browser.close()
    await site.close()
    await emu.close()
    await rm(dir, { recursive: true, force: true })
  }
  return report(list, runs)
}

function report(list: readonly Variant[], runs: ReadonlyMap<string, Run[]>): BenchResult {
  const of = (key: string): number[] => (runs.get(key) ?? []).map((r) => r.ms)
  const chartRows: ChartRow[] = list.map((v) => ({
    label: v.label,
    group: GENERATION[v.environment],
    values: of(v.key),
    ours: v.ours,
  }))
  writeFileSync(
    join(root, CHART),
    ttffChart(
      TITLE,
      `${ROUNDS} interleaved runs per variant, each in a fresh context; the emulator adds ${LATENCY_MS} ms to every Stream Manager and discovery request`,
      chartRows,
    ),
  )
  const figures: Record<string, number | string> = { latencyMs: LATENCY_MS, rounds: ROUNDS }
  const kept = new KeptFigures()
  for (const v of list) {
    const ms = of(v.key)
    kept.add(`${v.key}MedianMs`, ms)
    figures[`${v.key}SpreadMs`] = Math.max(...ms) - Math.min(...ms)
  }
  const ratios: string[] = []
  for (const environment of ['green', 'blue'] as const) {
    const cut = median(of(`${environment}Ready`)) / median(of(`${environment}ReadySerial`))
    kept.derive(`${environment}ReadyOverReadySerial`, Number(cut.toFixed(2)), [
      `${environment}ReadyMedianMs`,
      `${environment}ReadySerialMedianMs`,
    ])
    ratios.push(
      `${GENERATION[environment]}: ours with ready() / the same before the cuts (OPTIONS before the POST, no candidates on the answer): **${cut.toFixed(2)}**`,
    )
    const baselines = list.filter((v) => !v.ours && v.environment === environment)
    for (const base of baselines) {
      for (const key of ['Cold', 'Ready']) {
        const ratio = median(of(`${environment}${key}`)) / median(of(base.key))
        kept.derive(
          `${environment}${key}Over${base.key.replace(environment, '')}`,
          Number(ratio.toFixed(2)),
          [`${environment}${key}MedianMs`, `${base.key}MedianMs`],
        )
        ratios.push(
          `${GENERATION[environment]}: ours ${key === 'Cold' ? 'cold' : 'with ready()'} / ${base.label}: **${ratio.toFixed(2)}**`,
        )
      }
    }
  }
  const sequences = list.map((v) => {
    const sample = runs.get(v.key)?.[0]
    return `- ${GENERATION[v.environment]}, ${v.label} (${sample?.requests.length ?? 0}): ${sample?.requests.join(' → ') ?? ''} → first frame @${sample?.ms ?? '?'}`
  })
  const slow = list.flatMap((v) =>
    (runs.get(v.key) ?? [])
      .filter((r) => r.ms > SLOW_MS)
      .map((r) => `- ${GENERATION[v.environment]}, ${v.label}: ${r.ms} ms\n\n  ${r.trace.join('<br>')}`),
  )
  figures.slowRuns = slow.length
  Object.assign(figures, kept.figures, { notKept: kept.notKept })
  const markdown = [
    `Real Chromium, real WebRTC (fake camera, VP8), the emulator on 127.0.0.1 with **${LATENCY_MS} ms added to every`,
    `Stream Manager and discovery request** (\`startEmulator({ latencyMs: ${LATENCY_MS} })\`; the delay is a rule of this`,
    `simulation, media is not delayed). The nodes answer WHEP with their own offer, as Red5 does. A broadcaster`,
    `publishes on each environment; each viewer opens in a fresh`,
    `browser context; time from the click on "play" to the first frame its <video> presented`,
    `(requestVideoFrameCallback). ${ROUNDS} rounds, variants interleaved, the start rotating every round.`,
    '',
    `![Time to first frame](ttff-chart.svg)`,
    '',
    '| Stream Manager | viewer | runs | median (ms) | min–max (ms) | 25–75 % (ms) | requests before the first frame |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...list.map((v) => row(v, runs.get(v.key) ?? [])),
    '',
    'Ratios of medians, same runs (below 1: ours is faster):',
    '',
    ...ratios.map((r) => `- ${r}`),
    '',
    ...kept.lines(),
    '',
    'Requests each viewer sent between the click and its first frame, with when it was sent (@ms after the click;',
    'first run; CORS preflights, which the page cannot see, come on top: one before each OPTIONS and POST, one',
    'before the first PATCH of a resource), and when the first frame came:',
    '',
    ...sequences,
    '',
    `Runs slower than ${SLOW_MS / 1000} s: **${slow.length}** of ${list.length * ROUNDS}. Each media node's werift peers ask the`,
    "emulator's loopback STUN server for their reflexive candidate (a rule of this simulation, src/emulator/media/stun.ts).",
    'Before it, werift asked stun.l.google.com, whose name lookup on this machine now and then hangs (the resolver',
    "drops a query: about 1 POST in 30 without a browser); werift then held the node's WHEP offer for its 5 s STUN wait,",
    'and every variant had runs of about 5.5 s (POST answered about 5 s after it was sent, in the traces).',
    ...(slow.length > 0
      ? [
          '',
          'Trace of each slow run (ms after the click: requests and answers, the peer connection, the emulator):',
          '',
          ...slow,
        ]
      : []),
  ].join('\n')
  return { title: TITLE, markdown, figures }
}
