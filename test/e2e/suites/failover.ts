/**
 * DESIGN 11 with real media: production (green) dies under a broadcaster and a viewer while the manifest
 * names blue as `failover`; nobody promotes anything. Both sessions notice the drop, find green's Stream
 * Manager unreachable, and reconnect to blue on their own; frames come back. The figures are printed per
 * engine.
 */
import { describe, expect, it } from 'vitest'

import type { EngineWorld } from '../helpers/engineSuite'
import { call } from '../helpers/browser'
import { BACK, firstEvent, freezeStart, waitFor, waitForFrames, withWorld } from '../helpers/scenarios'

/** Registers the failover suite for `world`'s engine. */
export function failoverSuite(world: EngineWorld): void {
  describe('failover without an operator', () => {
    it('production dies: broadcaster and viewer go to the failover environment by themselves (reconnected, or moved during the grace), frames return', async () => {
      await withWorld(
        world.browser(),
        world.harness(),
        `${world.engine}-failover`,
        async ({ emu, page, spec }) => {
          await emu.setRole('failover', 'blue')
          await call(page, 'createClient', 'broadcaster', spec())
          await call(page, 'createClient', 'viewer', spec())
          await call(page, 'publish', 'broadcaster', 'stage', 'pub')
          await call(page, 'subscribe', 'viewer', 'stage', 'sub')
          await waitForFrames(page, 'sub', 30)
          const revision = emu.revision

          const killedAt = await call(page, 'now')
          await emu.kill('green')
          const back = async (id: string) =>
            waitFor(
              `${id} reconnected or moved`,
              async () => firstEvent((await call(page, 'info', id)).events, BACK, killedAt),
              30_000,
            )
          const [pubBack, subBack] = await Promise.all([back('pub'), back('sub')])
          await waitFor('frames after the failover', async () =>
            (await call(page, 'now')) > subBack.at + 2000 ? true : undefined,
          )
          const [pub, sub, frames, clientEvents] = await Promise.all([
            call(page, 'info', 'pub'),
            call(page, 'info', 'sub'),
            call(page, 'frames', 'sub'),
            call(page, 'clientEvents'),
          ])
          expect(emu.revision).toBe(revision) // no operator: the manifest never changed
          expect([pub.environment, sub.environment]).toEqual(['blue', 'blue'])
          expect([pub.state, sub.state]).toEqual(['live', 'live'])
          expect(frames.filter((t) => t > subBack.at).length).toBeGreaterThan(20)
          const failovers = clientEvents.filter(
            (e) =>
              e.name.endsWith(':environmentchange') &&
              (e.detail as { reason?: string }).reason === 'failover',
          )
          expect(failovers.map((e) => e.name).sort()).toEqual([
            'broadcaster:environmentchange',
            'viewer:environmentchange',
          ])
          const lastOld = freezeStart(frames, killedAt, subBack.at + 2000) ?? Number.NaN
          const firstNew = frames.find((t) => t > subBack.at) ?? Number.NaN
          console.log(
            `[figures] ${world.engine} failover: viewer without a picture ${Math.round(firstNew - lastOld)} ms; ` +
              `viewer back on blue ${Math.round(subBack.at - killedAt)} ms after the kill, broadcaster ` +
              `${Math.round(pubBack.at - killedAt)} ms`,
          )
        },
      )
    })
  })
}
