import { describe, expect, it } from 'vitest'

import { resolveEnvironment } from './environment'
import { BlueGreenError } from './errors'
import { backupFor, Failover } from './failover'
import { suspect } from './failoverHedge'
import { ManualClock } from './testing/ManualClock'
import { failoverManifest } from './__fixtures__/failover'
import type { Manifest } from './types'

const base = failoverManifest

describe('backupFor()', () => {
  it('is roles.failover when it is another, serving environment', () => {
    expect(backupFor(base, 'green')).toBe('blue')
  })
  it('is nothing for the backup itself, without the role, or when the backup is not serving', () => {
    expect(backupFor(base, 'blue')).toBeUndefined()
    expect(backupFor({ ...base, roles: { production: 'green' } } as Manifest, 'green')).toBeUndefined()
    const draining = structuredClone(base) as { environments: Record<string, { state: string }> }
    draining.environments.blue!.state = 'draining'
    expect(backupFor(draining as unknown as Manifest, 'green')).toBeUndefined()
  })
  it('never takes a prototype member for a role', () => {
    expect(backupFor({ ...base, roles: { production: 'green' } } as Manifest, 'constructor')).toBeUndefined()
  })
})

describe('Failover.report()', () => {
  const answering = (status: number) =>
    resolveEnvironment({ fetch: () => Promise.resolve(new Response(null, { status })), logger: undefined })
  const changes: string[] = []
  const make = (status: number) =>
    new Failover(
      answering(status),
      {},
      () => base,
      (change) => void changes.push(change),
    )

  it('fails over on an unreachable Stream Manager when the backup answers', async () => {
    const failover = make(404)
    const error = new BlueGreenError('STREAM_MANAGER_UNAVAILABLE', 'down')
    expect(await failover.report(base, 'green', error)).toBe('blue')
    expect(failover.redirect(base, 'green')).toBe('blue')
    failover.close()
  })

  it.each(['STREAM_NOT_FOUND', 'NO_CAPACITY', 'HOST_NOT_ALLOWED', 'MEDIA_FAILED'] as const)(
    'does not fail over on %s (an answer, not an outage)',
    async (code) => {
      const failover = make(404)
      expect(await failover.report(base, 'green', new BlueGreenError(code, 'x'))).toBeUndefined()
      expect(failover.active).toBeUndefined()
    },
  )

  it('does not fail over when the backup answers 5xx (it is not well either)', async () => {
    const failover = make(503)
    expect(await failover.report(base, 'green', new BlueGreenError('TIMEOUT', 'x'))).toBeUndefined()
  })

  it('a new revision ends it', async () => {
    const failover = make(200)
    await failover.report(base, 'green', new BlueGreenError('TIMEOUT', 'x'))
    failover.endForRevision(4)
    expect(failover.active).toBeUndefined()
    expect(failover.redirect(base, 'green')).toBe('green')
  })
})

describe('Failover.partner()', () => {
  it('pairs production and its backup during a failover and for stableMs + probeIntervalMs after it, never in quiet times', async () => {
    const clock = new ManualClock()
    const env = resolveEnvironment({
      clock,
      fetch: () => Promise.resolve(new Response(null, { status: 200 })),
      logger: undefined,
    })
    const failover = new Failover(
      env,
      { stableMs: 1_000, probeIntervalMs: 100 },
      () => base,
      () => undefined,
    )
    // Quiet: a staging stream of the same name must never serve production viewers.
    expect(failover.partner(base, 'green', 'green')).toBeUndefined()

    await failover.report(base, 'green', new BlueGreenError('TIMEOUT', 'x'))
    // Production is not offered while it has not answered a probe since the failover began.
    expect(failover.partner(base, 'green', 'blue')).toBeUndefined()
    expect(failover.partner(base, 'green', 'green')).toBe('blue')
    await clock.advance(100) // the first probe: production answers (this fetch answers 200)
    expect(failover.partner(base, 'green', 'blue')).toBe('green')
    expect(failover.partner(base, 'green', 'elsewhere')).toBeUndefined()

    failover.endForRevision(4) // ended at clock time t
    await clock.advance(1_099) // t + stableMs + probeIntervalMs - 1
    expect(failover.partner(base, 'green', 'green')).toBe('blue')
    await clock.advance(1) // t + stableMs + probeIntervalMs: quiet again
    expect(failover.partner(base, 'green', 'green')).toBeUndefined()
    failover.close()
  })
})

describe('Failover.suspect()', () => {
  /** Production (127.0.0.1:1) answers or not; the backup (127.0.0.1:2) always answers. */
  const world = (productionAnswers: boolean) => {
    const clock = new ManualClock()
    const env = resolveEnvironment({
      clock,
      fetch: (input: RequestInfo | URL) =>
        String(input).startsWith('http://127.0.0.1:1') && !productionAnswers
          ? Promise.reject(new TypeError('fetch failed'))
          : Promise.resolve(new Response(null, { status: 404 })),
      logger: undefined,
    })
    return new Failover(
      env,
      {},
      () => base,
      () => undefined,
    )
  }

  it('a slow call on a production that still answers its probe is not an outage', async () => {
    const failover = world(true)
    expect(await suspect(failover, base, 'green', 200)).toBeUndefined()
    expect(failover.active).toBeUndefined()
  })

  it('a production that answers neither the call nor the probe fails over to the answering backup', async () => {
    const failover = world(false)
    expect(await suspect(failover, base, 'green', 200)).toBe('blue')
    expect(failover.active).toMatchObject({ from: 'green', to: 'blue' })
    failover.close()
  })
})
