import { afterEach, describe, expect, it } from 'vitest'

import { BlueGreenError, isBlueGreenError } from '../errors'
import { recordEvents } from '../testing/recorder'
import { type ClientSpec, FakeWorld, type ManifestSpec } from './__fixtures__/world'
import type { Driver, DriverSession } from './drivers/Driver'
import { SESSION_EVENT_NAMES, type SessionEventMap } from './events'
import type { SessionManager } from './SessionManager'

const STEADY: ManifestSpec = {
  revision: 1,
  roles: { production: 'green', staging: 'blue' },
  environments: { green: {}, blue: {} },
}

/** Fixed, visible delays: attempt n waits n * 100 ms. */
const linearPolicy = { nextDelayMs: ({ attempt }: { attempt: number }) => attempt * 100 }

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

function setup(spec: ClientSpec = {}, manifest: ManifestSpec = STEADY) {
  const world = new FakeWorld(manifest)
  const { host, sessions } = world.client(spec)
  cleanup.push(() => sessions.close())
  return { world, host, sessions }
}

/** Runs a start-up to completion on the manual clock. */
async function started<T>(world: FakeWorld, promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined) // the caller asserts on the rejection after the flush
  await world.clock.flush()
  return promise
}

async function publishLive(world: FakeWorld, sessions: SessionManager, streamName = 'cam') {
  return started(world, sessions.publish({ streamName }))
}

describe('publish() and subscribe()', () => {
  it('publish() resolves once media flows, live on the selected environment', async () => {
    const { world, sessions } = setup()
    const session = await publishLive(world, sessions)
    expect(session.state).toBe('live')
    expect(session.kind).toBe('publish')
    expect(session.environment).toBe('green')
    expect(session.assignment).toMatchObject({ environment: 'green', kind: 'publish', streamName: 'cam' })
    expect(world.driver.openByEnvironment()).toEqual({ green: 1 })
    expect(sessions.sessions).toEqual([session])
  })

  it('subscribe() plays a stream published on the selected environment', async () => {
    const { world, sessions } = setup()
    await publishLive(world, sessions)
    const viewer = await started(world, sessions.subscribe({ streamName: 'cam' }))
    expect(viewer.kind).toBe('subscribe')
    expect(viewer.environment).toBe('green')
    expect(world.driver.openCount({ kind: 'subscribe', environment: 'green' })).toBe(1)
  })

  it('subscribe() of a stream published nowhere rejects with STREAM_NOT_FOUND and leaves nothing behind', async () => {
    const { world, sessions } = setup()
    await expect(started(world, sessions.subscribe({ streamName: 'nobody' }))).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
    })
    expect(sessions.sessions).toEqual([])
    expect(world.driver.openCount()).toBe(0)
    expect(world.clock.pending()).toBe(0)
  })

  it('subscribe({ waitForStream: true }) keeps trying until the stream appears', async () => {
    const { world, sessions } = setup()
    let viewer: Awaited<ReturnType<SessionManager['subscribe']>> | undefined
    void sessions.subscribe({ streamName: 'later', waitForStream: true }).then((s) => (viewer = s))
    await world.clock.advance(30_000)
    expect(viewer).toBeUndefined()
    await publishLive(world, sessions, 'later')
    await world.clock.advance(15_000)
    expect(viewer?.state).toBe('live')
  })

  it('subscribe({ waitForStream: true }) stops waiting when its signal aborts (ABORTED, no timers left)', async () => {
    const { world, sessions } = setup()
    const controller = new AbortController()
    const pending = sessions.subscribe({
      streamName: 'later',
      waitForStream: true,
      signal: controller.signal,
    })
    await world.clock.advance(5_000)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(world.clock.pending()).toBe(0)
  })

  it('rejects a missing stream name with INVALID_ARGUMENT before any request', async () => {
    const { world, sessions } = setup()
    await expect(sessions.publish({ streamName: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(world.resolveCalls).toEqual([])
  })

  it('rejects with ABORTED when the signal is already aborted', async () => {
    const { world, sessions } = setup()
    const signal = AbortSignal.abort()
    await expect(sessions.publish({ streamName: 'cam', signal })).rejects.toMatchObject({ code: 'ABORTED' })
    expect(world.resolveCalls).toEqual([])
  })

  it('a start-up refused by the node (403) rejects with that MEDIA_FAILED error', async () => {
    const { world, sessions } = setup()
    world.driver.simulateConnectFailure(new BlueGreenError('MEDIA_FAILED', 'refused', { status: 403 }))
    await expect(started(world, sessions.publish({ streamName: 'cam' }))).rejects.toMatchObject({
      code: 'MEDIA_FAILED',
      status: 403,
    })
    expect(sessions.sessions).toEqual([])
  })

  it('merges per-call connectionParams over the client-wide ones on the signalling target', async () => {
    const { world, sessions } = setup({ connectionParams: { username: 'u', token: 'client' } })
    await started(world, sessions.publish({ streamName: 'cam', connectionParams: { token: 'call' } }))
    expect(world.driver.sessions[0]?.target.connectionParams).toEqual({ username: 'u', token: 'call' })
  })
})

describe('recovery after a drop', () => {
  it('reconnects with the policy delays; reconnecting/reconnected carry attempts and delays', async () => {
    const { world, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES, { clock: world.clock })
    cleanup.push(async () => events.stop())
    world.driver.simulateConnectFailure(new BlueGreenError('MEDIA_FAILED', 'ICE failed'), 2)
    const droppedAt = world.clock.now()
    world.driver.simulateDrop()
    expect(session.state).toBe('reconnecting')
    await world.clock.runAll()

    expect(session.state).toBe('live')
    expect(events.payloads('reconnecting').map(({ attempt, delayMs }) => ({ attempt, delayMs }))).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
      { attempt: 3, delayMs: 300 },
    ])
    expect(events.payloads('reconnecting')[1]?.error.message).toContain('ICE failed')
    expect(events.payloads('reconnected')).toEqual([{ attempt: 3, environment: 'green', downtimeMs: 600 }])
    expect(events.events.find((e) => e.name === 'reconnected')?.at).toBe(droppedAt + 600)
    expect(events.payloads('statechange').map(({ from, to }) => `${from}->${to}`)).toEqual([
      'live->reconnecting',
      'reconnecting->live',
    ])
    expect(world.driver.openCount()).toBe(1)
    expect(world.clock.pending()).toBe(0)
  })

  it('the default policy waits a random time below initialDelayMs, doubling its ceiling each attempt', async () => {
    const { world, sessions } = setup({ reconnect: { initialDelayMs: 1000, maxDelayMs: 3000 } })
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, ['reconnecting'])
    cleanup.push(async () => events.stop())
    world.driver.simulateConnectFailure(new BlueGreenError('MEDIA_FAILED', 'ICE failed'), 3)
    world.driver.simulateDrop()
    await world.clock.runAll()
    const delays = events.payloads('reconnecting').map((e) => e.delayMs)
    expect(delays).toHaveLength(4)
    const ceilings = [1000, 2000, 3000, 3000]
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(ceilings[i]!)
    })
  })

  it('revalidates the manifest before reconnecting and goes where it now points', async () => {
    const { world, host, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    // Discovery serves a promotion this client has not polled yet; the drop makes it look.
    world.discoveryDown = true
    world.publish({ ...STEADY, revision: 2, roles: { production: 'blue', staging: 'green' } })
    world.discoveryDown = false
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(host.manifest().revision).toBe(2)
    expect(session.environment).toBe('blue')
    expect(world.driver.openByEnvironment()).toEqual({ blue: 1 })
  })

  it('a policy returning null stops: failed with the last error, nothing open, no timers, no listeners', async () => {
    const { world, sessions } = setup({
      reconnect: { nextDelayMs: ({ attempt }) => (attempt <= 2 ? 50 : null) },
    })
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES)
    world.unreachable.add('green')
    world.unreachable.add('blue')
    world.driver.simulateDrop()
    await world.clock.runAll()

    expect(session.state).toBe('failed')
    const [error] = events.payloads('failed')
    expect(error?.code).toBe('STREAM_MANAGER_UNAVAILABLE')
    expect(error?.message).toContain('stopped reconnecting after 2 attempt(s)')
    expect(events.count('reconnecting')).toBe(2)
    expect(world.driver.openCount()).toBe(0)
    expect(world.clock.pending()).toBe(0)
    expect(session.listenerCount('statechange')).toBe(0)
    expect(sessions.sessions).toEqual([])
  })

  it('a throwing policy stops too, reported as INVALID_ARGUMENT (the policy is application code)', async () => {
    const { world, sessions } = setup({
      reconnect: {
        nextDelayMs: () => {
          throw new Error('bug in policy')
        },
      },
    })
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, ['failed', 'reconnecting'])
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(session.state).toBe('failed')
    expect(events.count('reconnecting')).toBe(0)
    expect(events.payloads('failed')[0]).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect((events.payloads('failed')[0]?.cause as Error).message).toBe('bug in policy')
    expect(world.driver.openCount()).toBe(0)
  })

  it.each([
    [
      'a node refusing the credentials (401)',
      new BlueGreenError('MEDIA_FAILED', 'unauthorized', { status: 401 }),
    ],
    [
      'a node refusing the stream (406)',
      new BlueGreenError('MEDIA_FAILED', 'not acceptable', { status: 406 }),
    ],
    ['an invalid argument', new BlueGreenError('INVALID_ARGUMENT', 'bad stream name')],
    ['no driver able to reach the node', new BlueGreenError('DRIVER_UNAVAILABLE', 'no WebRTC')],
  ])('fails at once, without another attempt, on %s', async (_name, error) => {
    const { world, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, ['reconnecting', 'failed'])
    world.driver.simulateConnectFailure(error, 5)
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(session.state).toBe('failed')
    expect(events.count('reconnecting')).toBe(1)
    expect(events.payloads('failed')[0]?.code).toBe(error.code)
    expect(world.driver.connectAttempts).toBe(2) // the start, and the one reconnect that was refused
  })

  it('a pinned (QA) client whose environment went offline fails with ENVIRONMENT_OFFLINE instead of moving', async () => {
    const { world, sessions } = setup({ pinned: true, selector: 'blue', reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    expect(session.environment).toBe('blue')
    const events = recordEvents<SessionEventMap>(session, ['failed'])
    world.discoveryDown = true // the client learns it only when the drop makes it revalidate
    world.publish({ ...STEADY, revision: 2, environments: { green: {}, blue: { state: 'offline' } } })
    world.discoveryDown = false
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(session.state).toBe('failed')
    expect(events.payloads('failed')[0]?.code).toBe('ENVIRONMENT_OFFLINE')
    expect(world.driver.openByEnvironment()).toEqual({})
  })

  it('a listener that throws breaks nothing: the reconnect completes and the error is logged', async () => {
    const { world, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    session.on('statechange', () => {
      throw new Error('listener bug')
    })
    session.on('reconnecting', () => {
      throw new Error('listener bug')
    })
    world.driver.simulateDrop()
    await world.clock.runAll()
    expect(session.state).toBe('live')
    expect(world.driver.openCount()).toBe(1)
    expect(
      world.logger.lines.filter((l) => l.level === 'error' && l.message.includes('listener threw')),
    ).toHaveLength(3)
  })

  it('a retired connection that ends again later is ignored (drops are per connection)', async () => {
    const { world, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    const [first] = world.driver.sessions
    world.driver.simulateDrop()
    await world.clock.runAll()
    const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES)
    cleanup.push(async () => events.stop())
    // A misbehaving driver reports the end of the old connection once more: nothing happens.
    ;(first as unknown as { end(error: Error): void }).end(new Error('late'))
    await world.clock.runAll()
    expect(events.names()).toEqual([])
    expect(session.state).toBe('live')
  })
})

describe('close()', () => {
  it('is idempotent: one closed event, every connection closed, no listeners, no timers', async () => {
    const { world, sessions } = setup()
    const session = await publishLive(world, sessions)
    const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES)
    await Promise.all([session.close(), session.close()])
    await session.close()
    expect(events.names()).toEqual(['statechange', 'closed'])
    expect(session.state).toBe('closed')
    expect(world.driver.sessions[0]?.state).toBe('closed')
    expect(session.listenerCount('closed')).toBe(0)
    expect(sessions.sessions).toEqual([])
    expect(world.clock.pending()).toBe(0)
  })

  it('during a slow start-up: publish() rejects with CLOSED, the attempt is aborted, no timers remain', async () => {
    const { world, sessions } = setup()
    world.driver.simulateSlowConnect(10_000)
    const pending = sessions.publish({ streamName: 'cam' })
    await world.clock.advance(1_000)
    expect(world.clock.pending()).toBe(1)
    await sessions.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    expect(world.clock.pending()).toBe(0)
    expect(world.driver.openCount()).toBe(0)
  })

  it('during a slow reconnect: the attempt is aborted, nothing is left open, no timers remain', async () => {
    const { world, sessions } = setup({ reconnect: linearPolicy })
    const session = await publishLive(world, sessions)
    world.driver.simulateSlowConnect(10_000)
    world.driver.simulateDrop()
    await world.clock.advance(2_000) // waited the 100 ms delay, now connecting slowly
    expect(session.state).toBe('reconnecting')
    await session.close()
    expect(session.state).toBe('closed')
    expect(world.clock.pending()).toBe(0)
    await world.clock.runAll()
    expect(world.driver.openCount()).toBe(0)
  })

  it('closes a connection that a driver delivers after the abort (drivers that ignore the signal)', async () => {
    const world = new FakeWorld(STEADY)
    let deliver: ((session: DriverSession) => void) | undefined
    let closedLate = false
    const stubborn: Driver = {
      name: 'stubborn',
      publish: () => new Promise((resolve) => (deliver = resolve)),
      subscribe: () => Promise.reject(new Error('unused')),
    }
    const { host, sessions } = world.client()
    host.driverFor = () => Promise.resolve(stubborn)
    const pending = sessions.publish({ streamName: 'cam' })
    await world.clock.flush()
    await sessions.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    deliver?.({
      onEnd: () => undefined,
      close: () => {
        closedLate = true
        return Promise.resolve()
      },
    })
    await world.clock.flush()
    expect(closedLate).toBe(true)
  })

  it('client close() closes every session, unsubscribes from manifests, and refuses new sessions with CLOSED', async () => {
    const { world, host, sessions } = setup()
    await publishLive(world, sessions)
    await started(world, sessions.subscribe({ streamName: 'cam' }))
    await sessions.close()
    expect(world.driver.openCount()).toBe(0)
    expect(host.listenerCount).toBe(0)
    expect(world.clock.pending()).toBe(0)
    const error: unknown = await sessions.publish({ streamName: 'x' }).catch((e: unknown) => e)
    expect(isBlueGreenError(error, 'CLOSED')).toBe(true)
  })

  it('migrate() after close rejects with CLOSED', async () => {
    const { world, sessions } = setup()
    const session = await publishLive(world, sessions)
    await session.close()
    await expect(session.migrate()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
