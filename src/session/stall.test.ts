/**
 * A frozen source at the session level: the driver's stall signal becomes the session's `stalled` and
 * `resumed` events, the session stays `live` and does not reconnect; a drop still reconnects. FakeDriver
 * (the unit boundary) with a stall signal the test gives.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { ManualClock } from '../testing/ManualClock'
import { recordEvents } from '../testing/recorder'
import { FakeWorld } from './__fixtures__/world'
import type { Driver } from './drivers/Driver'
import { SESSION_EVENT_NAMES, type SessionEventMap } from './events'
import { relayLiveness } from './stall'

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

/** FakeDriver's subscriptions, with a stall signal the test fires through `stall(true | false)`. */
function stallingWorld() {
  const world = new FakeWorld({
    revision: 1,
    roles: { production: 'green', staging: 'blue' },
    environments: { green: {}, blue: {} },
  })
  const listeners: ((stalled: boolean) => void)[] = []
  const base = world.driver
  const driver: Driver = {
    name: 'stalling',
    publish: (target, options, signal) => base.publish(target, options, signal),
    async subscribe(target, options, signal) {
      const inner = await base.subscribe(target, options, signal)
      return {
        mediaStream: inner.mediaStream,
        onEnd: (listener) => inner.onEnd(listener),
        close: () => inner.close(),
        onStall: (listener) => listeners.push(listener),
      }
    },
  }
  const { host, sessions } = world.client()
  host.driverFor = () => Promise.resolve(driver)
  cleanup.push(() => sessions.close())
  const stall = (stalled: boolean): void => listeners.forEach((listener) => listener(stalled))
  return { world, sessions, stall }
}

describe('a frozen source (DriverSession.onStall)', () => {
  it('emits stalled then resumed, stays live and never reconnects', async () => {
    const { world, sessions, stall } = stallingWorld()
    const pub = sessions.publish({ streamName: 'cam' })
    await world.clock.flush()
    await pub
    const pending = sessions.subscribe({ streamName: 'cam' })
    await world.clock.flush()
    const viewer = await pending
    const events = recordEvents<SessionEventMap>(viewer, SESSION_EVENT_NAMES, { clock: world.clock })

    stall(true)
    stall(true) // a repeat is not a second stall
    await world.clock.advance(10_000)
    stall(false)

    expect(events.names()).toEqual(['stalled', 'resumed'])
    expect(events.events[0]?.args[0]).toEqual({ environment: 'green' })
    expect(events.events[1]?.args[0]).toEqual({ environment: 'green', stalledMs: 10_000 })
    expect(viewer.state).toBe('live')
    expect(world.driver.openCount({ kind: 'subscribe' })).toBe(1)
  })

  it('a drop during a stall still reconnects (a dead path is not a frozen source)', async () => {
    const { world, sessions, stall } = stallingWorld()
    const pub = sessions.publish({ streamName: 'cam' })
    await world.clock.flush()
    await pub
    const pending = sessions.subscribe({ streamName: 'cam' })
    await world.clock.flush()
    const viewer = await pending
    const events = recordEvents<SessionEventMap>(viewer, SESSION_EVENT_NAMES, { clock: world.clock })

    stall(true)
    world.driver.simulateDrop({ kind: 'subscribe' })
    await world.clock.advance(5000)

    expect(events.names()).toContain('reconnecting')
    expect(events.names()).toContain('reconnected')
    expect(viewer.state).toBe('live')
  })
})

describe('relayLiveness: the Stream Manager probes a connection prompts', () => {
  /** A driver session whose stall and disconnected signals the test gives; the probes it prompted. */
  function relayed() {
    const stallListeners: ((stalled: boolean) => void)[] = []
    const doubtListeners: ((disconnected: boolean) => void)[] = []
    const probes: string[] = []
    const told: string[] = []
    relayLiveness(
      {
        mediaStream: undefined,
        onEnd: () => undefined,
        close: () => Promise.resolve(),
        onStall: (listener) => stallListeners.push(listener),
        onDisconnected: (listener) => doubtListeners.push(listener),
      },
      {
        clock: new ManualClock(),
        isCurrent: () => true,
        environment: () => 'green',
        stalled: () => told.push('stalled'),
        resumed: () => told.push('resumed'),
        inDoubt: (environment) => probes.push(environment),
      },
    )
    return {
      probes,
      told,
      stall: (stalled: boolean) => stallListeners.forEach((listener) => listener(stalled)),
      doubt: (disconnected: boolean) => doubtListeners.forEach((listener) => listener(disconnected)),
    }
  }

  it('a stall alone: one probe', () => {
    const r = relayed()
    r.stall(true)
    r.stall(false)
    expect(r.probes).toEqual(['green'])
    expect(r.told).toEqual(['stalled', 'resumed'])
  })

  it('a doubt that turns out a frozen source (the watch saw life after one last packet): one probe, not two', () => {
    const r = relayed()
    r.doubt(true)
    r.stall(true) // the watch tells the stall, then the end of its doubt
    r.doubt(false)
    expect(r.probes).toEqual(['green'])
    expect(r.told).toEqual(['stalled'])
  })

  it('a doubt that cleared, then a stall: probed again (the production may have died since)', () => {
    const r = relayed()
    r.doubt(true)
    r.doubt(false)
    r.stall(true)
    expect(r.probes).toEqual(['green', 'green'])
  })
})
