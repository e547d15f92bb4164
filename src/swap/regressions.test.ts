import { expect, it } from 'vitest'

import { FakeWorld, type ManifestSpec } from '../session/__fixtures__/world'

/** Five quick attempts, then stop: every run settles. */
const bounded = { nextDelayMs: ({ attempt }: { attempt: number }) => (attempt <= 5 ? 150 * attempt : null) }
const migration = { windowMs: 10_000, leadMs: 500, marginMs: 1_000 }

// Found by lifecycle.property.test.ts (seed 637796869): a promotion, a drop, a promotion back, a drop
// and a slow connect left the publisher `live` with no connection at all.
it('a publisher dropped during a move that a rollback superseded ends live with exactly one connection', async () => {
  const first: ManifestSpec = {
    revision: 1,
    roles: { production: 'green' },
    environments: { green: {}, blue: {}, red: {} },
  }
  const world = new FakeWorld(first, { seed: 1 })
  const broadcaster = world.client({ reconnect: bounded, migration })
  const pending = broadcaster.sessions.publish({ streamName: 'cam', connectionParams: { tag: 'p' } })
  await world.clock.advance(0)
  await world.clock.advance(10_000)
  const session = await pending

  world.publish({
    revision: 2,
    roles: { production: 'blue' },
    environments: { green: { state: 'serving' }, blue: {}, red: {} },
  })
  world.driver.simulateDrop()
  await world.clock.advance(0)
  world.publish({
    revision: 3,
    roles: { production: 'green' },
    environments: { green: {}, blue: { state: 'serving' }, red: {} },
  })
  world.driver.simulateDrop()
  world.driver.simulateSlowConnect(1, 1)
  await world.clock.advance(0)
  await world.clock.runAll()

  expect(session.state).toBe('live')
  expect(world.driver.openCount()).toBe(1)
  await broadcaster.sessions.close()
  expect(world.driver.openCount()).toBe(0)
})
