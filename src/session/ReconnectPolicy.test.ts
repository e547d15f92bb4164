import { describe, expect, it } from 'vitest'

import { BlueGreenError } from '../errors'
import { recordEvents } from '../testing/recorder'
import { FakeWorld } from './__fixtures__/world'
import type { SessionEventMap } from './events'
import { resolveSessionSettings } from './options'
import { askPolicy, defaultReconnectPolicy } from './ReconnectPolicy'

const error = new BlueGreenError('MEDIA_FAILED', 'dropped')

describe('defaultReconnectPolicy()', () => {
  it('waits random() of a ceiling that starts at initialDelayMs and doubles up to maxDelayMs', () => {
    const policy = defaultReconnectPolicy({ initialDelayMs: 500, maxDelayMs: 3_000 }, () => 0.5)
    const delays = [1, 2, 3, 4, 5].map((attempt) =>
      policy.nextDelayMs({ attempt, elapsedMs: 0, error, kind: 'subscribe' }),
    )
    expect(delays).toEqual([250, 500, 1_000, 1_500, 1_500])
  })

  it('defaults to 500 ms initial, 15 s cap, and never gives up', () => {
    const policy = defaultReconnectPolicy({}, () => 0.999_999)
    expect(policy.nextDelayMs({ attempt: 1, elapsedMs: 0, error, kind: 'subscribe' })).toBe(499)
    expect(policy.nextDelayMs({ attempt: 1_000, elapsedMs: 0, error, kind: 'subscribe' })).toBe(14_999)
  })

  it("sends a broadcaster's first attempt at once, and jitters its later ones like a viewer's", () => {
    const policy = defaultReconnectPolicy({ initialDelayMs: 500, maxDelayMs: 3_000 }, () => 0.5)
    const delays = [1, 2, 3].map((attempt) =>
      policy.nextDelayMs({ attempt, elapsedMs: 0, error, kind: 'publish' }),
    )
    expect(delays).toEqual([0, 500, 1_000])
  })

  it('gives up (null) after maxAttempts', () => {
    const policy = defaultReconnectPolicy({ maxAttempts: 2 }, () => 0)
    expect(
      [1, 2, 3].map((attempt) => policy.nextDelayMs({ attempt, elapsedMs: 0, error, kind: 'subscribe' })),
    ).toEqual([0, 0, null])
  })

  it.each([
    [{ initialDelayMs: -1 }, 'reconnect.initialDelayMs'],
    [{ maxDelayMs: Number.NaN }, 'reconnect.maxDelayMs'],
    [{ maxAttempts: -3 }, 'reconnect.maxAttempts'],
    [{ initialDelayMs: 10_000, maxDelayMs: 1_000 }, 'larger than reconnect.maxDelayMs'],
  ])('rejects %o with INVALID_ARGUMENT naming the option', (options, text) => {
    expect(() => defaultReconnectPolicy(options, Math.random)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(text) }),
    )
  })
})

describe('askPolicy()', () => {
  const context = { attempt: 3, elapsedMs: 1_000, error, kind: 'subscribe' } as const

  it('passes a delay through', () => {
    expect(askPolicy({ nextDelayMs: () => 42 }, context)).toEqual({ delayMs: 42 })
  })

  it('passes 0 ms through: reconnect at once is a delay, not a stop', () => {
    expect(askPolicy({ nextDelayMs: () => 0 }, context)).toEqual({ delayMs: 0 })
  })

  it('turns null into a deliberate stop', () => {
    expect(askPolicy({ nextDelayMs: () => null }, context)).toEqual({ stop: 'null' })
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('oops')
      },
    ],
    ['returns a negative delay', () => -5],
    ['returns NaN', () => Number.NaN],
    ['returns a string', () => '100' as unknown as number],
  ])('stops with INVALID_ARGUMENT when the policy %s', (_name, nextDelayMs) => {
    const answer = askPolicy({ nextDelayMs }, context)
    expect(answer).toMatchObject({ stop: 'broken', error: { code: 'INVALID_ARGUMENT' } })
  })
})

describe('resolveSessionSettings()', () => {
  it('fills the documented defaults', () => {
    const settings = resolveSessionSettings({}, () => 0)
    expect(settings.migration).toEqual({
      makeBeforeBreak: true,
      windowMs: 60_000,
      leadMs: 2_000,
      marginMs: 5_000,
    })
    expect(settings.reconnect.nextDelayMs({ attempt: 1, elapsedMs: 0, error, kind: 'subscribe' })).toBe(0)
  })

  it('uses a given policy object as is', () => {
    const policy = { nextDelayMs: () => 7 }
    expect(resolveSessionSettings({ reconnect: policy }, Math.random).reconnect).toBe(policy)
  })

  it('keeps makeBeforeBreak: false (to measure what make-before-break saves)', () => {
    expect(
      resolveSessionSettings({ migration: { makeBeforeBreak: false } }, Math.random).migration
        .makeBeforeBreak,
    ).toBe(false)
  })

  it.each([
    [{ windowMs: -1 }, 'migration.windowMs'],
    [{ leadMs: Number.POSITIVE_INFINITY }, 'migration.leadMs'],
    [{ marginMs: '5' as unknown as number }, 'migration.marginMs'],
    [{ makeBeforeBreak: 'yes' as unknown as boolean }, 'migration.makeBeforeBreak'],
  ])('rejects migration %o with INVALID_ARGUMENT naming the option', (migration, text) => {
    expect(() => resolveSessionSettings({ migration }, Math.random)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(text) }),
    )
  })
})

describe('a policy returning 0 ms', () => {
  it('reconnects at once after a drop, with delayMs 0, and the session is live again', async () => {
    const world = new FakeWorld({
      revision: 1,
      roles: { production: 'green' },
      environments: { green: {} },
    })
    const { sessions } = world.client({ reconnect: { nextDelayMs: () => 0 } })
    try {
      const starting = sessions.publish({ streamName: 'cam' })
      await world.clock.flush()
      const session = await starting
      const events = recordEvents<SessionEventMap>(session, ['reconnecting', 'failed'])
      world.driver.simulateDrop()
      await world.clock.runAll()
      expect(events.payloads('reconnecting').map((e) => e.delayMs)).toEqual([0])
      expect(events.payloads('failed')).toEqual([])
      expect(session.state).toBe('live')
      events.stop()
    } finally {
      await sessions.close()
    }
  })
})
