import { afterEach, describe, expect, it } from 'vitest'

import { BlueGreenError, isBlueGreenError } from '../../errors'
import { ManualClock } from '../../testing/ManualClock'
import type { SignalingTarget } from './Driver'
import { FakeDriver } from './fake'

function target(environment: string, streamName = 'cam'): SignalingTarget {
  return {
    kind: 'publish',
    environment,
    streamName,
    app: 'live',
    endpoint: `https://${environment}.example.com/whip`,
    serverAddress: `${environment}-origin:443`,
  }
}

let clock: ManualClock
afterEach(() => {
  expect(clock.pending()).toBe(0)
})

describe('FakeDriver', () => {
  it('records every connection with its target and open/closed times, and counts open ones per environment', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    const signal = new AbortController().signal
    const a = await driver.publish(target('green'), {}, signal)
    await clock.advance(1_000)
    await driver.subscribe({ ...target('blue'), kind: 'subscribe' }, {}, signal)
    await a.close()
    expect(driver.sessions.map((s) => [s.id, s.kind, s.target.environment, s.state])).toEqual([
      [1, 'publish', 'green', 'closed'],
      [2, 'subscribe', 'blue', 'open'],
    ])
    expect(driver.sessions[0]).toMatchObject({
      openedAt: clock.now() - 1_000,
      closedAt: clock.now(),
      closeCalls: 1,
    })
    expect(driver.openByEnvironment()).toEqual({ blue: 1 })
    expect(driver.openCount({ kind: 'publish' })).toBe(0)
  })

  it('simulateDrop() ends matching open sessions and calls their onEnd listener once', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    const signal = new AbortController().signal
    const green = await driver.publish(target('green'), {}, signal)
    await driver.publish(target('blue'), {}, signal)
    const ends: (Error | undefined)[] = []
    green.onEnd((error) => ends.push(error))
    expect(driver.simulateDrop({ environment: 'green' })).toBe(1)
    expect(driver.simulateDrop({ environment: 'green' })).toBe(0)
    expect(ends).toHaveLength(1)
    expect(isBlueGreenError(ends[0], 'MEDIA_FAILED')).toBe(true)
    expect(driver.sessions[0]?.state).toBe('ended')
    expect(driver.openByEnvironment()).toEqual({ blue: 1 })
  })

  it('simulateConnectFailure(error, times) fails exactly the next `times` connects', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    const signal = new AbortController().signal
    const refused = new BlueGreenError('MEDIA_FAILED', 'refused', { status: 401 })
    driver.simulateConnectFailure(refused, 2)
    await expect(driver.publish(target('green'), {}, signal)).rejects.toBe(refused)
    await expect(driver.publish(target('green'), {}, signal)).rejects.toBe(refused)
    await expect(driver.publish(target('green'), {}, signal)).resolves.toBeDefined()
    expect(driver.connectAttempts).toBe(3)
    expect(driver.sessions).toHaveLength(1)
  })

  it('simulateConnectFailure() with a filter only fails matching connects', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    const signal = new AbortController().signal
    driver.simulateConnectFailure(new Error('blue is broken'), Infinity, { environment: 'blue' })
    await expect(driver.publish(target('blue'), {}, signal)).rejects.toThrow('blue is broken')
    await expect(driver.publish(target('green'), {}, signal)).resolves.toBeDefined()
  })

  it('simulateSlowConnect(ms) resolves only after ms on the injected clock', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    driver.simulateSlowConnect(2_000, 1)
    let done = false
    void driver.publish(target('green'), {}, new AbortController().signal).then(() => (done = true))
    await clock.advance(1_999)
    expect(done).toBe(false)
    await clock.advance(1)
    expect(done).toBe(true)
  })

  it('honours the AbortSignal during a slow connect: ABORTED, nothing recorded, its timer cleared', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    driver.simulateSlowConnect(5_000)
    const controller = new AbortController()
    const pending = driver.publish(target('green'), {}, controller.signal)
    await clock.advance(1_000)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(driver.sessions).toEqual([])
  })

  it('a publish carries the mediaStream it was given', async () => {
    clock = new ManualClock()
    const driver = new FakeDriver({ clock })
    const stream = {} as MediaStream
    const session = await driver.publish(
      target('green'),
      { mediaStream: stream },
      new AbortController().signal,
    )
    expect(session.mediaStream).toBe(stream)
  })
})
