import { afterEach, describe, expect, it } from 'vitest'

import { type ClientSpec, FakeWorld, type ManifestSpec } from '../session/__fixtures__/world'
import type { FakeDriverSession } from '../session/drivers/fake'
import { SESSION_EVENT_NAMES, type SessionEventMap } from '../session/events'
import type { SessionHost } from '../session/host'
import { RECONNECT_DEFAULTS } from '../session/ReconnectPolicy'
import type { PublishSession, SubscribeSession } from '../session/Session'
import { type EventRecorder, recordEvents } from '../testing/recorder'

const GREEN_LIVE: ManifestSpec = {
  revision: 1,
  roles: { production: 'green', staging: 'blue' },
  environments: { green: {}, blue: {}, red: {} },
}

/** Revision `revision` makes `to` production and drains `from` for `drainMs`. */
function promote(revision: number, to: string, from: string, drainMs: number): ManifestSpec {
  return {
    revision,
    roles: { production: to, staging: from },
    environments: { [to]: {}, [from]: { state: 'draining', deadlineInMs: drainMs }, red: {} },
  }
}

const quickRetries = { nextDelayMs: ({ attempt }: { attempt: number }) => (attempt <= 20 ? 1_000 : null) }

let cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

/** The world of the running test (its clock stamps recorded events). */
let worldClock: FakeWorld['clock'] | undefined

function newWorld(manifest: ManifestSpec = GREEN_LIVE): FakeWorld {
  const world = new FakeWorld(manifest, { seed: 7 })
  worldClock = world.clock
  return world
}

function client(world: FakeWorld, spec: ClientSpec = {}) {
  const made = world.client({ reconnect: quickRetries, ...spec })
  cleanup.push(() => made.sessions.close())
  return made
}

function record(session: PublishSession | SubscribeSession): EventRecorder<SessionEventMap> {
  const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES, { clock: worldClock })
  cleanup.push(() => events.stop())
  return events
}

async function live<T>(world: FakeWorld, promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  await world.clock.flush()
  return promise
}

/** A publisher and `viewers` subscribers (each tagged `viewer: i`) of stream `cam`, all on `green`. */
async function audience(world: FakeWorld, viewers: number, spec: ClientSpec = {}) {
  const broadcaster = client(world, spec)
  const publisher = await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
  const watchers = client(world, spec)
  const subscribers: SubscribeSession[] = []
  for (let i = 0; i < viewers; i += 1) {
    subscribers.push(
      await live(world, watchers.sessions.subscribe({ streamName: 'cam', connectionParams: { viewer: i } })),
    )
  }
  return { broadcaster, publisher, watchers, subscribers }
}

function connectionsOf(world: FakeWorld, viewer: number): FakeDriverSession[] {
  return world.driver.sessions.filter((s) => s.target.connectionParams?.['viewer'] === viewer)
}

describe('promotion in steady state', () => {
  it('moves the publisher at once (new publish live before the old stops), then every subscriber within the window, make-before-break', async () => {
    const world = newWorld()
    const { publisher, subscribers } = await audience(world, 6)
    const publisherEvents = record(publisher)
    const viewerEvents = subscribers.map(record)
    const promotedAt = world.clock.now()

    world.publish(promote(2, 'blue', 'green', 30_000))
    expect(publisher.state).toBe('migrating')
    await world.clock.flush()

    // Publisher: on blue at once, with its old publish still feeding the viewers left on green.
    expect(publisher.environment).toBe('blue')
    expect(publisherEvents.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
    expect(world.driver.openCount({ kind: 'publish' })).toBe(2)
    expect(subscribers.every((s) => s.environment === 'green')).toBe(true)

    await world.clock.runAll()

    // Subscribers: each moved once, at a moment in [lead, deadline - margin], with no interruption.
    const window = { start: promotedAt + 2_000, end: promotedAt + 25_000 }
    subscribers.forEach((subscriber, i) => {
      const events = viewerEvents[i]!
      expect(subscriber.environment).toBe('blue')
      expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
      const startedAt = events.events.find((e) => e.name === 'migrating')!.at!
      expect(startedAt).toBeGreaterThanOrEqual(window.start)
      expect(startedAt).toBeLessThanOrEqual(window.end)
      const [old, next] = connectionsOf(world, i)
      expect(next!.openedAt).toBeLessThanOrEqual(old!.closedAt!)
      expect(old!.state).toBe('closed')
    })
    // The old publish stopped no later than the deadline and no sooner than the last viewer's move.
    const oldPublish = world.driver.sessions.find(
      (s) => s.kind === 'publish' && s.target.environment === 'green',
    )!
    const lastMove = Math.max(...viewerEvents.map((e) => e.events.find((x) => x.name === 'migrated')!.at!))
    expect(oldPublish.closedAt).toBeGreaterThanOrEqual(lastMove)
    expect(oldPublish.closedAt).toBeLessThanOrEqual(promotedAt + 30_000)
    expect(world.driver.openByEnvironment()).toEqual({ blue: 7 })
    expect(world.clock.pending()).toBe(0)
  })

  it('spreads subscribers over windowMs when the old environment keeps serving (no deadline)', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 8, { migration: { windowMs: 20_000, leadMs: 1_000 } })
    const events = subscribers.map(record)
    const promotedAt = world.clock.now()
    world.publish({ ...GREEN_LIVE, revision: 2, roles: { production: 'blue', staging: 'green' } })
    await world.clock.runAll()
    for (const recorder of events) {
      const at = recorder.events.find((e) => e.name === 'migrating')!.at!
      expect(at - promotedAt).toBeGreaterThanOrEqual(1_000)
      expect(at - promotedAt).toBeLessThanOrEqual(20_000)
    }
    expect(world.driver.openByEnvironment()).toEqual({ blue: 9 })
  })

  it('without make-before-break the old connection closes first and the gap is reported', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 1, { migration: { makeBeforeBreak: false } })
    const [viewer] = subscribers
    const events = record(viewer!)
    world.publish(promote(2, 'blue', 'green', 30_000))
    await world.clock.flush()
    world.driver.simulateSlowConnect(400)
    await world.clock.runAll()
    const [old, next] = connectionsOf(world, 0)
    expect(old!.closedAt).toBeLessThanOrEqual(next!.openedAt)
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 400 }])
  })

  it('with make-before-break a slow new connection costs no interruption', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 1)
    const events = record(subscribers[0]!)
    world.publish(promote(2, 'blue', 'green', 30_000))
    await world.clock.flush()
    world.driver.simulateSlowConnect(400)
    await world.clock.runAll()
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
  })
})

describe('superseded moves', () => {
  it('a rollback while the publisher is still connecting to the new side cancels that move; nothing leaks', async () => {
    const world = newWorld()
    const { publisher } = await audience(world, 0)
    const events = record(publisher)
    world.driver.simulateSlowConnect(5_000)
    world.publish(promote(2, 'blue', 'green', 30_000))
    await world.clock.advance(1_000)
    expect(publisher.state).toBe('migrating')

    world.publish({ ...GREEN_LIVE, revision: 3 })
    await world.clock.runAll()
    expect(publisher.state).toBe('live')
    expect(publisher.environment).toBe('green')
    expect(events.count('migrated')).toBe(0)
    expect(events.payloads('statechange').map(({ from, to }) => `${from}->${to}`)).toEqual([
      'live->migrating',
      'migrating->live',
    ])
    expect(world.driver.openByEnvironment()).toEqual({ green: 1 })
    expect(world.driver.sessions.filter((s) => s.target.environment === 'blue')).toEqual([])
    expect(world.clock.pending()).toBe(0)
  })

  it('a newer promotion redirects a move in flight: it ends on the newest target, the superseded attempt is closed', async () => {
    const world = newWorld()
    const { publisher } = await audience(world, 0)
    const events = record(publisher)
    world.driver.simulateSlowConnect(5_000, 1)
    world.publish(promote(2, 'blue', 'green', 30_000))
    await world.clock.advance(1_000)
    world.publish({
      revision: 3,
      roles: { production: 'red', staging: 'blue' },
      environments: { red: {}, green: { state: 'draining', deadlineInMs: 30_000 }, blue: {} },
    })
    await world.clock.runAll()
    expect(publisher.environment).toBe('red')
    expect(events.payloads('migrating')).toEqual([
      { from: 'green', to: 'blue' },
      { from: 'green', to: 'red' },
    ])
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'red', interruptionMs: 0 }])
    expect(world.driver.openByEnvironment()).toEqual({ red: 1 })
    expect(world.driver.sessions.some((s) => s.target.environment === 'blue')).toBe(false)
    expect(world.clock.pending()).toBe(0)
  })

  it('a subscriber caught mid-move by a rollback stays where it plays; its half-made connection is closed', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 1, { migration: { leadMs: 0, windowMs: 1 } })
    const [viewer] = subscribers
    const events = record(viewer!)
    world.publish(promote(2, 'blue', 'green', 30_000))
    await world.clock.flush() // the publisher is on blue now
    world.driver.simulateSlowConnect(5_000)
    await world.clock.advance(500) // the viewer's move has started and is connecting slowly
    expect(viewer!.state).toBe('migrating')
    world.publish({ ...GREEN_LIVE, revision: 3 })
    await world.clock.runAll()
    expect(viewer!.environment).toBe('green')
    expect(events.count('migrated')).toBe(0)
    expect(connectionsOf(world, 0).map((s) => [s.target.environment, s.state])).toEqual([['green', 'open']])
    expect(world.clock.pending()).toBe(0)
  })
})

describe('rollback in the middle of a drain', () => {
  it('moves everyone back: the publisher takes back its old publish (no second publish), moved viewers return, waiting viewers never move', async () => {
    const world = newWorld()
    const { publisher, subscribers } = await audience(world, 8, { migration: { windowMs: 40_000 } })
    const publisherEvents = record(publisher)
    const viewerEvents = subscribers.map(record)
    world.publish(promote(2, 'blue', 'green', 60_000))
    await world.clock.advance(15_000)
    const movedEarly = subscribers.filter((s) => s.environment === 'blue')
    const waiting = subscribers.filter((s) => s.environment === 'green')
    expect(movedEarly.length).toBeGreaterThan(0)
    expect(waiting.length).toBeGreaterThan(0)

    world.publish({
      revision: 3,
      roles: { production: 'green', staging: 'blue' },
      environments: { green: {}, blue: { state: 'draining', deadlineInMs: 60_000 }, red: {} },
    })
    await world.clock.flush()
    expect(publisher.environment).toBe('green')
    expect(publisherEvents.payloads('migrated')).toEqual([
      { from: 'green', to: 'blue', interruptionMs: 0 },
      { from: 'blue', to: 'green', interruptionMs: 0 },
    ])
    expect(
      world.driver.sessions.filter((s) => s.kind === 'publish').map((s) => s.target.environment),
    ).toEqual(['green', 'blue'])

    await world.clock.runAll()
    subscribers.forEach((subscriber, i) => {
      expect(subscriber.environment).toBe('green')
      const moves = viewerEvents[i]!.payloads('migrated')
      if (movedEarly.includes(subscriber)) {
        expect(moves).toEqual([
          { from: 'green', to: 'blue', interruptionMs: 0 },
          { from: 'blue', to: 'green', interruptionMs: 0 },
        ])
      } else {
        expect(viewerEvents[i]!.count('migrating')).toBe(0)
      }
    })
    expect(world.driver.openByEnvironment()).toEqual({ green: 9 })
    expect(world.clock.pending()).toBe(0)
  })
})

describe('a stream only on the draining side', () => {
  it('serves a new subscriber from the draining environment, retries the move while the stream is missing, moves after the publisher did', async () => {
    const world = newWorld()
    const broadcaster = client(world)
    await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
    broadcaster.host.discoveryDown = true // this broadcaster does not see the promotion yet
    world.publish(promote(2, 'blue', 'green', 60_000))

    const watchers = client(world, { migration: { leadMs: 2_000, windowMs: 5_000 } })
    const viewer = await live(world, watchers.sessions.subscribe({ streamName: 'cam' }))
    expect(viewer.environment).toBe('green')
    const events = record(viewer)

    await world.clock.advance(10_000) // its move starts within 5 s and finds nothing on blue, several times
    const attemptsOnBlue = world.resolveCalls.filter(
      (c) => c.kind === 'subscribe' && c.environment === 'blue',
    )
    expect(attemptsOnBlue.length).toBeGreaterThan(1)
    expect(viewer.environment).toBe('green')
    expect(viewer.state).toBe('live')
    expect(events.count('reconnecting')).toBe(0)

    broadcaster.host.discoveryDown = false
    await broadcaster.host.revalidate() // the publisher moves at once
    await world.clock.advance(1_500) // the next retry of the viewer's move succeeds
    expect(viewer.environment).toBe('blue')
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
  })

  it('viewers that arrive before their publisher retry spread over the rest of their window, not on a fixed beat', async () => {
    const world = newWorld()
    const broadcaster = client(world)
    await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
    broadcaster.host.discoveryDown = true // the publisher stays on green: every viewer move finds nothing
    const watchers = client(world, { migration: { leadMs: 1_000, windowMs: 30_000, marginMs: 1_000 } })
    const viewers = 20
    for (let i = 0; i < viewers; i++) {
      await live(world, watchers.sessions.subscribe({ streamName: 'cam' }))
    }
    world.publish(promote(2, 'blue', 'green', 120_000))
    await world.clock.advance(30_000)
    const tries = world.resolveCalls.filter((c) => c.kind === 'subscribe' && c.environment === 'blue')
    // On the 1 s reconnect beat each viewer would try ~15 times in its window (about 300 requests); redrawn
    // over what is left of the window, a handful each.
    expect(tries.length).toBeGreaterThanOrEqual(viewers)
    expect(tries.length).toBeLessThan(viewers * 8)
    expect(watchers.sessions.sessions.every((v) => v.environment === 'green' && v.state === 'live')).toBe(
      true,
    )
  })

  it('a subscriber still on the old side when the deadline passes reconnects, and follows the publisher once it moved', async () => {
    const world = newWorld()
    const broadcaster = client(world)
    await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
    broadcaster.host.discoveryDown = true
    const watchers = client(world)
    const viewer = await live(world, watchers.sessions.subscribe({ streamName: 'cam' }))
    const events = record(viewer)
    world.publish(promote(2, 'blue', 'green', 20_000))
    await world.clock.advance(20_000)
    expect(events.payloads('reconnecting')[0]?.error.message).toContain('drain deadline')

    broadcaster.host.discoveryDown = false
    await broadcaster.host.revalidate()
    await world.clock.runAll()
    expect(viewer.environment).toBe('blue')
    expect(viewer.state).toBe('live')
    expect(events.payloads('reconnected').at(-1)?.environment).toBe('blue')
  })
})

describe('outages', () => {
  it('the old environment killed abruptly: dropped viewers reconnect to the new one; the moved publisher is untouched', async () => {
    const world = newWorld()
    const { publisher, subscribers } = await audience(world, 4)
    const publisherEvents = record(publisher)
    const viewerEvents = subscribers.map(record)
    world.publish(promote(2, 'blue', 'green', 60_000))
    await world.clock.advance(1_000) // publisher moved; viewers wait for their moment
    world.kill('green')
    await world.clock.runAll()
    subscribers.forEach((subscriber, i) => {
      expect(subscriber.environment).toBe('blue')
      expect(subscriber.state).toBe('live')
      expect(viewerEvents[i]!.payloads('reconnected')).toMatchObject([{ environment: 'blue' }])
      expect(viewerEvents[i]!.count('migrated')).toBe(0)
    })
    expect(publisherEvents.count('reconnecting')).toBe(0)
    expect(publisher.state).toBe('live')
    expect(world.driver.openByEnvironment()).toEqual({ blue: 5 })
    expect(world.clock.pending()).toBe(0)
  })

  it('an environment that dies before the manifest says so: sessions retry until the operator promotes the other one', async () => {
    const world = newWorld()
    const { publisher, subscribers } = await audience(world, 3)
    world.kill('green')
    await world.clock.advance(5_000)
    expect(publisher.state).toBe('reconnecting')
    world.publish({
      ...GREEN_LIVE,
      revision: 2,
      roles: { production: 'blue' },
      environments: { green: { state: 'offline' }, blue: {} },
    })
    await world.clock.runAll()
    expect([publisher, ...subscribers].map((s) => [s.environment, s.state])).toEqual(
      Array.from({ length: 4 }, () => ['blue', 'live']),
    )
  })

  it('an environment marked offline: its sessions reconnect to the selected one, each after its own jittered delay', async () => {
    const world = newWorld()
    const { publisher, subscribers } = await audience(world, 5, { reconnect: {} })
    const events = [publisher, ...subscribers].map(record)
    world.publish({
      revision: 2,
      roles: { production: 'blue' },
      environments: { green: { state: 'offline' }, blue: {} },
    })
    await world.clock.runAll()
    const firstDelays = events.map((e) => e.payloads('reconnecting')[0]!.delayMs)
    for (const delay of firstDelays) {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(500)
    }
    expect(new Set(firstDelays).size).toBeGreaterThan(1)
    expect(world.driver.openByEnvironment()).toEqual({ blue: 6 })
  })

  it('viewers that stall during a failover (one frozen broadcaster, many viewers) move after their own reconnect wait: soon, and not all at one moment', async () => {
    const world = newWorld()
    const migration = { windowMs: 20_000, leadMs: 5_000, marginMs: 50 }
    const { watchers, subscribers } = await audience(world, 8, { reconnect: {}, migration })
    // The failover itself is the client's (test/integration/failover.test.ts); here it is in flux, and
    // the backup is what the client selects.
    ;(watchers.host as SessionHost).failoverInFlux = () => true
    const events = subscribers.map(record)
    world.publish({ revision: 2, roles: { production: 'blue' }, environments: { green: {}, blue: {} } })
    await world.clock.advance(1_000)
    expect(events.every((e) => e.names().length === 0)).toBe(true) // planned 5-20 s from now
    const lostAt = world.clock.now()
    expect(world.driver.simulateStall({ environment: 'green', kind: 'subscribe' })).toBe(8)
    await world.clock.advance(2_000)
    const startedAfter = events.map((e) => e.events.find((x) => x.name === 'migrating')!.at! - lostAt)
    for (const wait of startedAfter) {
      expect(wait).toBeGreaterThanOrEqual(0)
      expect(wait).toBeLessThan(RECONNECT_DEFAULTS.initialDelayMs) // the default policy's first wait
    }
    expect(new Set(startedAfter).size).toBeGreaterThan(4) // spread, not one wave
    expect(subscribers.map((s) => s.environment)).toEqual(Array(8).fill('blue'))
  })

  it('discovery down during a swap: sessions keep running untouched on the last good manifest', async () => {
    const world = newWorld()
    const { publisher, subscribers, watchers } = await audience(world, 3)
    const events = [publisher, ...subscribers].map(record)
    const opened = world.driver.sessions.length
    world.discoveryDown = true
    world.publish(promote(2, 'blue', 'green', 60_000))
    for (let i = 0; i < 10; i += 1) {
      await watchers.host.revalidate()
      await world.clock.advance(15_000)
    }
    expect(events.every((e) => e.events.length === 0)).toBe(true)
    expect(world.driver.sessions.length).toBe(opened)
    expect(world.driver.openByEnvironment()).toEqual({ green: 4 })

    // A drop meanwhile reconnects on the last good manifest (green).
    world.driver.simulateDrop({ kind: 'subscribe', streamName: 'cam' }, undefined)
    await world.clock.runAll()
    expect(subscribers.every((s) => s.environment === 'green' && s.state === 'live')).toBe(true)
  })
})

describe('pinned (QA) clients', () => {
  it('stay on their environment while it serves or drains, and fail with ENVIRONMENT_OFFLINE when it goes offline', async () => {
    const world = newWorld()
    const qa = client(world, { pinned: true, selector: 'blue' })
    const qaPublisher = await live(world, qa.sessions.publish({ streamName: 'qa-cam' }))
    const qaViewer = await live(world, qa.sessions.subscribe({ streamName: 'qa-cam' }))
    const prod = client(world)
    const prodPublisher = await live(world, prod.sessions.publish({ streamName: 'cam' }))
    const qaEvents = [qaPublisher, qaViewer].map(record)

    world.publish({ ...GREEN_LIVE, revision: 2, roles: { production: 'green' } }) // staging role removed
    world.publish({
      revision: 3,
      roles: { production: 'green' },
      environments: { green: {}, blue: { state: 'draining', deadlineInMs: 10_000 } },
    })
    await world.clock.advance(60_000)
    expect(qaEvents.every((e) => e.events.length === 0)).toBe(true)
    expect([qaPublisher.environment, qaViewer.environment]).toEqual(['blue', 'blue'])

    world.publish({
      revision: 4,
      roles: { production: 'green' },
      environments: { green: {}, blue: { state: 'offline' } },
    })
    await world.clock.runAll()
    for (const events of qaEvents) {
      expect(events.payloads('failed')).toMatchObject([{ code: 'ENVIRONMENT_OFFLINE', environment: 'blue' }])
    }
    expect(qa.sessions.sessions).toEqual([])
    expect(world.driver.openByEnvironment()).toEqual({ green: 1 })
    expect(prodPublisher.state).toBe('live')
  })
})

describe('pinned clients and draining environments', () => {
  it('a pinned viewer is never served by another environment, even one that carries the stream', async () => {
    const world = newWorld()
    const broadcaster = client(world)
    await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
    world.publish(promote(2, 'blue', 'green', 60_000))
    await world.clock.flush() // the broadcaster moves to blue, keeping its green publish for a while
    // Blue and the draining green carry the stream; a QA client pinned to red must not be sent there.
    expect(world.carries('green', 'cam') && world.carries('blue', 'cam')).toBe(true)
    const qa = client(world, { pinned: true, selector: 'red' })
    await expect(live(world, qa.sessions.subscribe({ streamName: 'cam' }))).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
      environment: 'red',
    })
  })
})

describe('session.migrate()', () => {
  it('moves one subscriber now, make-before-break, instead of waiting for its turn', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 2)
    const [first, second] = subscribers
    const events = record(first!)
    world.publish(promote(2, 'blue', 'green', 60_000))
    await world.clock.flush()
    await first!.migrate()
    expect(first!.environment).toBe('blue')
    expect(second!.environment).toBe('green')
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
    await world.clock.runAll()
    expect(events.count('migrating')).toBe(1)
    expect(second!.environment).toBe('blue')
  })

  it('while reconnecting, resolves once recovery has put the session on the selected environment', async () => {
    const world = newWorld()
    const { subscribers } = await audience(world, 1)
    const [viewer] = subscribers
    world.driver.simulateDrop({ kind: 'subscribe' })
    expect(viewer!.state).toBe('reconnecting')
    let resolved = false
    const moving = viewer!.migrate().then(() => (resolved = true))
    await world.clock.flush()
    expect(resolved).toBe(false)
    await world.clock.runAll()
    await moving
    expect(viewer!.state).toBe('live')
  })

  it('resolves at once, doing nothing, when the session is already on the selected environment', async () => {
    const world = newWorld()
    const { publisher } = await audience(world, 0)
    const events = record(publisher)
    await publisher.migrate()
    expect(events.events).toEqual([])
  })

  it('rejects with the new side’s error and keeps playing when the stream is not there yet', async () => {
    const world = newWorld()
    const broadcaster = client(world)
    await live(world, broadcaster.sessions.publish({ streamName: 'cam' }))
    broadcaster.host.discoveryDown = true
    const watchers = client(world)
    const viewer = await live(world, watchers.sessions.subscribe({ streamName: 'cam' }))
    world.publish(promote(2, 'blue', 'green', 60_000))
    await expect(viewer.migrate()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND', environment: 'blue' })
    expect(viewer.state).toBe('live')
    expect(viewer.environment).toBe('green')
    expect(world.driver.openCount({ kind: 'subscribe', environment: 'green' })).toBe(1)
  })
})
