/**
 * Issue 13 through `createClient`, over real loopback HTTP (bench/failover/rig.ts: a discovery server and
 * two Stream Managers on 127.0.0.1, the FakeDriver carrying media, every client on one ManualClock): a drop
 * does not make the manifest stale, the sessions of a client share its revalidations, and while discovery
 * is down the revalidations back off client-wide instead of following every session's attempts. Each rule
 * is also run with storm control switched off (the behaviour before issue 13) to show what it changes.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { stormControl } from '../../src/internal/coordination'
import type { ClientOptions } from '../../src/options'
import type { Session } from '../../src/session/Session'
import { stormRig, type StormRig } from '../../bench/failover/rig'

const rigs: StormRig[] = []
afterEach(async () => {
  stormControl.enabled = true
  await Promise.all(rigs.splice(0).map((rig) => rig.close()))
})

async function rig(ttl: number): Promise<StormRig> {
  const made = await stormRig({ ttl })
  rigs.push(made)
  return made
}

/** One client publishing `n` streams; counts every reconnect attempt of its sessions. */
async function publishers(r: StormRig, n: number, options: Partial<ClientOptions> = {}) {
  const client = r.client(options)
  const sessions: Session[] = await Promise.all(
    Array.from({ length: n }, (_, i) => client.publish({ streamName: `cam-${i}` })),
  )
  const attempts = { count: 0 }
  for (const session of sessions) {
    session.on('reconnecting', () => (attempts.count += 1))
  }
  return { client, sessions, attempts }
}

/** Discovery requests from now on. */
function discoveryFrom(r: StormRig): () => number {
  const before = r.stamps.discovery.length
  return () => r.stamps.discovery.length - before
}

describe('reconnect storms stay cheap (issue 13)', () => {
  it('20 sessions dropped within the ttl reconnect with 0 discovery requests (a drop does not make the manifest stale)', async () => {
    const r = await rig(60)
    const { sessions } = await publishers(r, 20)
    const discovery = discoveryFrom(r)
    expect(r.driver.fake.simulateDrop()).toBe(20)
    await r.run(10_000)
    expect(sessions.map((s) => s.state)).toEqual(Array(20).fill('live'))
    expect(discovery()).toBe(0)
  })

  it('(storm control off, as before issue 13) the same drop costs a discovery request per attempt', async () => {
    stormControl.enabled = false
    const r = await rig(60)
    const { sessions } = await publishers(r, 20)
    const discovery = discoveryFrom(r)
    r.driver.fake.simulateDrop()
    await r.run(10_000)
    expect(sessions.map((s) => s.state)).toEqual(Array(20).fill('live'))
    expect(discovery()).toBeGreaterThan(1)
  })

  it('10 sessions reconnecting for a minute against a dead Stream Manager share the client’s revalidations: one per ttl, not one per attempt', async () => {
    const r = await rig(15)
    const { attempts } = await publishers(r, 10)
    const discovery = discoveryFrom(r)
    r.green.fail({ kind: 'reset' })
    r.driver.fake.simulateDrop()
    await r.run(60_000)
    expect(attempts.count).toBeGreaterThanOrEqual(50)
    // The client's own timer revalidates every 0.9-1.0 ttl (13.5-15 s): at most 60 / 13.5 + 1 of them.
    expect(discovery()).toBeLessThanOrEqual(Math.floor(60 / 13.5) + 1)
  })

  it('while discovery is down too (5 min), revalidation backs off client-wide: never two requests at once, a bounded count', async () => {
    const r = await rig(15)
    // random() = 0.5: the client's backoff after k failures is 0.5 * min(15 s, 1 s * 2^(k-1)), at least 250 ms.
    const { attempts } = await publishers(r, 10, { random: () => 0.5 })
    const discovery = discoveryFrom(r)
    const from = r.clock.now()
    r.discovery.fail({ kind: 'status', status: 503 })
    r.green.fail({ kind: 'reset' })
    r.driver.fake.simulateDrop()
    await r.run(300_000)
    expect(attempts.count).toBeGreaterThanOrEqual(10 * 20)
    // Each revalidation is two requests (the HTTP layer retries once, 100 ms later with this random()):
    // 500 ms, 1, 2, 4 s, then 7.5 s apart: at most 2 * (4 + 300 / 7.5 + 1) requests in 5 minutes.
    expect(discovery()).toBeLessThanOrEqual(2 * (4 + 300 / 7.5 + 1))
    const times = r.stamps.discovery.filter((at) => at >= from)
    const gaps = times.slice(1).map((at, i) => at - times[i]!)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100)
  }, 60_000)

  it('(storm control off) the same outage: the sessions’ attempts drive discovery, many times more requests', async () => {
    stormControl.enabled = false
    const r = await rig(15)
    // Seeded per client (the rig's default): the sessions' attempts are spread, as in the field.
    await publishers(r, 10)
    const discovery = discoveryFrom(r)
    r.discovery.fail({ kind: 'status', status: 503 })
    r.green.fail({ kind: 'reset' })
    r.driver.fake.simulateDrop()
    await r.run(60_000)
    // Three times the bound the rule above keeps to over the same minute.
    expect(discovery()).toBeGreaterThan(3 * 2 * (4 + 60 / 7.5 + 1))
  }, 60_000)
})

/**
 * The most calls a token bucket of `burst` turns refilled one per `spacingMs` lets through in any stretch
 * of `stamps` (sorted): the largest excess of calls over that allowance, 0 when the pacing held.
 */
function overPacing(stamps: readonly number[], burst: number, spacingMs: number): number {
  let worst = 0
  for (let i = 0; i < stamps.length; i += 1) {
    for (let j = i; j < stamps.length; j += 1) {
      // One turn more than burst + refills: a call may take its slot's last moment (jitter inside the slot).
      const allowed = burst + Math.floor((stamps[j]! - stamps[i]!) / spacingMs) + 1
      worst = Math.max(worst, j - i + 1 - allowed)
    }
  }
  return worst
}

describe('a page’s reconnects through a failover keep to its pacing (issue 13)', () => {
  /** 10 broadcasters, each on its own page, and one page playing each stream 10 times; production dies. */
  async function death(control: boolean) {
    stormControl.enabled = control
    const r = await stormRig({ ttl: 15, roles: { production: 'green', staging: 'blue', failover: 'blue' } })
    rigs.push(r)
    const publishers = Array.from({ length: 10 }, () => r.client())
    const page = r.client()
    const index = r.clients.indexOf(page)
    await Promise.all(publishers.map((client, i) => client.publish({ streamName: `cam-${i}` })))
    const viewers: Session[] = await Promise.all(
      Array.from({ length: 100 }, (_, j) => page.subscribe({ streamName: `cam-${j % 10}` })),
    )
    await r.run(1_000)
    const before = r.stamps.streamManagerByClient[index]?.length ?? 0
    r.green.fail({ kind: 'reset' })
    r.driver.fake.simulateDrop({ environment: 'green' })
    await r.run(10_000)
    const stamps = (r.stamps.streamManagerByClient[index] ?? []).slice(before).sort((a, b) => a - b)
    return { viewers, stamps }
  }

  it('100 viewers of one page: every Stream Manager request of their reconnects, the backup’s too, waits for a turn (10 at once, then one per 20 ms)', async () => {
    const { viewers, stamps } = await death(true)
    expect(viewers.every((v) => v.state === 'live' && v.environment === 'blue')).toBe(true)
    expect(stamps.length).toBeGreaterThanOrEqual(100)
    expect(overPacing(stamps, 10, 20)).toBe(0)
  })

  it('(storm control off) the same death: the page asks far faster than its pacing would allow', async () => {
    const { viewers, stamps } = await death(false)
    expect(viewers.every((v) => v.state === 'live' && v.environment === 'blue')).toBe(true)
    expect(overPacing(stamps, 10, 20)).toBeGreaterThan(20)
  })
})
