import { describe, expect, it } from 'vitest'

import {
  checkEdited,
  ManifestEditError,
  parseDuration,
  promote,
  renew,
  rollback,
  setFailover,
  setState,
  starterManifest,
  type RawManifest,
} from './manifestEdit'

const NOW = Date.parse('2026-11-26T10:00:00Z')

function threeEnvironments(): RawManifest {
  return {
    manifestVersion: 1,
    revision: 41,
    issuedAt: '2026-11-25T10:00:00Z',
    expiresAt: '2026-12-02T10:00:00Z',
    ttl: 15,
    roles: { production: 'green', staging: 'blue', qa: 'purple' },
    environments: {
      green: { streamManager: 'https://green.example.com', api: 'sm2', state: 'serving', owner: 'team-a' },
      blue: { streamManager: 'https://blue.example.com', api: 'sm1' },
      purple: { streamManager: 'https://purple.example.com', api: 'sm2', state: 'serving' },
    },
    changeTicket: 'OPS-17',
  }
}

describe('parseDuration()', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['45', 45_000],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', 'soon', '-5m', '5 minutes', '10w', 'm'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('promote()', () => {
  it('swaps production and staging, drains the old production and records it, keeping unknown fields', () => {
    const input = threeEnvironments()
    const snapshot = structuredClone(input)
    const { manifest, changed, summary } = promote(input, 'blue', { now: NOW, drainMs: 600_000 })
    expect(changed).toBe(true)
    expect(input).toEqual(snapshot) // the input is never changed
    expect(manifest.roles).toEqual({ production: 'blue', staging: 'green', qa: 'purple' })
    expect(manifest.environments.blue!.state).toBe('serving')
    expect(manifest.environments.green).toEqual({
      streamManager: 'https://green.example.com',
      api: 'sm2',
      state: 'draining',
      drainDeadline: '2026-11-26T10:10:00Z',
      owner: 'team-a',
    })
    expect(manifest.previousProduction).toBe('green')
    expect(manifest.changeTicket).toBe('OPS-17')
    expect(manifest.revision).toBe(42)
    expect(manifest.issuedAt).toBe('2026-11-26T10:00:00Z')
    expect(manifest.expiresAt).toBe('2026-12-03T10:00:00Z') // same 7-day validity, from now
    expect(summary).toContain('production: green -> blue')
    expect(() => checkEdited(manifest, { now: NOW })).not.toThrow()
  })

  it('drains for 30 minutes by default and honours an explicit expiry', () => {
    const { manifest } = promote(threeEnvironments(), 'blue', { now: NOW, expiresInMs: 3_600_000 })
    expect(manifest.environments.green!.drainDeadline).toBe('2026-11-26T10:30:00Z')
    expect(manifest.expiresAt).toBe('2026-11-26T11:00:00Z')
  })

  it('refuses the current production, an offline environment and an unknown name', () => {
    expect(() => promote(threeEnvironments(), 'green', { now: NOW })).toThrow(/already production/)
    const offline = threeEnvironments()
    offline.environments.blue!.state = 'offline'
    expect(() => promote(offline, 'blue', { now: NOW })).toThrow(ManifestEditError)
    expect(() => promote(threeEnvironments(), 'orange', { now: NOW })).toThrow(/neither an environment/)
  })
})

describe('rollback()', () => {
  it('promotes the recorded previous production rather than the staging environment', () => {
    const afterQaPromotion = promote(threeEnvironments(), 'purple', { now: NOW }).manifest
    // green was production before purple; make blue staging to show the record wins.
    afterQaPromotion.roles.staging = 'blue'
    const { manifest, summary } = rollback(afterQaPromotion, { now: NOW + 60_000 })
    expect(manifest.roles.production).toBe('green')
    expect(manifest.environments.green!.state).toBe('serving')
    expect(manifest.environments.green!.drainDeadline).toBeUndefined()
    expect(manifest.environments.purple!.state).toBe('draining')
    expect(manifest.previousProduction).toBe('purple')
    expect(manifest.revision).toBe(43)
    expect(summary[0]).toBe('rollback: back to green')
  })

  it('falls back to staging, and refuses when there is nothing to roll back to', () => {
    expect(rollback(threeEnvironments(), { now: NOW }).manifest.roles.production).toBe('blue')
    const alone = threeEnvironments()
    alone.roles = { production: 'green' }
    expect(() => rollback(alone, { now: NOW })).toThrow(/nothing to roll back to/)
  })
})

describe('setState()', () => {
  it('reports no change (and no new revision) when the state is already set', () => {
    const input = threeEnvironments()
    const result = setState(input, 'blue', 'serving', { now: NOW })
    expect(result.changed).toBe(false)
    expect(result.manifest).toBe(input)
  })

  it('refuses to make production anything but serving', () => {
    expect(() => setState(threeEnvironments(), 'production', 'draining', { now: NOW })).toThrow(
      /no serving production/,
    )
  })
})

describe('renew()', () => {
  it('changes only revision, issuedAt and expiresAt, keeping the validity', () => {
    const input = threeEnvironments()
    const { manifest } = renew(input, { now: NOW })
    expect(manifest).toEqual({
      ...input,
      revision: 42,
      issuedAt: '2026-11-26T10:00:00Z',
      expiresAt: '2026-12-03T10:00:00Z',
    })
  })
})

describe('checkEdited()', () => {
  it('refuses what clients would refuse, naming the JSON path', () => {
    const broken = threeEnvironments()
    broken.environments.blue!.streamManager = 'http://blue.example.com'
    expect(() => checkEdited(broken, { now: NOW })).toThrow(/\$\.environments\.blue\.streamManager/)
    expect(() => checkEdited(broken, { now: NOW, allowInsecure: true })).not.toThrow()
  })

  it('refuses a production environment that is draining', () => {
    const draining = threeEnvironments()
    draining.environments.green!.state = 'draining'
    draining.environments.green!.drainDeadline = '2026-11-26T10:30:00Z'
    expect(() => checkEdited(draining, { now: NOW })).toThrow(/no serving production/)
  })

  it('refuses an expired result and says how to set a new expiry', () => {
    expect(() => checkEdited(threeEnvironments(), { now: Date.parse('2027-01-01T00:00:00Z') })).toThrow(
      /expired at 2026-12-02T10:00:00Z.*--expires/,
    )
  })
})

describe('starterManifest()', () => {
  it('is valid as it is and refuses the same name for both environments', () => {
    expect(() => checkEdited(starterManifest({ now: NOW }), { now: NOW })).not.toThrow()
    expect(() => starterManifest({ now: NOW, productionName: 'a', stagingName: 'a' })).toThrow(
      ManifestEditError,
    )
  })
})

describe('setFailover()', () => {
  const context = { now: NOW }

  it('names the backup, bumping the revision; the same name again changes nothing', () => {
    const { manifest, changed, summary } = setFailover(threeEnvironments(), 'blue', context)
    expect(changed).toBe(true)
    expect(manifest.roles).toMatchObject({ production: 'green', failover: 'blue' })
    expect(manifest.revision).toBe(42)
    expect(summary[0]).toBe('failover: (none) -> blue')
    expect(setFailover(manifest, 'blue', context).changed).toBe(false)
  })

  it('accepts a role as the target (the environment it names is recorded)', () => {
    expect(setFailover(threeEnvironments(), 'qa', context).manifest.roles.failover).toBe('purple')
  })

  it('removes the role with null', () => {
    const named = setFailover(threeEnvironments(), 'blue', context).manifest
    const cleared = setFailover(named, null, context)
    expect(cleared.changed).toBe(true)
    expect(Object.hasOwn(cleared.manifest.roles, 'failover')).toBe(false)
    expect(setFailover(cleared.manifest, null, context).changed).toBe(false)
  })

  it('refuses production itself, an offline environment, and names that are not environments', () => {
    expect(() => setFailover(threeEnvironments(), 'green', context)).toThrow(ManifestEditError)
    const offline = threeEnvironments()
    offline.environments.blue!.state = 'offline'
    expect(() => setFailover(offline, 'blue', context)).toThrow(/offline/)
    expect(() => setFailover(threeEnvironments(), 'constructor', context)).toThrow(ManifestEditError)
  })

  it('a promotion of the backup removes the failover role (production cannot back itself up)', () => {
    const named = setFailover(threeEnvironments(), 'blue', context).manifest
    const result = promote(named, 'blue', { now: NOW, drainMs: 60_000 })
    expect(Object.hasOwn(result.manifest.roles, 'failover')).toBe(false)
    expect(result.summary).toContain('failover: blue -> (none); name a backup with `manifest failover ENV`')
  })
})
