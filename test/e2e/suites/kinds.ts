/**
 * A broadcaster with only a camera, or only a microphone, plays through both drivers: the Red5 SDK on
 * green (Stream Manager 1.x, Red5's server-offer WHEP) and whipDriver on blue (2.0, client offer). The
 * camera-only stream through whipDriver used to fail in Chromium ("The m= section with mid='1' should be
 * rejected": the emulator rejected the microphone section, the BUNDLE tag of the viewer's offer).
 */
import { describe, expect, it } from 'vitest'

import { call } from '../helpers/browser'
import type { EngineWorld } from '../helpers/engineSuite'
import { expectAudioFlowing, expectFramesFlowing } from '../helpers/expectations'
import { withWorld } from '../helpers/scenarios'

const DRIVERS = [
  { driver: 'red5pro', on: 'green', what: 'red5proDriver on green (Stream Manager 1.x)' },
  { driver: 'whip', on: 'blue', what: 'whipDriver on blue (Stream Manager 2.0)' },
] as const

/** Registers the camera-only / microphone-only suite for `world`'s engine. */
export function kindsSuite(world: EngineWorld): void {
  describe('a camera-only and a microphone-only broadcast', () => {
    for (const { driver, on, what } of DRIVERS) {
      it(`${what} plays both`, async () => {
        await withWorld(world.browser(), world.harness(), `kinds-${driver}`, async ({ emu, page, spec }) => {
          if (on === 'blue') {
            await emu.promote('blue', { drainSeconds: 60 })
          }
          await call(page, 'createClient', 'broadcaster', spec({ driver }))
          await call(page, 'createClient', 'viewer', spec({ driver }))
          await call(page, 'publish', 'broadcaster', 'camera-only', 'cam-pub', 'camera')
          await call(page, 'publish', 'broadcaster', 'mic-only', 'mic-pub', 'microphone')
          await call(page, 'subscribe', 'viewer', 'camera-only', 'cam-sub')
          await call(page, 'subscribe', 'viewer', 'mic-only', 'mic-sub')

          await expectFramesFlowing(page, 'cam-sub')
          await expectAudioFlowing(page, 'mic-sub')
          const [cam, mic] = await Promise.all([call(page, 'info', 'cam-sub'), call(page, 'info', 'mic-sub')])
          expect(cam.audioPacketsReceived).toBe(0) // nothing but the camera was sent
          expect(mic).toMatchObject({ framesDecoded: 0, videoWidth: 0 })
          const sessions = await call(page, 'all')
          expect(sessions.map((s) => [s.id, s.state, s.environment])).toEqual([
            ['cam-pub', 'live', on],
            ['mic-pub', 'live', on],
            ['cam-sub', 'live', on],
            ['mic-sub', 'live', on],
          ])
        })
      })
    }
  })
}
