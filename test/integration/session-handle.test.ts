/**
 * Sessions from the first click (issue 15): `client.publish()` / `client.subscribe()` hand out the session
 * synchronously as `.session`, before `ready()` and before the session code has loaded; its events are
 * observable from the start; `close()` at any moment cancels what the call started (discovery wait,
 * assignment, driver start-up, the wait for a stream) and leaves nothing behind. Real loopback discovery
 * and Stream Manager servers; the FakeDriver carries media; timers on a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { createClient, type BlueGreenClient, type ClientOptions } from '../../src'
import type { SessionEventMap } from '../../src/session/events'
import type { Session } from '../../src/session/Session'
import {
  FakeDriver,
  ManualClock,
  recordEvents,
  SESSION_EVENT_NAMES,
  type EventRecorder,
} from '../../src/testing'
import { quietNetwork } from '../../bench/swap/quiet'
import { startFakeCluster } from '../helpers/fakeCluster'
import type { ManifestServer } from '../helpers/manifestServer'
import type { TestManifest } from '../helpers/manifests'
import type { StreamManagerServer } from '../helpers/streamManagerServer'

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
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly base: TestManifest
  readonly lines: string[]
  client(options?: Partial<ClientOptions>): BlueGreenClient
  /** Moves simulated time by `ms`, timer to timer, letting HTTP finish before each step. */
  run(ms: number): Promise<void>
  idle(): Promise<void>
  /** Assignment requests for subscribers seen by `sm`. */
  subscribeRequests(sm: StreamManagerServer): number
}

async function rig(ttl = 10): Promise<Rig> {
  const clock = new ManualClock(Date.parse('2026-11-26T10:00:00Z'))
  const driver = new FakeDriver({ clock })
  const { green, blue, discovery, base, close } = await startFakeCluster(driver, { ttl })
  cleanup.push(close)
  const network = quietNetwork({ attempts: (url) => (url.startsWith(discovery.url) ? 2 : 3) })
  const lines: string[] = []
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`)
  return {
    clock,
    driver,
    discovery,
    green,
    blue,
    base,
    lines,
    idle: () => network.idle(),
    client(options = {}) {
      const channel = network.channel()
      const client = createClient({
        discovery: discovery.url,
        driver,
        clock,
        random: () => 0.5,
        fetch: channel.fetch,
        timeoutMs: 2_000,
        logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
        ...options,
      })
      channel.watch(client)
      cleanup.push(() => client.close())
      return client
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
    subscribeRequests: (sm) => sm.requests.filter((r) => /subscribe/.test(r.path)).length,
  }
}

function record(session: Session): EventRecorder<SessionEventMap> {
  const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES)
  cleanup.push(() => events.stop())
  return events
}

describe('the session from the first click', () => {
  it('subscribe() carries the session synchronously, connecting, before ready(); the promise resolves with the same object once live', async () => {
    const r = await rig()
    const broadcaster = r.client()
    await broadcaster.publish({ streamName: 'cam' })
    const viewer = r.client()

    const pending = viewer.subscribe({ streamName: 'cam' })
    const session = pending.session
    expect(session).toMatchObject({
      kind: 'subscribe',
      streamName: 'cam',
      state: 'connecting',
      environment: '',
    })
    expect(session.id).toMatch(/^subscribe-\d+$/)
    expect(viewer.manifest).toBeUndefined() // nothing loaded yet: the handle came first
    const events = record(session)

    expect(await pending).toBe(session)
    expect(session.state).toBe('live')
    expect(session.environment).toBe('green')
    expect(session.assignment.environment).toBe('green')
    expect(events.payloads('statechange')).toEqual([
      expect.objectContaining({ from: 'connecting', to: 'live' }),
    ])
    expect(viewer.sessions).toEqual([session])
    await session.close()
    expect(session.state).toBe('closed')
    expect(viewer.sessions).toEqual([])
  })

  it('close() while the manifest is still loading: closed at once, the call rejects with CLOSED, nothing was asked or opened', async () => {
    const r = await rig()
    r.discovery.fail({ kind: 'hang' })
    const client = r.client()
    const pending = client.publish({ streamName: 'cam' })
    const events = record(pending.session)
    await new Promise((done) => setTimeout(done, 50)) // the manifest request is in flight
    expect(r.discovery.requests.length + 1).toBeGreaterThan(0)

    await pending.session.close()
    expect(pending.session.state).toBe('closed')
    expect(events.names()).toEqual(['statechange', 'closed'])
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    await r.run(60_000)
    expect(r.green.requests).toEqual([])
    expect(r.driver.sessions).toEqual([])
    expect(client.sessions).toEqual([])
  })

  it('close() while the Stream Manager is answering: CLOSED, the request abandoned, no connection made', async () => {
    const r = await rig()
    const client = r.client()
    await client.ready()
    const release = r.green.hold()
    const pending = client.publish({ streamName: 'cam' })
    for (let i = 0; i < 100 && r.green.requests.length === 0; i += 1) {
      await new Promise((done) => setTimeout(done, 10))
    }
    expect(r.green.requests).toHaveLength(1)
    await pending.session.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    for (let i = 0; i < 100 && r.green.abandoned === 0; i += 1) {
      await new Promise((done) => setTimeout(done, 10))
    }
    expect(r.green.abandoned).toBe(1) // the request was aborted, not left to finish
    release()
    await r.idle()
    expect(r.driver.sessions).toEqual([])
    expect(r.clock.pending()).toBeGreaterThan(0) // the client's own revalidation timer only
    await client.close()
    expect(r.clock.pending()).toBe(0)
  })

  it('close() during the driver start-up: the connection is closed, the call rejects with CLOSED, no timer left', async () => {
    const r = await rig()
    const client = r.client()
    r.driver.simulateSlowConnect(5_000)
    const pending = client.publish({ streamName: 'cam' })
    const events = record(pending.session)
    for (let i = 0; i < 100 && r.driver.sessions.length === 0; i += 1) {
      await r.idle()
    }
    await pending.session.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    await r.run(10_000)
    expect(r.driver.open()).toEqual([])
    expect(events.names()).toEqual(['statechange', 'closed'])
    await client.close()
    expect(r.clock.pending()).toBe(0)
  })

  it('an app that only holds .session learns of a start-up failure from `failed` (no unhandled rejection)', async () => {
    const r = await rig()
    const client = r.client()
    const session = client.subscribe({ streamName: 'nobody' }).session
    const failed = new Promise((resolve) => session.once('failed', resolve))
    expect(await failed).toMatchObject({ code: 'STREAM_NOT_FOUND' })
    expect(session.state).toBe('failed')
  })

  it("the caller's signal aborts start-up before the session code has loaded: ABORTED, state failed", async () => {
    const r = await rig()
    r.discovery.fail({ kind: 'hang' })
    const client = r.client()
    const controller = new AbortController()
    const pending = client.subscribe({ streamName: 'cam', signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(pending.session.state).toBe('failed')
  })

  it('client.close() closes sessions that are still starting', async () => {
    const r = await rig()
    r.discovery.fail({ kind: 'hang' })
    const client = r.client()
    const pending = client.subscribe({ streamName: 'cam' })
    const closed = new Promise<void>((resolve) => pending.session.once('closed', resolve))
    await client.close()
    await closed
    expect(pending.session.state).toBe('closed')
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('waiting for a stream (waitForStream: true)', () => {
  it('stays connecting and says so: a `waiting` event per look, one info line, live when the broadcaster starts', async () => {
    const r = await rig()
    const viewer = r.client()
    const pending = viewer.subscribe({ streamName: 'show', waitForStream: true })
    const events = record(pending.session)
    await r.run(20_000)
    const waits = events.payloads('waiting')
    expect(waits.length).toBeGreaterThanOrEqual(3)
    expect(waits[0]).toMatchObject({ attempt: 1, environment: 'green', error: { code: 'STREAM_NOT_FOUND' } })
    expect(waits.map((w) => w.attempt)).toEqual(waits.map((_, i) => i + 1))
    expect(pending.session.state).toBe('connecting')
    expect(
      r.lines.filter((line) => line.startsWith('info') && /not published on green/.test(line)),
    ).toHaveLength(1)

    await r.client().publish({ streamName: 'show' })
    await r.run(10_000)
    expect(await pending).toBe(pending.session)
    expect(pending.session.state).toBe('live')
  })

  it('costs one Stream Manager request per look, about one per 7.5 s once backed off (at most 20 in two minutes)', async () => {
    const r = await rig()
    const viewer = r.client()
    const pending = viewer.subscribe({ streamName: 'show', waitForStream: true })
    await r.run(120_000)
    expect(r.subscribeRequests(r.green)).toBeLessThanOrEqual(20)
    expect(r.subscribeRequests(r.blue)).toBe(0) // staging is never asked
    // The manifest is revalidated by the client's ttl (10 s), not per look.
    expect(r.discovery.requests.length).toBeLessThanOrEqual(14)
    await pending.session.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it("honours the Stream Manager's Retry-After on the 404 as a floor, with jitter above it: no look before it says", async () => {
    const r = await rig()
    r.green.fail(
      {
        kind: 'status',
        status: 404,
        body: { errorMessage: 'not published' },
        headers: { 'Retry-After': '30' },
      },
      1,
    )
    const viewer = r.client()
    const pending = viewer.subscribe({ streamName: 'show', waitForStream: true })
    const events = record(pending.session)
    await r.run(29_900)
    expect(r.subscribeRequests(r.green)).toBe(1)
    // Spread over [30 s, 45 s): retryAfterSpreadMs(30 s) = 15 s.
    const { delayMs } = events.payloads('waiting')[0] as { delayMs: number }
    expect(delayMs).toBeGreaterThanOrEqual(30_000)
    expect(delayMs).toBeLessThan(45_000)
    await r.run(delayMs - 29_900 + 1_000)
    expect(r.subscribeRequests(r.green)).toBe(2)
    await pending.session.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('a new manifest revision ends the pause at once (the stream may be on the new production)', async () => {
    const r = await rig(1)
    const viewer = r.client()
    const pending = viewer.subscribe({ streamName: 'show', waitForStream: true })
    await r.run(40_000) // backed off to 7.5 s pauses
    const broadcaster = r.client({ environment: 'blue' })
    await broadcaster.publish({ streamName: 'show' })
    const before = r.subscribeRequests(r.blue)
    r.discovery.set({ ...r.base, revision: 2, roles: { production: 'blue', staging: 'green' } })
    await r.run(1_500) // the viewer revalidates within its 1 s ttl, then looks again at once
    expect(r.subscribeRequests(r.blue)).toBe(before + 1)
    expect(pending.session.state).toBe('live')
    expect(pending.session.environment).toBe('blue')
    await pending
  })

  it('close() while waiting: closed, the call rejects with CLOSED, no further request, no timer of the session', async () => {
    const r = await rig()
    const viewer = r.client()
    const pending = viewer.subscribe({ streamName: 'show', waitForStream: true })
    await r.run(5_000)
    await pending.session.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    const asked = r.subscribeRequests(r.green)
    await r.run(60_000)
    expect(r.subscribeRequests(r.green)).toBe(asked)
    await viewer.close()
    expect(r.clock.pending()).toBe(0)
  })
})
