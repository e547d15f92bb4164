/**
 * The reconnect loop's own rules (issue 13): a `Retry-After` the failure carried is a floor with jitter
 * above it (never the policy's shorter delay), and every reconnect assignment waits for the client's
 * pacing turn. Session.test.ts covers the rest of the loop (policy, fatal errors, where it goes).
 */
import { afterEach, describe, expect, it } from 'vitest'

import { BlueGreenError } from '../errors'
import { stormControl } from '../internal/coordination'
import { recordEvents } from '../testing/recorder'
import { FakeWorld, type ManifestSpec } from './__fixtures__/world'
import type { SessionEventMap } from './events'
import { AFTER_RETRY_AFTER_LOOK_AGAIN_MS, MAX_RECONNECT_RETRY_AFTER_MS, reconnectDelay } from './reconnect'

const STEADY: ManifestSpec = {
  revision: 1,
  roles: { production: 'green', staging: 'blue' },
  environments: { green: {}, blue: {} },
}
const QUICK = { nextDelayMs: () => 50 }

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
  stormControl.enabled = true
})

const busy = (retryAfterMs?: number): BlueGreenError =>
  new BlueGreenError('STREAM_MANAGER_UNAVAILABLE', 'busy', {
    status: 503,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })

describe('reconnectDelay()', () => {
  it('is the policy delay when the failure carried no Retry-After', () => {
    expect(reconnectDelay(50, busy(), () => 0.5)).toBe(50)
  })

  it('is the Retry-After floor plus jitter when that is longer (never earlier than the floor)', () => {
    expect(reconnectDelay(50, busy(10_000), () => 0)).toBe(10_000)
    expect(reconnectDelay(50, busy(10_000), () => 0.5)).toBe(11_000)
    expect(reconnectDelay(20_000, busy(10_000), () => 0)).toBe(20_000) // a longer policy delay stands
  })

  it('cuts a Retry-After longer than a minute to a minute, then jitters above it', () => {
    expect(reconnectDelay(0, busy(3_600_000), () => 0)).toBe(MAX_RECONNECT_RETRY_AFTER_MS)
    expect(reconnectDelay(0, busy(3_600_000), () => 0.5)).toBe(MAX_RECONNECT_RETRY_AFTER_MS + 6_000)
  })

  it('switched off (the benchmark baseline): Retry-After honoured exactly', () => {
    stormControl.enabled = false
    expect(reconnectDelay(50, busy(10_000), () => 0.5)).toBe(10_000)
  })
})

/** A session the app started, once the clock has let it connect. */
async function started<T>(world: FakeWorld, starting: Promise<T>): Promise<T> {
  await world.clock.flush()
  return starting
}

/** One client with 30 live publishers (started in one instant), on a quick fixed policy. */
async function thirtyLive(): Promise<FakeWorld> {
  const world = new FakeWorld(STEADY)
  const { sessions } = world.client({ reconnect: QUICK })
  cleanup.push(() => sessions.close())
  const starting = Array.from({ length: 30 }, (_, i) => sessions.publish({ streamName: `cam-${i}` }))
  await world.clock.flush()
  await Promise.all(starting)
  return world
}

describe('the reconnect loop', () => {
  it('waits the Retry-After floor + jitter of a failed attempt, however short the policy delay', async () => {
    const world = new FakeWorld(STEADY)
    const { sessions } = world.client({ reconnect: QUICK })
    cleanup.push(() => sessions.close())
    const live = sessions.publish({ streamName: 'cam' })
    await world.clock.flush()
    const session = await live
    const events = recordEvents<SessionEventMap>(session, ['reconnecting', 'reconnected'])
    cleanup.push(async () => events.stop())
    world.driver.simulateConnectFailure(busy(10_000), 2)
    world.driver.simulateDrop()
    await world.clock.runAll()
    const delays = events.payloads('reconnecting').map((e) => e.delayMs)
    expect(delays).toHaveLength(3)
    expect(delays[0]).toBe(50) // the drop carried no Retry-After
    for (const delay of delays.slice(1)) {
      expect(delay).toBeGreaterThanOrEqual(10_000)
      expect(delay).toBeLessThan(15_000)
    }
    expect(delays[1]).not.toBe(delays[2]) // jittered, not the same wave every time
    expect(events.count('reconnected')).toBe(1)
  })

  it('a viewer looks again every 1-2 s for its stream once the Retry-After storm ends: no backoff grown through the storm on top of its broadcaster’s return', async () => {
    const world = new FakeWorld(STEADY)
    const studio = world.client().sessions
    const { sessions } = world.client() // the default policy: full jitter, 0.5 s doubling to 15 s
    cleanup.push(
      () => sessions.close(),
      () => studio.close(),
    )
    await started(world, studio.publish({ streamName: 'cam' }))
    const session = await started(world, sessions.subscribe({ streamName: 'cam' }))
    const events = recordEvents<SessionEventMap>(session, ['reconnecting', 'reconnected'])
    cleanup.push(async () => events.stop())
    // Six attempts told "come back in 10 s" (a minute of 503s), then "not published here" until the
    // broadcaster, back from the same storm, publishes again 11 s after the first such answer (within
    // floor + spread: 12 s).
    world.driver.simulateConnectFailure(busy(10_000), 6, { kind: 'subscribe' })
    let notFoundSince: number | undefined
    world.driver.simulateConnectFailure(
      new BlueGreenError('STREAM_NOT_FOUND', 'not published here'),
      Number.POSITIVE_INFINITY,
      (attempt) => {
        if (attempt.kind !== 'subscribe') {
          return false
        }
        notFoundSince ??= world.clock.now()
        return world.clock.now() < notFoundSince + 11_000
      },
    )
    let backAt = 0
    session.on('reconnected', () => (backAt = world.clock.now()))
    world.driver.simulateDrop({ kind: 'subscribe' })
    await world.clock.runAll()
    const looks = events
      .payloads('reconnecting')
      .filter((e) => e.error.code === 'STREAM_NOT_FOUND')
      .map((e) => e.delayMs)
    expect(looks.length).toBeGreaterThan(5)
    for (const delay of looks) {
      expect(delay).toBeGreaterThanOrEqual(AFTER_RETRY_AFTER_LOOK_AGAIN_MS)
      expect(delay).toBeLessThan(2 * AFTER_RETRY_AFTER_LOOK_AGAIN_MS)
    }
    expect(events.count('reconnected')).toBe(1)
    expect(backAt - (notFoundSince! + 11_000)).toBeLessThan(2 * AFTER_RETRY_AFTER_LOOK_AGAIN_MS)
  })

  it('asks for every reconnect assignment as a paced call (the client spaces them: reconnect-storm.test.ts) and for no start', async () => {
    const world = await thirtyLive()
    expect(world.resolveCalls).toHaveLength(30)
    expect(world.resolveCalls.some((call) => call.paced)).toBe(false)
    world.resolveCalls.length = 0
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(world.resolveCalls).toHaveLength(30)
    expect(world.resolveCalls.every((call) => call.paced)).toBe(true)
  })
})
