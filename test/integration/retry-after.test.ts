/**
 * `Retry-After` as a floor with jitter above it, over real loopback HTTP: the assigner (ky) against a real
 * Stream Manager answering 503/429 with `Retry-After`. Every retry wait runs on the injected clock (here a
 * ManualClock), so the
 * test moves time to one millisecond before the floor + jitter (no retry), then to it (the retry): no wall
 * time is measured. `random` is fixed, so the jitter is known.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

import { resolveEnvironment } from '../../src/environment'
import { retryAfterWait } from '../../src/internal/retryAfter'
import { createAssigner } from '../../src/streammanager'
import { ManualClock } from '../../src/testing'
import { startStreamManagerServer, type StreamManagerServer } from '../helpers/streamManagerServer'

const servers: StreamManagerServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function setup(retryAfter: string | undefined, random: number, status = 503) {
  const sm = await startStreamManagerServer({ api: 'sm2' })
  servers.push(sm)
  sm.fail(
    { kind: 'status', status, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } },
    1,
  )
  const clock = new ManualClock(Date.parse('2026-11-26T10:00:00Z'))
  const env = resolveEnvironment({ clock, random: () => random })
  const assigner = createAssigner(env, { timeoutMs: 5_000, backoffBaseMs: 1_000 })
  const environment = {
    streamManager: sm.url,
    api: 'sm2',
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
  } as const
  const call = assigner.resolve('blue', environment, 'stage', 'publish')
  return { sm, clock, call }
}

/** Waits (real time) until the client has made `n` requests and set its timer. */
async function settle(sm: StreamManagerServer, clock: ManualClock, n: number): Promise<void> {
  await vi.waitFor(() => {
    expect(sm.requests).toHaveLength(n)
    expect(clock.pending()).toBeGreaterThan(0)
  })
}

/** The first answer failed; no retry until `waitMs` of the clock has passed (limit - 1), then the retry (limit). */
async function expectRetryAt(setupDone: Awaited<ReturnType<typeof setup>>, waitMs: number): Promise<void> {
  const { sm, clock, call } = setupDone
  await settle(sm, clock, 1)
  await clock.advance(waitMs - 1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(sm.requests).toHaveLength(1) // limit - 1: still waiting
  await clock.advance(1)
  await expect(call).resolves.toMatchObject({ serverAddress: '10.0.0.1' })
  expect(sm.requests).toHaveLength(2) // limit: retried
}

describe('Retry-After is a floor with jitter above it (Stream Manager HTTP)', () => {
  it('the waits below are retryAfterWait(floor, random)', () => {
    expect(retryAfterWait(10_000, () => 0.999)).toBe(11_998)
    expect(retryAfterWait(4_000, () => 0.5)).toBe(4_500)
  })

  it.each([
    ['Retry-After: 10, random 0: 10,000 ms (the floor itself)', '10', 0, 10_000],
    ['Retry-After: 10, random 0.5: 11,000 ms', '10', 0.5, 11_000],
    ['Retry-After: 10, random 0.999: 11,998 ms (the top of the window)', '10', 0.999, 11_998],
    ['Retry-After: 0, random 0.5: 500 ms (spread over 1 s too)', '0', 0.5, 500],
    ['an HTTP date 4 s ahead, random 0.5: 4,500 ms', 'Thu, 26 Nov 2026 10:00:04 GMT', 0.5, 4_500],
  ])('%s: the retry at that wait, none 1 ms before', async (_name, header, random, waitMs) => {
    await expectRetryAt(await setup(header, random), waitMs)
  })

  it('429 is treated the same way', async () => {
    await expectRetryAt(await setup('2', 0, 429), 2_000)
  })

  it.each(['1.5', '-3', 'soon'])(
    'a Retry-After of %j is no floor: the retry follows the plain backoff (random 0: at once)',
    async (header) => {
      const { sm, clock, call } = await setup(header, 0)
      await expect(call).resolves.toMatchObject({ serverAddress: '10.0.0.1' })
      expect(sm.requests).toHaveLength(2)
      expect(clock.pending()).toBe(0)
    },
  )

  it('without Retry-After, the backoff (full jitter, 1 s first step, random 0.5: 500 ms) waits on the injected clock too', async () => {
    await expectRetryAt(await setup(undefined, 0.5), 500)
  })
})
