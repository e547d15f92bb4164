import { afterEach, expect, it } from 'vitest'

import { FakeWorld } from '../session/__fixtures__/world'
import type { SubscribeSession } from '../session/Session'

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

it('1,000 subscribers migrate at a flat rate (no one-second bucket above twice the mean) and all before the deadline', async () => {
  const world = new FakeWorld(
    { revision: 1, roles: { production: 'green' }, environments: { green: {}, blue: {} } },
    { seed: 2026 },
  )
  const broadcaster = world.client()
  const audience = world.client() // default migration settings: window 60 s, lead 2 s, margin 5 s
  cleanup.push(
    () => broadcaster.sessions.close(),
    () => audience.sessions.close(),
  )
  const publishing = broadcaster.sessions.publish({ streamName: 'main-stage' })
  await world.clock.flush()
  await publishing

  const viewers: Promise<SubscribeSession>[] = []
  for (let i = 0; i < 1_000; i += 1) {
    viewers.push(audience.sessions.subscribe({ streamName: 'main-stage' }))
  }
  await world.clock.flush()
  const subscribers = await Promise.all(viewers)

  const starts: number[] = []
  const ends: number[] = []
  const interruptions = new Set<number>()
  for (const subscriber of subscribers) {
    subscriber.on('migrating', () => starts.push(world.clock.now()))
    subscriber.on('migrated', ({ interruptionMs }) => {
      interruptions.add(interruptionMs)
      ends.push(world.clock.now())
    })
  }

  const promotedAt = world.clock.now()
  const drainMs = 60_000
  world.publish({
    revision: 2,
    roles: { production: 'blue' },
    environments: { blue: {}, green: { state: 'draining', deadlineInMs: drainMs } },
  })
  await world.clock.runAll()

  expect(starts).toHaveLength(1_000)
  expect(ends).toHaveLength(1_000)
  expect([...interruptions]).toEqual([0])
  expect(Math.max(...ends)).toBeLessThan(promotedAt + drainMs)
  expect(subscribers.every((s) => s.environment === 'blue' && s.state === 'live')).toBe(true)

  // The window is [lead, deadline - margin] = [2 s, 55 s]: 53 one-second buckets.
  const firstSecond = 2
  const lastSecond = 55
  const buckets = new Array<number>(lastSecond - firstSecond).fill(0)
  for (const at of starts) {
    const second = Math.floor((at - promotedAt) / 1000)
    expect(second).toBeGreaterThanOrEqual(firstSecond)
    expect(second).toBeLessThanOrEqual(lastSecond)
    buckets[Math.min(second, lastSecond - 1) - firstSecond]! += 1
  }
  const mean = starts.length / buckets.length
  expect(Math.max(...buckets)).toBeLessThanOrEqual(2 * mean)
  expect(world.driver.openByEnvironment()).toEqual({ blue: 1_001 })
})
