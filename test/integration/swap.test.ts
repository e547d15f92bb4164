/**
 * The swap rules of DESIGN section 5, end to end through `createClient`: a real loopback discovery server,
 * two real loopback Stream Managers (green speaks 1.x, blue speaks 2.0), the FakeDriver carrying media.
 * The clients' timers run on a ManualClock; HTTP is real. A Stream Manager finds a stream for a subscriber
 * exactly while a FakeDriver publish of it is open on that environment, as a real cluster would.
 *
 * Time moves from timer to timer (`rig.run(ms)`), and before each step the clients' network work (requests
 * in flight, retries of failed ones, checking a received manifest) is allowed to finish
 * (`bench/swap/quiet.ts`, shared with the swap benchmark), so what a revalidation or an assignment starts
 * happens at the simulated moment it would.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { createClient, type BlueGreenClient } from '../../src'
import type { ClientEvents, StaleEvent } from '../../src/events'
import type { ClientOptions } from '../../src/options'
import type { SessionEventMap } from '../../src/session/events'
import type { Session, SubscribeSession } from '../../src/session/Session'
import {
  FakeDriver,
  ManualClock,
  recordEvents,
  SESSION_EVENT_NAMES,
  type EventRecorder,
} from '../../src/testing'
import { quietNetwork } from '../../bench/swap/quiet'
import { startManifestServer, type ManifestServer } from '../helpers/manifestServer'
import { manifest, promoted, type TestManifest } from '../helpers/manifests'
import { startStreamManagerServer, type StreamManagerServer } from '../helpers/streamManagerServer'

const START = Date.parse('2026-11-26T10:00:00Z')
const TTL_S = 10
const DRAIN_MS = 60_000
/** Retries every simulated second, for a while: enough for every scenario, never forever. */
const RECONNECT = { nextDelayMs: ({ attempt }: { attempt: number }) => (attempt <= 120 ? 1_000 : null) }

/** A small seeded PRNG (mulberry32), so spreads and jitter are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

interface Rig {
  readonly clock: ManualClock
  readonly driver: FakeDriver
  readonly discovery: ManifestServer
  /** Stream Manager 1.x of environment `green`. */
  readonly green: StreamManagerServer
  /** Stream Manager 2.0 of environment `blue`. */
  readonly blue: StreamManagerServer
  /** Revision 1: green production, blue staging, both serving. */
  readonly base: TestManifest
  /** A client on the rig (closed after the test); `stale`, `manifest` and `error` are recorded. */
  client(options?: Partial<ClientOptions>): Client
  /** Moves simulated time forward by `ms`, timer to timer, letting HTTP finish before each step. */
  run(ms: number): Promise<void>
  /** Waits (real time) until no HTTP request is in flight and promise callbacks have run. */
  idle(): Promise<void>
  /** Drain deadline `ms` after now, as ISO time. */
  deadlineIn(ms: number): string
  /** Closes every client made so far. */
  closeClients(): Promise<void>
  /** Every live session of every client. */
  liveSessions(): Session[]
}

interface Client {
  readonly client: BlueGreenClient
  readonly events: EventRecorder<ClientEvents>
}

async function rig(initial?: (base: TestManifest) => TestManifest): Promise<Rig> {
  const clock = new ManualClock(START)
  const driver = new FakeDriver({ clock })
  const green = await startStreamManagerServer({ api: 'sm1' })
  cleanup.push(() => green.close())
  const blue = await startStreamManagerServer({ api: 'sm2' })
  cleanup.push(() => blue.close())
  // A subscriber finds a stream on an environment while its publish is open there.
  for (const [name, sm] of [
    ['green', green],
    ['blue', blue],
  ] as const) {
    sm.published.has = (key: string) =>
      driver
        .open({ kind: 'publish', environment: name })
        .some((s) => `${s.target.app}/${s.target.streamName}` === key)
  }
  const base = manifest({
    ttl: TTL_S,
    environments: {
      green: { streamManager: green.url, api: 'sm1', state: 'serving' },
      blue: { streamManager: blue.url, api: 'sm2', state: 'serving' },
    },
  })
  const discovery = await startManifestServer(initial ? initial(base) : base)
  cleanup.push(() => discovery.close())

  // Real HTTP; the rig only watches it, to know when the clients' network work is done.
  const network = quietNetwork({ attempts: (url) => (url.startsWith(discovery.url) ? 2 : 3) })
  let clients = 0
  const made: BlueGreenClient[] = []
  return {
    clock,
    driver,
    discovery,
    green,
    blue,
    base,
    idle: () => network.idle(),
    client(options = {}) {
      clients += 1
      const channel = network.channel()
      const client = createClient({
        discovery: discovery.url,
        driver,
        clock,
        random: seeded(clients * 7919),
        fetch: channel.fetch,
        timeoutMs: 2_000,
        reconnect: RECONNECT,
        ...options,
      })
      channel.watch(client)
      made.push(client)
      const events = recordEvents<ClientEvents>(client, ['stale', 'manifest', 'error'], { clock })
      cleanup.push(async () => {
        events.stop()
        await client.close()
      })
      return { client, events }
    },
    async run(ms) {
      const until = clock.now() + ms
      await network.idle()
      while (clock.now() < until) {
        const next = Math.min(clock.nextAt() ?? until, until)
        await clock.advance(Math.max(0, next - clock.now()))
        await network.idle()
      }
    },
    deadlineIn: (ms) => new Date(clock.now() + ms).toISOString(),
    async closeClients() {
      await Promise.all(made.map((client) => client.close()))
    },
    liveSessions: () => made.flatMap((client) => client.sessions).filter((s) => s.state === 'live'),
  }
}

function record(session: Session): EventRecorder<SessionEventMap> {
  const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES, { clock: clockOf.current })
  cleanup.push(() => events.stop())
  return events
}
const clockOf: { current: ManualClock | undefined } = { current: undefined }

async function newRig(initial?: (base: TestManifest) => TestManifest): Promise<Rig> {
  const made = await rig(initial)
  clockOf.current = made.clock
  return made
}

/** A broadcaster client publishing `cam`, and a viewer client with `viewers` subscribers of it. */
async function audience(r: Rig, viewers: number, options: Partial<ClientOptions> = {}) {
  const broadcaster = r.client(options)
  const publisher = await broadcaster.client.publish({ streamName: 'cam' })
  const audienceClient = r.client(options)
  const subscribers: SubscribeSession[] = []
  for (let i = 0; i < viewers; i += 1) {
    subscribers.push(await audienceClient.client.subscribe({ streamName: 'cam' }))
  }
  return { broadcaster, publisher, audienceClient, subscribers }
}

function publishesOf(r: Rig, environment: string) {
  return r.driver.sessions.filter((s) => s.kind === 'publish' && s.target.environment === environment)
}

describe('promotion in steady state (through createClient, real HTTP)', () => {
  it('moves the publisher make-before-break, then every subscriber without a gap before the deadline; new sessions start on blue', async () => {
    const r = await newRig()
    const { broadcaster, publisher, audienceClient, subscribers } = await audience(r, 12)
    expect(r.driver.openByEnvironment()).toEqual({ green: 13 })

    const publisherEvents = record(publisher)
    // At the moment the publisher reports its move, both publishes are open: make-before-break.
    const openPublishesAtMove: number[] = []
    publisher.on('migrated', () => openPublishesAtMove.push(r.driver.openCount({ kind: 'publish' })))
    const viewerEvents = subscribers.map(record)

    const deadline = r.deadlineIn(DRAIN_MS)
    r.discovery.set(promoted(r.base, 'blue', deadline))
    await r.run(TTL_S * 1000) // every client revalidates within one ttl

    expect(broadcaster.client.environment?.name).toBe('blue')
    expect(publisher.environment).toBe('blue')
    expect(publisherEvents.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
    expect(openPublishesAtMove).toEqual([2])
    const [oldPublish] = publishesOf(r, 'green')
    const [newPublish] = publishesOf(r, 'blue')
    expect(newPublish!.openedAt).toBeLessThan(oldPublish!.closedAt ?? Number.POSITIVE_INFINITY)

    // New sessions after the flip go straight to blue, on a client that already knew green and on a new one.
    const lateViewer = await audienceClient.client.subscribe({ streamName: 'cam' })
    const newcomer = await r.client().client.subscribe({ streamName: 'cam' })
    expect([lateViewer.environment, newcomer.environment]).toEqual(['blue', 'blue'])
    expect(
      r.driver.sessions.filter((s) => s.target.environment === 'green' && s.kind === 'subscribe'),
    ).toHaveLength(12)

    await r.run(DRAIN_MS)
    for (const events of viewerEvents) {
      const moves = events.events.filter((e) => e.name === 'migrated')
      expect(moves.map((e) => e.args[0])).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
      expect(moves[0]!.at).toBeLessThan(Date.parse(deadline))
      expect(events.count('reconnecting')).toBe(0)
    }
    expect(subscribers.map((s) => s.environment)).toEqual(Array(12).fill('blue'))
    // The old publish was retired; nothing is left on green, nothing leaked.
    expect(oldPublish!.state).toBe('closed')
    expect(r.driver.openByEnvironment()).toEqual({ blue: 15 })
  })
})

describe('rollback in the middle of the drain', () => {
  it('ends every session on green, takes the kept green publish back, and leaks no connection', async () => {
    const r = await newRig()
    const { publisher, subscribers } = await audience(r, 10)
    r.discovery.set(promoted(r.base, 'blue', r.deadlineIn(DRAIN_MS)))
    await r.run(TTL_S * 1000)
    expect(publisher.environment).toBe('blue')
    // Moves take a while from now on, so the rollback catches some viewers in the middle of one.
    r.driver.simulateSlowConnect(4_000)
    await r.run(20_000)
    const onBlue = subscribers.filter((s) => s.environment === 'blue').length
    const moving = subscribers.filter((s) => s.state === 'migrating').length
    expect(onBlue).toBeGreaterThan(0)
    expect(onBlue + moving).toBeLessThan(subscribers.length)

    const rollback = promoted(
      promoted(r.base, 'blue', r.deadlineIn(DRAIN_MS)),
      'green',
      r.deadlineIn(DRAIN_MS),
    )
    r.discovery.set({ ...rollback, revision: 3 })
    await r.run(TTL_S * 1000 + DRAIN_MS)

    expect(publisher.environment).toBe('green')
    expect(subscribers.map((s) => [s.environment, s.state])).toEqual(Array(10).fill(['green', 'live']))
    // The publisher took its kept green publish back instead of publishing a second copy on green.
    expect(publishesOf(r, 'green')).toHaveLength(1)
    expect(publishesOf(r, 'green')[0]!.isOpen).toBe(true)
    // One open connection per live session, all on green: no half-made move survived.
    expect(r.driver.openCount()).toBe(r.liveSessions().length)
    expect(r.driver.openByEnvironment()).toEqual({ green: 11 })

    await r.closeClients()
    expect(r.driver.openCount()).toBe(0)
    expect(r.clock.pending()).toBe(0)
  })
})

describe('discovery down during the swap', () => {
  it('keeps every session where it plays and says stale; once discovery heals, they move', async () => {
    const r = await newRig()
    const { broadcaster, publisher, audienceClient, subscribers } = await audience(r, 6)
    const sessionEvents = [publisher, ...subscribers].map(record)
    r.discovery.fail({ kind: 'status', status: 503, body: 'maintenance' })
    r.discovery.set(promoted(r.base, 'blue', r.deadlineIn(3 * DRAIN_MS)))
    await r.run(3 * TTL_S * 1000)

    for (const { events } of [broadcaster, audienceClient]) {
      expect(events.count('stale')).toBeGreaterThan(0)
      const stale = events.events.filter((e) => e.name === 'stale').map((e) => e.args[0] as StaleEvent)
      expect(new Set(stale.map((e) => e.revision))).toEqual(new Set([1]))
    }
    for (const events of sessionEvents) {
      expect(events.names()).toEqual([])
    }
    expect(r.driver.openByEnvironment()).toEqual({ green: 7 })
    expect(r.blue.requests).toHaveLength(0)

    r.discovery.heal()
    await r.run(2 * DRAIN_MS)
    expect([publisher, ...subscribers].map((s) => s.environment)).toEqual(Array(7).fill('blue'))
    for (const events of sessionEvents) {
      expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
    }
    expect(r.driver.openByEnvironment()).toEqual({ blue: 7 })
  })
})

describe('old environment killed abruptly', () => {
  it('sessions keep trying while nothing else is production, then reconnect to blue once it is promoted', async () => {
    const r = await newRig()
    // A Stream Manager that does not answer costs each attempt its timeout (real time): keep it short.
    const { publisher, subscribers } = await audience(r, 6, { timeoutMs: 500 })
    const all = [publisher, ...subscribers]
    const sessionEvents = all.map(record)

    r.green.fail({ kind: 'hang' }) // the Stream Manager stops answering...
    expect(r.driver.simulateDrop({ environment: 'green' })).toBe(7) // ...and every connection drops
    await r.run(5_000)
    expect(all.map((s) => s.state)).toEqual(Array(7).fill('reconnecting'))
    expect(r.driver.openCount()).toBe(0)

    r.discovery.set(promoted(r.base, 'blue', r.deadlineIn(DRAIN_MS)))
    await r.run(2 * TTL_S * 1000)
    expect(all.map((s) => [s.environment, s.state])).toEqual(Array(7).fill(['blue', 'live']))
    for (const events of sessionEvents) {
      expect(events.payloads('reconnected').map((e) => e.environment)).toEqual(['blue'])
      expect(events.count('failed')).toBe(0)
    }
    expect(r.driver.openByEnvironment()).toEqual({ blue: 7 })
  })
})

describe('a QA client pinned to an environment by name', () => {
  it('stays on blue through a promotion of green (even past the deadline), then fails with ENVIRONMENT_OFFLINE', async () => {
    const blueProduction = (base: TestManifest): TestManifest => ({
      ...base,
      roles: { production: 'blue', staging: 'green' },
    })
    const r = await newRig(blueProduction)
    const qa = r.client({ environment: 'blue' })
    const qaPublisher = await qa.client.publish({ streamName: 'qa-cam' })
    const qaViewer = await qa.client.subscribe({ streamName: 'qa-cam' })
    const qaEvents = [qaPublisher, qaViewer].map(record)
    const production = await r.client().client.publish({ streamName: 'show' })
    expect([qaPublisher.environment, qaViewer.environment, production.environment]).toEqual([
      'blue',
      'blue',
      'blue',
    ])

    const drain = promoted(blueProduction(r.base), 'green', r.deadlineIn(30_000))
    r.discovery.set(drain)
    await r.run(TTL_S * 1000 + DRAIN_MS) // well past blue's drain deadline
    expect(production.environment).toBe('green')
    expect([qaPublisher, qaViewer].map((s) => [s.environment, s.state])).toEqual([
      ['blue', 'live'],
      ['blue', 'live'],
    ])
    for (const events of qaEvents) {
      expect(events.count('migrating') + events.count('reconnecting')).toBe(0)
    }

    r.discovery.set({
      ...drain,
      revision: drain.revision + 1,
      environments: { ...drain.environments, blue: { ...drain.environments.blue, state: 'offline' } },
    })
    await r.run(TTL_S * 1000)
    for (const [index, session] of [qaPublisher, qaViewer].entries()) {
      expect(session.state).toBe('failed')
      expect(qaEvents[index]!.payloads('failed').map((e) => e.code)).toEqual(['ENVIRONMENT_OFFLINE'])
    }
    const qaConnections = r.driver.sessions.filter((s) => s.target.streamName === 'qa-cam')
    expect(qaConnections.map((s) => s.target.environment)).toEqual(['blue', 'blue'])
    expect(qaConnections.every((s) => !s.isOpen)).toBe(true)
    expect(r.driver.openByEnvironment()).toEqual({ green: 1 })
  })
})

describe('a viewer whose stream is only on the draining side', () => {
  it('is served by the draining environment, waits for the broadcaster, then moves without a gap', async () => {
    const r = await newRig()
    const broadcaster = r.client()
    const publisher = await broadcaster.client.publish({ streamName: 'cam' })
    r.discovery.set(promoted(r.base, 'blue', r.deadlineIn(DRAIN_MS)))

    // A new viewer knows of the flip at once; the broadcaster's client has not revalidated yet.
    const viewerClient = r.client({ migration: { windowMs: 3_000, leadMs: 500 } })
    const viewer = await viewerClient.client.subscribe({ streamName: 'cam' })
    expect(viewerClient.client.environment?.name).toBe('blue')
    expect(publisher.environment).toBe('green')
    expect(viewer.environment).toBe('green')
    const events = record(viewer)

    await r.run(TTL_S * 1000 + DRAIN_MS)
    expect(publisher.environment).toBe('blue')
    expect(viewer.environment).toBe('blue')
    // It tried before the broadcaster had moved, stayed where it played, and moved once the stream was there.
    expect(events.count('migrating')).toBeGreaterThan(1)
    expect(events.payloads('migrated')).toEqual([{ from: 'green', to: 'blue', interruptionMs: 0 }])
    expect(events.count('reconnecting')).toBe(0)
    const [bluePublish] = publishesOf(r, 'blue')
    const blueView = r.driver.sessions.find((s) => s.kind === 'subscribe' && s.target.environment === 'blue')
    expect(blueView!.openedAt).toBeGreaterThanOrEqual(bluePublish!.openedAt)
    expect(r.driver.openByEnvironment()).toEqual({ blue: 2 })
  })
})
