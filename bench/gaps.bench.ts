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
 * - Outage (once per environment): production is killed (`emu.kill`: sockets reset, media dropped without
 *   goodbye) under a broadcaster and a viewer; once both are reconnecting, the other environment is
 *   promoted. Green is played with the Red5 SDK (Stream Manager 1.x), blue with whipDriver (2.0), so the
 *   two rows compare the drivers' drop detection. The viewer's outage runs from the last frame of the dead
 *   connection to the first frame after `reconnected`; it is split into the time to notice the drop and the
 *   time recovery took after the promotion.
 *
 * Needs dist/ (npm run bench builds it), Chromium at /usr/bin/chromium and Firefox at /usr/bin/firefox-esr
 * (scripts/ensure-chromium.sh, scripts/ensure-firefox.sh); an engine that is missing is skipped and said so.
 * The other Red5 SDK builds (RED5PRO_SDK_BUILDS) are measured in Chromium only.
 * Run alone: npm run build && npx tsx bench/run.ts gaps
 */
import { existsSync } from 'node:fs'

import { startHarnessServer, type HarnessServer } from '../test/e2e/helpers/browser'
import { CHROMIUM, FIREFOX, launchBrowser, type E2eBrowser, type Engine } from '../test/e2e/helpers/engines'
import {
  outageScenario,
  promotionScenario,
  type OutageResult,
  type PromotionDriver,
  type PromotionResult,
} from '../test/e2e/helpers/scenarios'
import { findRed5proSdkBuilds } from '../test/helpers/red5proBuilds'
import { percentile } from './stats'
import type { BenchResult } from './types'

const PROMOTIONS = 3
const TARGET_MS = 250
const TITLE = 'Frame gaps during a promotion and an outage (Chromium and Firefox, real media)'

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
  outages: [string, OutageResult][]
}

const median = (values: number[]): number => percentile(values, 50)
const worst = (values: number[]): number => Math.max(...values)

async function measure(
  browser: E2eBrowser,
  harness: HarnessServer,
  name: string,
  extraBuilds: boolean,
): Promise<EngineRuns> {
  const promotions: Record<PromotionDriver, PromotionResult[]> = { auto: [], whip: [] }
  for (const { driver } of DRIVERS) {
    for (let run = 0; run < PROMOTIONS; run++) {
      promotions[driver].push(await promotionScenario(browser, harness, { driver }))
    }
  }
  const outages: [string, OutageResult][] = [
    [
      'green (Stream Manager 1.x, Red5 SDK 11.0.0 from npm)',
      await outageScenario(browser, harness, { on: 'green' }),
    ],
    ['blue (Stream Manager 2.0, whipDriver)', await outageScenario(browser, harness, { on: 'blue' })],
  ]
  if (extraBuilds) {
    // The same outage with every other Red5 SDK build found (RED5PRO_SDK_BUILDS, see DEVELOPERS.md).
    for (const build of findRed5proSdkBuilds().filter((b) => b.source !== 'npm' && b.version !== '11.0.0')) {
      const sdkHarness = await startHarnessServer({ red5proSdkDir: build.dir })
      try {
        outages.push([
          `green (Stream Manager 1.x, Red5 SDK ${build.version})`,
          await outageScenario(browser, sdkHarness, { on: 'green' }),
        ])
      } finally {
        await sdkHarness.close()
      }
    }
  }
  return { name, version: browser.version, promotions, outages }
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

function outageRows(runs: EngineRuns): string[] {
  return runs.outages.map(
    ([name, o]) =>
      `| ${runs.name} | ${name} | **${o.outageGapMs}** | ${o.longestGapMs} | ${o.viewerDetectedAfterMs} | ` +
      `${o.broadcasterDetectedAfterMs} | ${o.viewerBackAfterPromotionMs} | ${o.broadcasterBackAfterPromotionMs} | ${o.viewerAttempts} |`,
  )
}

/**
 * Headline figures of one engine. Chromium with driver `auto` keeps the names earlier reports used; other
 * drivers add `Whip`, other engines their name (`...Firefox`, `...WhipFirefox`).
 */
function figuresOf(runs: EngineRuns, suffix: string): Record<string, number | string> {
  const figures: Record<string, number | string> = {}
  for (const { driver, key } of DRIVERS) {
    const promotions = runs.promotions[driver]
    const mbb = promotions.map((p) => p.makeBeforeBreak.longestGapMs)
    const bbm = promotions.map((p) => p.breakBeforeMake.longestGapMs)
    const steady = promotions.map((p) => p.makeBeforeBreak.baselineGapMs)
    Object.assign(figures, {
      [`longestGapMakeBeforeBreakMedian${key}Ms`]: median(mbb),
      [`longestGapMakeBeforeBreakWorst${key}Ms`]: worst(mbb),
      [`longestGapBreakBeforeMakeMedian${key}Ms`]: median(bbm),
      [`longestGapBreakBeforeMakeWorst${key}Ms`]: worst(bbm),
      [`steadyStateGapMedian${key}Ms`]: median(steady),
      [`target${key}`]: worst(mbb) <= TARGET_MS ? 'met' : 'NOT met',
    })
  }
  const [[, sdk], [, whip]] = runs.outages as [[string, OutageResult], [string, OutageResult]]
  Object.assign(figures, {
    outageGapRed5proSdkMs: sdk.outageGapMs,
    outageDetectedAfterRed5proSdkMs: sdk.viewerDetectedAfterMs,
    outageRecoveryAfterPromotionRed5proSdkMs: sdk.viewerBackAfterPromotionMs,
    outageGapWhipMs: whip.outageGapMs,
    outageDetectedAfterWhipMs: whip.viewerDetectedAfterMs,
    outageRecoveryAfterPromotionWhipMs: whip.viewerBackAfterPromotionMs,
  })
  for (const [name, o] of runs.outages.slice(2)) {
    const version = /Red5 SDK (\S+)\)/.exec(name)?.[1] ?? name
    figures[`outageGapRed5proSdk${version}Ms`] = o.outageGapMs
  }
  return Object.fromEntries(Object.entries(figures).map(([key, value]) => [`${key}${suffix}`, value]))
}

function summary(runs: EngineRuns): string[] {
  return DRIVERS.map(({ driver, name }) => {
    const promotions = runs.promotions[driver]
    const mbb = promotions.map((p) => p.makeBeforeBreak.longestGapMs)
    const bbm = promotions.map((p) => p.breakBeforeMake.longestGapMs)
    const steady = promotions.map((p) => p.makeBeforeBreak.baselineGapMs)
    const verdict = worst(mbb) <= TARGET_MS ? 'met' : 'NOT met'
    return (
      `- ${runs.name} (${runs.version}), ${name}: make-before-break median ${median(mbb)} ms, worst ${worst(mbb)} ms ` +
      `(target <= ${TARGET_MS} ms: **${verdict}**); without it median ${median(bbm)} ms, worst ${worst(bbm)} ms; ` +
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
        all.push(await measure(browser, harness, name, engine === 'chromium'))
      } finally {
        await browser.close()
      }
    }
  } finally {
    await harness.close()
  }
  const otherBuilds = all[0]?.outages.length ?? 0
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
    '**Outage** (production killed under a broadcaster and a viewer; the other environment promoted once both were reconnecting):',
    '',
    '| engine | production that died | viewer without a picture (ms) | longest frame gap (ms) | viewer noticed the drop after (ms) | broadcaster noticed after (ms) | viewer back after the promotion (ms) | broadcaster back after the promotion (ms) | viewer attempts |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...all.flatMap(outageRows),
    '',
    '- Noticing the drop dominates: both drivers watch the peer connection (drivers/liveness.ts); recovery itself',
    '  (revalidate, assign, connect) takes about a second.',
    otherBuilds > 2
      ? "- Red5 SDK builds besides npm's 11.0.0 (RED5PRO_SDK_BUILDS) are measured in Chromium only."
      : '- Only the npm 11.0.0 build of the Red5 SDK was available; set RED5PRO_SDK_BUILDS (DEVELOPERS.md) to measure 12-15.2.',
  ].join('\n')
  return {
    title: TITLE,
    markdown,
    figures: {
      promotionRuns: PROMOTIONS,
      targetMs: TARGET_MS,
      engines: all.map((r) => r.version).join(', '),
      ...Object.assign({}, ...all.map((runs) => figuresOf(runs, runs.name === 'Chromium' ? '' : runs.name))),
    },
  }
}
