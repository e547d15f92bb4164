/**
 * What a viewer sees during a swap, in real Chromium and real Firefox with real WebRTC media (the same
 * scenarios as test/e2e/suites/swaps.ts): the built package bundled into a page, the emulator's Stream
 * Managers and werift media nodes on 127.0.0.1, each browser's fake camera. Every scenario runs in each
 * engine found (Chromium, then Firefox); the report puts the engines side by side. Every frame a viewer's <video> presents is
 * stamped with requestVideoFrameCallback; a "gap" is the longest time between two presented frames.
 *
 * - Promotion (run PROMOTIONS times): green (Stream Manager 1.x, the Red5 SDK) carries a broadcaster and
 *   two viewers of its stream; blue (2.0, WHIP/WHEP) is promoted with an 8 s drain. One viewer moves
 *   make-before-break (the default), the other with `makeBeforeBreak: false`: the same promotion, the same
 *   stream, so the second is the baseline of the first. The steady-state gap (3 s before the promotion) is
 *   the floor both sit on. Target: longest gap with make-before-break <= 250 ms.
 * - Outage: measured by bench/failover-media.bench.ts (production killed, with and without the
 *   `failover` role, 5 runs per row); this file measured a single outage per engine before that existed.
 *
 * Needs dist/ (npm run bench builds it), Chromium at /usr/bin/chromium and Firefox at /usr/bin/firefox-esr
 * (scripts/ensure-chromium.sh, scripts/ensure-firefox.sh); an engine that is missing is skipped and said so.
 * Run alone: npm run build && npx tsx bench/run.ts gaps
 */
import { existsSync } from 'node:fs'

import { startHarnessServer, type HarnessServer } from '../test/e2e/helpers/browser'
import { CHROMIUM, FIREFOX, launchBrowser, type E2eBrowser, type Engine } from '../test/e2e/helpers/engines'
import { promotionScenario, type PromotionDriver, type PromotionResult } from '../test/e2e/helpers/scenarios'
import { KeptFigures, keepRow, percentile, spread, verdictOn } from './stats'
import type { BenchResult } from './types'

const PROMOTIONS = 5
const TARGET_MS = 250
const TITLE = 'Frame gaps during a promotion (Chromium and Firefox, real media)'

const ENGINES: readonly { engine: Engine; name: string; path: string }[] = [
  { engine: 'chromium', name: 'Chromium', path: CHROMIUM },
  { engine: 'firefox', name: 'Firefox', path: FIREFOX },
]

/** The promotion's driver modes, as the report names them. */
const DRIVERS: readonly { driver: PromotionDriver; name: string; key: string }[] = [
  { driver: 'auto', name: 'Red5 SDK on green → whipDriver on blue', key: '' },
  { driver: 'whip', name: 'whipDriver on both', key: 'Whip' },
]

/** One engine's runs. */
interface EngineRuns {
  name: string
  version: string
  promotions: Record<PromotionDriver, PromotionResult[]>
}

const median = (values: number[]): number => percentile(values, 50)
const worst = (values: number[]): number => Math.max(...values)

async function measure(browser: E2eBrowser, harness: HarnessServer, name: string): Promise<EngineRuns> {
  const promotions: Record<PromotionDriver, PromotionResult[]> = { auto: [], whip: [] }
  // Interleaved (auto, whip, auto, whip, ...): both drivers share whatever the machine does meanwhile.
  for (let run = 0; run < PROMOTIONS; run++) {
    for (const { driver } of DRIVERS) {
      promotions[driver].push(await promotionScenario(browser, harness, { driver }))
    }
  }
  return { name, version: browser.version, promotions }
}

function promotionRows(runs: EngineRuns): string[] {
  return DRIVERS.flatMap(({ driver, name }) =>
    runs.promotions[driver].map(
      (p, i) =>
        `| ${runs.name} | ${name} | ${i + 1} | ${p.makeBeforeBreak.longestGapMs} | ${p.breakBeforeMake.longestGapMs} | ` +
        `${p.breakBeforeMake.interruptionMs} | ${p.makeBeforeBreak.baselineGapMs} | ${p.publisherMovedAfterMs} | ` +
        `${p.makeBeforeBreak.movedAfterMs} / ${p.breakBeforeMake.movedAfterMs} |`,
    ),
  )
}

/**
 * Headline figures of one engine. Chromium with driver `auto` keeps the names earlier reports used; other
 * drivers add `Whip`, other engines their name (`...Firefox`, `...WhipFirefox`).
 */
function figuresOf(runs: EngineRuns, suffix: string, kept: KeptFigures): Record<string, number | string> {
  const figures: Record<string, number | string> = {}
  for (const { driver, key } of DRIVERS) {
    const promotions = runs.promotions[driver]
    const mbb = promotions.map((p) => p.makeBeforeBreak.longestGapMs)
    const bbm = promotions.map((p) => p.breakBeforeMake.longestGapMs)
    const steady = promotions.map((p) => p.makeBeforeBreak.baselineGapMs)
    const judged = kept.add(`longestGapMakeBeforeBreakMedian${key}Ms${suffix}`, mbb, { target: TARGET_MS })
    kept.add(`longestGapBreakBeforeMakeMedian${key}Ms${suffix}`, bbm)
    kept.add(`steadyStateGapMedian${key}Ms${suffix}`, steady)
    Object.assign(figures, {
      [`longestGapMakeBeforeBreakWorst${key}Ms${suffix}`]: worst(mbb),
      [`longestGapBreakBeforeMakeWorst${key}Ms${suffix}`]: worst(bbm),
      [`target${key}${suffix}`]: verdictOn(median(mbb), TARGET_MS, judged.judged),
    })
  }
  return figures
}

function summary(runs: EngineRuns): string[] {
  return DRIVERS.map(({ driver, name }) => {
    const promotions = runs.promotions[driver]
    const mbb = promotions.map((p) => p.makeBeforeBreak.longestGapMs)
    const bbm = promotions.map((p) => p.breakBeforeMake.longestGapMs)
    const steady = promotions.map((p) => p.makeBeforeBreak.baselineGapMs)
    const verdict = verdictOn(median(mbb), TARGET_MS, keepRow(spread(mbb), { target: TARGET_MS }).judged)
    return (
      `- ${runs.name} (${runs.version}), ${name}: make-before-break median ${median(mbb)} ms, worst ${worst(mbb)} ms ` +
      `(target: median <= ${TARGET_MS} ms: **${verdict}**); without it median ${median(bbm)} ms, worst ${worst(bbm)} ms; ` +
      `steady state ${median(steady)} ms.`
    )
  })
}

export default async function gapsBench(): Promise<BenchResult> {
  const available = ENGINES.filter((e) => existsSync(e.path))
  const missing = ENGINES.filter((e) => !existsSync(e.path))
  if (available.length === 0) {
    // Leave the other benchmarks' report intact on a machine without the browsers.
    return {
      title: TITLE,
      markdown: `Skipped: no browser (${ENGINES.map((e) => e.path).join(', ')}); install them with scripts/ensure-chromium.sh and scripts/ensure-firefox.sh.`,
      figures: { skipped: 'no browser' },
    }
  }
  const harness = await startHarnessServer()
  const all: EngineRuns[] = []
  try {
    for (const { engine, name } of available) {
      const browser = await launchBrowser(engine)
      try {
        all.push(await measure(browser, harness, name))
      } finally {
        await browser.close()
      }
    }
  } finally {
    await harness.close()
  }
  const kept = new KeptFigures()
  const labels = Object.assign(
    {},
    ...all.map((runs) => figuresOf(runs, runs.name === 'Chromium' ? '' : runs.name, kept)),
  ) as Record<string, number | string>
  const markdown = [
    `Real ${all.map((r) => `${r.name} (${r.version})`).join(' and ')}, real WebRTC (fake camera, VP8), emulator on 127.0.0.1;`,
    `gaps between frames the viewer's <video> presented (requestVideoFrameCallback). Migration window 3 s (lead 0.5 s, margin 0.5 s), ttl 1 s.`,
    ...(missing.length > 0
      ? ['', `Not measured: ${missing.map((e) => `${e.name} (no ${e.path})`).join(', ')}.`]
      : []),
    '',
    `**Promotion** (${PROMOTIONS} runs per engine and driver; each: broadcaster and two viewers on green, blue promoted with an 8 s drain):`,
    '',
    '| engine | drivers | run | longest gap, make-before-break (ms) | longest gap, break-before-make (ms) | `interruptionMs` reported without MBB | steady-state gap (ms) | broadcaster moved after (ms) | viewers moved after (ms) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...all.flatMap(promotionRows),
    '',
    ...all.flatMap(summary),
    "- The steady-state gap is the floor of any gap: the fake camera's frame pacing and the compositor.",
    '',
    ...kept.lines(),
    '- The outage, with and without the `failover` role: bench/failover-media.bench.ts.',
  ].join('\n')
  return {
    title: TITLE,
    markdown,
    figures: {
      promotionRuns: PROMOTIONS,
      targetMs: TARGET_MS,
      engines: all.map((r) => r.version).join(', '),
      ...kept.figures,
      ...labels,
      notKept: kept.notKept,
    },
  }
}
