/**
 * Real media through each driver, and QA isolation: the built package in a real browser (fake camera),
 * the emulator's Stream Managers and werift media nodes. A viewer "decodes real frames" when its <video>
 * has a size and both the presented-frame count (requestVideoFrameCallback) and the decoder's count
 * (inbound-rtp framesDecoded) keep growing.
 */
import { describe, expect, it } from 'vitest'

import { call } from '../helpers/browser'
import type { EngineWorld } from '../helpers/engineSuite'
import { expectFramesFlowing } from '../helpers/expectations'
import { longestGap, waitForFrames, withWorld } from '../helpers/scenarios'

/** Registers the media suite for `world`'s engine. */
export function mediaSuite(world: EngineWorld): void {
  const run = <T>(name: string, body: Parameters<typeof withWorld<T>>[3]) =>
    withWorld(world.browser(), world.harness(), `${name}`, body)

  describe('publish and play on production through each driver', () => {
    it('red5proDriver (red5pro-webrtc-sdk) on green, Stream Manager 1.x and its live proxy', async () => {
      await run('red5pro-driver-on-green', async ({ emu, page, spec }) => {
        const env = await call(page, 'createClient', 'broadcaster', spec({ driver: 'red5pro' }))
        await call(page, 'createClient', 'viewer', spec({ driver: 'red5pro' }))
        expect(env).toMatchObject({ name: 'green', role: 'production', api: 'sm1' })

        await call(page, 'publish', 'broadcaster', 'cam-sm1', 'pub')
        await call(page, 'subscribe', 'viewer', 'cam-sm1', 'sub')
        await expectFramesFlowing(page, 'sub')

        const sessions = await call(page, 'all')
        expect(sessions.map((s) => [s.id, s.state, s.environment])).toEqual([
          ['pub', 'live', 'green'],
          ['sub', 'live', 'green'],
        ])
        // The SDK signalled through the Stream Manager's `live` proxy to green's node, and nowhere else.
        const requests = emu
          .node('green')!
          .stats()
          .requests.map((r) => `${r.method} ${r.path}`)
        expect(requests).toContain('POST /live/whip/endpoint/cam-sm1')
        expect(requests).toContain('POST /live/whep/endpoint/cam-sm1')
        expect(emu.state().environments.green).toMatchObject({ publishers: 1, subscribers: 1 })
        expect(emu.state().environments.blue).toMatchObject({ publishers: 0, subscribers: 0 })
      })
    })

    it('whipDriver on blue, Stream Manager 2.0 and its /as/v1/proxy', async () => {
      await run('whip-driver-on-blue', async ({ emu, page, spec }) => {
        await emu.promote('blue', { drainSeconds: 60 })
        const env = await call(page, 'createClient', 'broadcaster', spec({ driver: 'whip' }))
        await call(page, 'createClient', 'viewer', spec({ driver: 'whip' }))
        expect(env).toMatchObject({ name: 'blue', role: 'production', api: 'sm2' })

        await call(page, 'publish', 'broadcaster', 'cam-sm2', 'pub')
        await call(page, 'subscribe', 'viewer', 'cam-sm2', 'sub')
        await expectFramesFlowing(page, 'sub')

        const sessions = await call(page, 'all')
        expect(sessions.map((s) => [s.id, s.state, s.environment])).toEqual([
          ['pub', 'live', 'blue'],
          ['sub', 'live', 'blue'],
        ])
        // Signalling reached blue's node through the 2.0 proxy (which strips `host` and forwards the rest).
        const requests = emu.node('blue')!.stats().requests
        expect(requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /live/whip/endpoint/cam-sm2')
        expect(
          requests.find((r) => r.method === 'POST' && r.path === '/live/whep/endpoint/cam-sm2')?.query,
        ).toHaveProperty('requestId')
        expect(emu.state().environments.blue).toMatchObject({ publishers: 1, subscribers: 1 })
        expect(emu.state().environments.green).toMatchObject({ publishers: 0, subscribers: 0 })
      })
    })
  })

  describe('QA on staging', () => {
    it('a client configured for staging lands on staging; production clients are untouched', async () => {
      await run('qa-on-staging', async ({ emu, page, spec }) => {
        await call(page, 'createClient', 'broadcaster', spec())
        await call(page, 'createClient', 'viewer', spec())
        await call(page, 'publish', 'broadcaster', 'show', 'pub')
        await call(page, 'subscribe', 'viewer', 'show', 'sub')
        await waitForFrames(page, 'sub', 20)
        const qaStarted = await call(page, 'now')

        const qa = await call(page, 'createClient', 'qa', spec({ environment: 'staging' }))
        expect(qa).toMatchObject({ name: 'blue', role: 'staging' })
        await call(page, 'publish', 'qa', 'qa-check', 'qa-pub')
        await call(page, 'subscribe', 'qa', 'qa-check', 'qa-sub')
        await expectFramesFlowing(page, 'qa-sub')

        const sessions = await call(page, 'all')
        expect(sessions.map((s) => [s.id, s.state, s.environment])).toEqual([
          ['pub', 'live', 'green'],
          ['sub', 'live', 'green'],
          ['qa-pub', 'live', 'blue'],
          ['qa-sub', 'live', 'blue'],
        ])
        // Production saw nothing: no state change, move or reconnect since QA started, and no freeze.
        for (const session of sessions.slice(0, 2)) {
          expect(session.events.filter((e) => e.at > qaStarted).map((e) => e.name)).toEqual([])
        }
        expect(await call(page, 'environment', 'viewer')).toMatchObject({ name: 'green', role: 'production' })
        const frames = await call(page, 'frames', 'sub')
        const now = await call(page, 'now')
        expect(frames.filter((t) => t > qaStarted).length).toBeGreaterThan(20)
        expect(longestGap(frames, qaStarted, now)).toBeLessThan(1000)
        // Each environment's node carries only its own clients' streams.
        const { green, blue } = emu.state().environments
        expect(green).toMatchObject({ streams: ['live/show'], publishers: 1, subscribers: 1 })
        expect(blue).toMatchObject({ streams: ['live/qa-check'], publishers: 1, subscribers: 1 })
      })
    })
  })
}
