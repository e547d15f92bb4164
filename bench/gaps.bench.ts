/**
 * What a viewer sees during a swap, in real Chromium with real WebRTC media (the same scenarios as
 * test/e2e/swaps.e2e.test.ts): the built package bundled into a page, the emulator's Stream Managers and
 * werift media nodes on 127.0.0.1, Chromium's fake camera. Every frame a viewer's <video> presents is
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
 * Needs dist/ (npm run bench builds it) and Chromium at /usr/bin/chromium (scripts/ensure-chromium.sh).
 * Run alone: npm run build && npx tsx bench/run.ts gaps
 */
import { existsSync } from 'node:fs'

import type { Browser } from 'playwright-core'

import { CHROMIUM, launchChromium, startHarnessServer, type HarnessServer } from '../test/e2e/helpers/browser'
import {
  outageScenario,
  promotionScenario,
  type OutageResult,
  type PromotionResult,
} from '../test/e2e/helpers/scenarios'
import { findRed5proSdkBuilds } from '../test/helpers/red5proBuilds'
import { percentile } from './stats'
import type { BenchResult } from './types'

const PROMOTIONS = 3
const TARGET_MS = 250

export default async function gapsBench(): Promise<BenchResult> {
  if (!existsSync(CHROMIUM)) {
    // Leave the other benchmarks' report intact on a machine without the browser.
    return {
      title: 'Frame gaps during a promotion and an outage (Chromium, real media)',
      markdown: `Skipped: no Chromium at ${CHROMIUM} (install it with scripts/ensure-chromium.sh, or set CHROMIUM_PATH).`,
      figures: { skipped: 'no Chromium' },
    }
  }
  let browser: Browser | undefined
  let harness: HarnessServer | undefined
  try {
    ;[browser, harness] = await Promise.all([launchChromium(), startHarnessServer()])
    const promotions: PromotionResult[] = []
    for (let run = 0; run < PROMOTIONS; run++) {
      promotions.push(await promotionScenario(browser, harness))
    }
    const outages: [string, OutageResult][] = [
      [
        'green (Stream Manager 1.x, Red5 SDK 11.0.0 from npm)',
        await outageScenario(browser, harness, { on: 'green' }),
      ],
      ['blue (Stream Manager 2.0, whipDriver)', await outageScenario(browser, harness, { on: 'blue' })],
    ]
    const [, sdkOutage] = outages[0]!
    const [, whipOutage] = outages[1]!
    // The same outage with every other Red5 SDK build found (RED5PRO_SDK_BUILDS, see DEVELOPERS.md).
    const otherBuilds = findRed5proSdkBuilds().filter((b) => b.source !== 'npm' && b.version !== '11.0.0')
    const byBuild: Record<string, number> = {}
    for (const build of otherBuilds) {
      const sdkHarness = await startHarnessServer({ red5proSdkDir: build.dir })
      try {
        const result = await outageScenario(browser, sdkHarness, { on: 'green' })
        outages.push([`green (Stream Manager 1.x, Red5 SDK ${build.version})`, result])
        byBuild[build.version] = result.outageGapMs
      } finally {
        await sdkHarness.close()
      }
    }

    const mbb = promotions.map((p) => p.makeBeforeBreak.longestGapMs)
    const bbm = promotions.map((p) => p.breakBeforeMake.longestGapMs)
    const steady = promotions.map((p) => p.makeBeforeBreak.baselineGapMs)
    const median = (values: number[]): number => percentile(values, 50)
    const worst = (values: number[]): number => Math.max(...values)

    const rows = promotions.map(
      (p, i) =>
        `| ${i + 1} | ${p.makeBeforeBreak.longestGapMs} | ${p.breakBeforeMake.longestGapMs} | ` +
        `${p.breakBeforeMake.interruptionMs} | ${p.makeBeforeBreak.baselineGapMs} | ${p.publisherMovedAfterMs} | ` +
        `${p.makeBeforeBreak.movedAfterMs} / ${p.breakBeforeMake.movedAfterMs} |`,
    )
    const verdict = worst(mbb) <= TARGET_MS ? 'met' : 'NOT met'
    const markdown = [
      `Real Chromium, real WebRTC (fake camera, VP8), emulator on 127.0.0.1; gaps between frames the viewer's`,
      `<video> presented (requestVideoFrameCallback). Migration window 3 s (lead 0.5 s, margin 0.5 s), ttl 1 s.`,
      '',
      `**Promotion** (${PROMOTIONS} runs; each: broadcaster and two viewers on green, blue promoted with an 8 s drain):`,
      '',
      '| run | longest gap, make-before-break (ms) | longest gap, break-before-make (ms) | `interruptionMs` reported without MBB | steady-state gap (ms) | broadcaster moved after (ms) | viewers moved after (ms) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `- Make-before-break: median ${median(mbb)} ms, worst ${worst(mbb)} ms; target <= ${TARGET_MS} ms: **${verdict}**.`,
      `- Without it (baseline, same runs): median ${median(bbm)} ms, worst ${worst(bbm)} ms.`,
      `- Steady state before the promotion: median ${median(steady)} ms (the floor of any gap: frame pacing of the fake camera and the compositor).`,
      '',
      '**Outage** (production killed under a broadcaster and a viewer; the other environment promoted once both were reconnecting):',
      '',
      '| production that died | viewer without a picture (ms) | longest frame gap (ms) | viewer noticed the drop after (ms) | broadcaster noticed after (ms) | viewer back after the promotion (ms) | broadcaster back after the promotion (ms) | viewer attempts |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...outages.map(
        ([name, o]) =>
          `| ${name} | **${o.outageGapMs}** | ${o.longestGapMs} | ${o.viewerDetectedAfterMs} | ${o.broadcasterDetectedAfterMs} | ` +
          `${o.viewerBackAfterPromotionMs} | ${o.broadcasterBackAfterPromotionMs} | ${o.viewerAttempts} |`,
      ),
      '',
      '- Noticing the drop dominates. Both drivers now watch the peer connection the same way (drivers/liveness.ts):',
      '  3 s without anything received (`inactivityTimeoutMs`) plus a 2 s grace (`disconnectGraceMs`), read every',
      "  second; the Red5 SDK's own signals came 11-18 s after the node died (15.x viewers: none at all). Recovery",
      '  itself (revalidate, assign, connect) takes about a second.',
      otherBuilds.length > 0
        ? `- Red5 SDK builds measured besides npm's 11.0.0: ${otherBuilds.map((b) => b.version).join(', ')} (RED5PRO_SDK_BUILDS).`
        : '- Only the npm 11.0.0 build of the Red5 SDK was available; set RED5PRO_SDK_BUILDS (DEVELOPERS.md) to measure 12-15.2.',
    ].join('\n')
    return {
      title: 'Frame gaps during a promotion and an outage (Chromium, real media)',
      markdown,
      figures: {
        promotionRuns: PROMOTIONS,
        longestGapMakeBeforeBreakMedianMs: median(mbb),
        longestGapMakeBeforeBreakWorstMs: worst(mbb),
        longestGapBreakBeforeMakeMedianMs: median(bbm),
        longestGapBreakBeforeMakeWorstMs: worst(bbm),
        steadyStateGapMedianMs: median(steady),
        targetMs: TARGET_MS,
        target: verdict,
        outageGapRed5proSdkMs: sdkOutage.outageGapMs,
        outageDetectedAfterRed5proSdkMs: sdkOutage.viewerDetectedAfterMs,
        outageRecoveryAfterPromotionRed5proSdkMs: sdkOutage.viewerBackAfterPromotionMs,
        outageGapWhipMs: whipOutage.outageGapMs,
        outageDetectedAfterWhipMs: whipOutage.viewerDetectedAfterMs,
        outageRecoveryAfterPromotionWhipMs: whipOutage.viewerBackAfterPromotionMs,
        ...Object.fromEntries(
          Object.entries(byBuild).map(([version, gap]) => [`outageGapRed5proSdk${version}Ms`, gap]),
        ),
      },
    }
  } finally {
    await harness?.close()
    await browser?.close()
  }
}
