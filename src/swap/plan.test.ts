import { describe, expect, it } from 'vitest'

import { BlueGreenError } from '../errors'
import { MIGRATION_DEFAULTS } from '../session/options'
import type { EnvironmentInfo, Manifest, ManifestEnvironment } from '../types'
import { decide, moveWindow, pickMoment, RETIRE_GRACE_MS, type SwapSituation } from './plan'

const NOW = Date.UTC(2026, 10, 26, 10, 0, 0)

function environment(state: ManifestEnvironment['state'], deadlineInMs?: number): ManifestEnvironment {
  return {
    streamManager: 'https://sm.example.com',
    api: 'sm2',
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state,
    ...(deadlineInMs === undefined ? {} : { drainDeadline: new Date(NOW + deadlineInMs).toISOString() }),
  }
}

function manifest(environments: Record<string, ManifestEnvironment>, production = 'blue'): Manifest {
  return { manifestVersion: 1, revision: 9, ttl: 15, roles: { production }, environments }
}

function info(name: string): EnvironmentInfo {
  return {
    name,
    role: 'production',
    state: 'serving',
    streamManager: 'https://sm.example.com',
    api: 'sm2',
    revision: 9,
  }
}

function situation(overrides: Partial<SwapSituation>): SwapSituation {
  return {
    kind: 'subscribe',
    streamName: 'cam',
    environment: 'green',
    pinned: false,
    manifest: manifest({ blue: environment('serving'), green: environment('draining', 30_000) }),
    selected: info('blue'),
    now: NOW,
    migration: MIGRATION_DEFAULTS,
    ...overrides,
  }
}

describe('moveWindow()', () => {
  it.each([
    ['no deadline: [lead, windowMs]', undefined, { startMs: 2_000, endMs: 60_000 }],
    ['a long drain: capped by windowMs', 600_000, { startMs: 2_000, endMs: 60_000 }],
    ['a 30 s drain: ends a margin before the deadline', 30_000, { startMs: 2_000, endMs: 25_000 }],
    ['exactly twice lead + margin: unchanged', 14_000, { startMs: 2_000, endMs: 9_000 }],
    ['a 7 s drain: lead and margin shrink to half of it', 7_000, { startMs: 1_000, endMs: 4_500 }],
    ['a 1.4 s drain: still a spread', 1_400, { startMs: 200, endMs: 900 }],
    ['no time left: a point at 0', 0, { startMs: 0, endMs: 0 }],
  ])('%s', (_name, timeLeft, expected) => {
    const window = moveWindow(timeLeft, MIGRATION_DEFAULTS)
    expect(window.startMs).toBeCloseTo(expected.startMs)
    expect(window.endMs).toBeCloseTo(expected.endMs)
  })

  it('never ends before it starts, whatever the settings', () => {
    const window = moveWindow(100_000, { ...MIGRATION_DEFAULTS, windowMs: 100 })
    expect(window).toEqual({ startMs: 2_000, endMs: 2_000 })
  })
})

describe('pickMoment()', () => {
  it('maps random() uniformly onto the window', () => {
    const window = { startMs: 1_000, endMs: 3_000 }
    expect([0, 0.5, 0.999_999].map((r) => pickMoment(window, () => r))).toEqual([1_000, 2_000, 3_000])
  })
})

describe('decide()', () => {
  it('moves a subscriber off a draining environment at a moment of the window', () => {
    expect(decide(situation({}))).toMatchObject({
      action: 'move',
      to: 'blue',
      window: { startMs: 2_000, endMs: 25_000 },
      retireAfterMs: 0,
      recheckAt: NOW + 30_000,
    })
  })

  it('moves a subscriber without a picture during a failover after a reconnect’s wait (no picture to keep), the publisher as before', () => {
    expect(decide(situation({ stalledWaitMs: 137 }))).toMatchObject({
      action: 'move',
      to: 'blue',
      window: { startMs: 137, endMs: 137 },
      stalled: true,
    })
    expect(decide(situation({ stalledWaitMs: undefined }))).toMatchObject({
      window: { startMs: 2_000, endMs: 25_000 },
    })
    expect(decide(situation({ stalledWaitMs: undefined }))).not.toHaveProperty('stalled')
    expect(decide(situation({ kind: 'publish', stalledWaitMs: 137 }))).toMatchObject({
      window: { startMs: 0, endMs: 0 },
      retireAfterMs: 30_000,
    })
  })

  it('moves a publisher at once and keeps its old publish for window + ttl + grace, capped by the deadline', () => {
    expect(decide(situation({ kind: 'publish' }))).toMatchObject({
      action: 'move',
      window: { startMs: 0, endMs: 0 },
      retireAfterMs: 30_000,
    })
    const noDeadline = situation({
      kind: 'publish',
      manifest: manifest({ blue: environment('serving'), green: environment('serving') }),
    })
    expect(decide(noDeadline)).toMatchObject({
      action: 'move',
      retireAfterMs: 60_000 + 15_000 + RETIRE_GRACE_MS,
    })
  })

  it('moves off an environment that still serves when the role moved away (rollback), over windowMs', () => {
    const rolledBack = situation({
      manifest: manifest({ blue: environment('serving'), green: environment('serving') }),
    })
    expect(decide(rolledBack)).toMatchObject({
      action: 'move',
      to: 'blue',
      window: { startMs: 2_000, endMs: 60_000 },
    })
  })

  it('stays on the selected environment, even when it is draining (there is nowhere better)', () => {
    expect(decide(situation({ environment: 'blue' }))).toMatchObject({ action: 'stay' })
    const selectedDraining = situation({ selected: info('green') })
    expect(decide(selectedDraining)).toMatchObject({ action: 'stay', recheckAt: NOW + 30_000 })
  })

  it('stays when the selector picks nothing (a removed role): what works keeps working', () => {
    const error = new BlueGreenError('ENVIRONMENT_UNKNOWN', 'no role')
    expect(decide(situation({ selected: error }))).toMatchObject({ action: 'stay' })
  })

  it.each([
    ['offline', manifest({ blue: environment('serving'), green: environment('offline') })],
    ['gone from the manifest', manifest({ blue: environment('serving') })],
    [
      'past its drain deadline',
      manifest({ blue: environment('serving'), green: environment('draining', -1) }),
    ],
  ])('reconnects when its environment is %s', (_name, m) => {
    const decision = decide(situation({ manifest: m }))
    expect(decision).toMatchObject({
      action: 'reconnect',
      error: { code: 'ENVIRONMENT_OFFLINE', environment: 'green' },
    })
  })

  it('a pinned session stays while its environment serves or drains, even past the deadline and when not selected', () => {
    expect(decide(situation({ pinned: true }))).toMatchObject({ action: 'stay' })
    const pastDeadline = manifest({ blue: environment('serving'), green: environment('draining', -1) })
    expect(decide(situation({ pinned: true, manifest: pastDeadline }))).toMatchObject({ action: 'stay' })
  })

  it.each([
    ['offline', manifest({ blue: environment('serving'), green: environment('offline') })],
    ['gone', manifest({ blue: environment('serving') })],
  ])('a pinned session fails with ENVIRONMENT_OFFLINE when its environment is %s', (_name, m) => {
    const decision = decide(situation({ pinned: true, manifest: m }))
    expect(decision).toMatchObject({
      action: 'fail',
      error: { code: 'ENVIRONMENT_OFFLINE', environment: 'green' },
    })
    expect(decision.action === 'fail' && decision.error.message).toContain('pinned')
  })
})
