import fc from 'fast-check'
import { expect, it } from 'vitest'

import { BlueGreenError } from '../errors'
import { FakeWorld, type ManifestSpec } from '../session/__fixtures__/world'
import type { Session } from '../session/Session'

const ENVIRONMENTS = ['green', 'blue', 'red'] as const
type Env = (typeof ENVIRONMENTS)[number]

type Action =
  | { t: 'drop'; environment: Env | undefined; kind: 'publish' | 'subscribe' | undefined }
  | { t: 'connectFailure'; times: number; status: number | undefined }
  | { t: 'slow'; ms: number; times: number }
  | { t: 'manifest'; production: Env; old: 'serving' | 'draining' | 'offline'; drainMs: number }
  | { t: 'close'; index: number }
  | { t: 'migrate'; index: number }
  | { t: 'subscribe' }
  | { t: 'advance'; ms: number }

const env = fc.constantFrom(...ENVIRONMENTS)
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('drop' as const),
      environment: fc.option(env, { nil: undefined }),
      kind: fc.option(fc.constantFrom('publish' as const, 'subscribe' as const), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('connectFailure' as const),
      times: fc.integer({ min: 1, max: 3 }),
      status: fc.option(fc.constantFrom(500, 503, 401), { nil: undefined, freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('slow' as const),
      ms: fc.integer({ min: 1, max: 8_000 }),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('manifest' as const),
      production: env,
      old: fc.constantFrom('serving' as const, 'draining' as const, 'draining' as const, 'offline' as const),
      drainMs: fc.integer({ min: 500, max: 40_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('close' as const), index: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('migrate' as const), index: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('subscribe' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
  },
)

/** Five quick attempts, then stop: every run settles. */
const bounded = { nextDelayMs: ({ attempt }: { attempt: number }) => (attempt <= 5 ? 150 * attempt : null) }

async function run(actions: Action[], seed: number): Promise<void> {
  const first: ManifestSpec = {
    revision: 1,
    roles: { production: 'green' },
    environments: { green: {}, blue: {}, red: {} },
  }
  const world = new FakeWorld(first, { seed })
  const broadcaster = world.client({
    reconnect: bounded,
    migration: { windowMs: 10_000, leadMs: 500, marginMs: 1_000 },
  })
  const audience = world.client({
    reconnect: bounded,
    migration: { windowMs: 10_000, leadMs: 500, marginMs: 1_000 },
  })
  const sessions: { tag: string; session: Session }[] = []
  let tags = 0
  const start = async (kind: 'publish' | 'subscribe'): Promise<void> => {
    const tag = `${kind}-${(tags += 1)}`
    const manager = kind === 'publish' ? broadcaster.sessions : audience.sessions
    const pending = manager[kind]({ streamName: 'cam', connectionParams: { tag } })
    pending.catch(() => undefined) // start-up may fail (stream nowhere, refused): not what this test is about
    await world.clock.advance(0)
    await world.clock.advance(10_000)
    const session = await pending.catch(() => undefined)
    if (session) {
      sessions.push({ tag, session })
    }
  }
  await start('publish')
  await start('subscribe')
  await start('subscribe')

  let revision = 1
  let production: Env = 'green'
  for (const step of actions) {
    switch (step.t) {
      case 'drop':
        world.driver.simulateDrop({
          ...(step.environment ? { environment: step.environment } : {}),
          ...(step.kind ? { kind: step.kind } : {}),
        })
        break
      case 'connectFailure':
        world.driver.simulateConnectFailure(
          new BlueGreenError(
            'MEDIA_FAILED',
            'simulated',
            step.status === undefined ? {} : { status: step.status },
          ),
          step.times,
        )
        break
      case 'slow':
        world.driver.simulateSlowConnect(step.ms, step.times)
        break
      case 'manifest': {
        if (step.production === production) {
          break
        }
        revision += 1
        const environments: ManifestSpec['environments'] = { green: {}, blue: {}, red: {} }
        environments[production] =
          step.old === 'draining' ? { state: 'draining', deadlineInMs: step.drainMs } : { state: step.old }
        world.publish({ revision, roles: { production: step.production }, environments })
        production = step.production
        break
      }
      case 'close': {
        const entry = sessions[step.index % Math.max(1, sessions.length)]
        await entry?.session.close()
        break
      }
      case 'migrate': {
        const entry = sessions[step.index % Math.max(1, sessions.length)]
        entry?.session.migrate().catch(() => undefined)
        break
      }
      case 'subscribe':
        await start('subscribe')
        break
      case 'advance':
        await world.clock.advance(step.ms)
        break
    }
  }

  await world.clock.runAll()

  // Settled: every session is live with exactly one connection, or ended with none.
  for (const { tag, session } of sessions) {
    const open = world.driver.openCount((s) => s.target.connectionParams?.['tag'] === tag)
    expect([tag, session.state]).toEqual([tag, expect.stringMatching(/^(live|closed|failed)$/)])
    expect([tag, open]).toEqual([tag, session.state === 'live' ? 1 : 0])
  }

  await broadcaster.sessions.close()
  await audience.sessions.close()
  await world.clock.flush() // no time passes: whatever is still scheduled now was leaked
  expect(world.clock.pending()).toBe(0)
  expect(world.driver.openCount()).toBe(0)
  expect(broadcaster.host.listenerCount + audience.host.listenerCount).toBe(0)
}

it('whatever drops, failures, slow connects, manifest changes and close() calls happen: at most one connection per live session once settled, none after close, no timers left', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(action, { minLength: 5, maxLength: 30 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      run,
    ),
    { numRuns: 120 },
  )
})
