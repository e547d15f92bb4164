/**
 * Swaps with real media: a promotion watched by two viewers (make-before-break on and off, in the same
 * run) and an abrupt outage of production. Every presented frame of each viewer is stamped
 * (requestVideoFrameCallback); the figures are printed per engine and gathered by `npm run bench`
 * (bench/gaps.bench.ts). Assertions are about what a viewer notices: where the sessions end up, that
 * pictures come back, and generous bounds only.
 */
import { describe, expect, it } from 'vitest'

import type { EngineWorld } from '../helpers/engineSuite'
import { outageScenario, promotionScenario } from '../helpers/scenarios'

/** Registers the promotion and outage suite for `world`'s engine. */
export function swapsSuite(world: EngineWorld): void {
  describe('promotion of blue while green carries a broadcaster and two viewers', () => {
    for (const [driver, what] of [
      ['auto', 'the Red5 SDK on green, then whipDriver on blue'],
      ['whip', 'whipDriver on both'],
    ] as const) {
      it(`${what}: the broadcaster moves at once and both viewers follow; make-before-break keeps the picture`, async () => {
        const result = await promotionScenario(world.browser(), world.harness(), { driver })
        const { makeBeforeBreak: mbb, breakBeforeMake: bbm } = result
        console.log(
          `[figures] ${world.engine} promotion (${what}): longest gap with make-before-break ${mbb.longestGapMs} ms (target <= 250; ` +
            `steady state ${mbb.baselineGapMs} ms), without ${bbm.longestGapMs} ms (interruptionMs ${bbm.interruptionMs}); ` +
            `broadcaster moved after ${result.publisherMovedAfterMs} ms, viewers after ${mbb.movedAfterMs} / ${bbm.movedAfterMs} ms`,
        )
        expect(result.publisherEnvironment).toBe('blue')
        for (const viewer of [mbb, bbm]) {
          expect(viewer.environment).toBe('blue')
          expect(viewer.videoWidth).toBe(640)
          expect(viewer.framesAfterMove).toBeGreaterThan(20)
        }
        // The library's own account: nothing lost with make-before-break, a measurable gap without.
        expect(mbb.interruptionMs).toBe(0)
        expect(bbm.interruptionMs).toBeGreaterThan(0)
        // Generous sanity bounds (the target is reported above, not asserted on a shared 2-core machine).
        expect(mbb.longestGapMs).toBeLessThan(1000)
        expect(result.gapWhilePublisherMovedMs).toBeLessThan(1000)
      })
    }
  })

  describe('abrupt outage of production', () => {
    for (const [on, other, driver] of [
      ['green', 'blue', 'the Red5 SDK'],
      ['blue', 'green', 'whipDriver'],
    ] as const) {
      it(`${on} (played with ${driver}) dies: broadcaster and viewer reconnect to ${other} once it is promoted, and the picture comes back`, async () => {
        const result = await outageScenario(world.browser(), world.harness(), { on })
        console.log(
          `[figures] ${world.engine} outage of ${on} (${driver}): viewer without picture for ${result.outageGapMs} ms (noticed the drop after ` +
            `${result.viewerDetectedAfterMs} ms; back ${result.viewerBackAfterPromotionMs} ms after the promotion, ` +
            `${result.viewerAttempts} attempt(s)); broadcaster noticed after ${result.broadcasterDetectedAfterMs} ms, ` +
            `back ${result.broadcasterBackAfterPromotionMs} ms after the promotion`,
        )
        expect(result.broadcasterEnvironment).toBe(other)
        expect(result.viewerEnvironment).toBe(other)
        expect(result.videoWidth).toBe(640)
        expect(result.framesAfter).toBeGreaterThan(20)
        expect(result.outageGapMs).toBeGreaterThan(0)
      })
    }
  })
}
