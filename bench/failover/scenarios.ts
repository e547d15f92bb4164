/**
 * The scenarios of bench/failover.bench.ts, each on a fresh {@link stormRig}: production dying with and
 * without the `failover` role, a discovery outage while sessions cannot reconnect, and a Stream Manager
 * answering `503 Retry-After: 10`. Each runs with storm control on (ours) or off (the behaviour before
 * issue 13: every reconnect attempt revalidates, no pacing, `Retry-After` honoured exactly).
 */
import { BlueGreenError } from '../../src/errors'
import { stormControl } from '../../src/internal/coordination'
import type { Session } from '../../src/session/Session'
import type { SessionKind } from '../../src/types'
import { binnedRate, START, stormRig, type BinnedRate, type StormRig } from './rig'

/** One client per broadcaster (a studio page publishes one stream); viewers in clients of 100. */
export const VIEWERS_PER_STREAM = 9
const VIEWERS_PER_CLIENT = 100
const TTL_S = 15
/** Sessions start once every client holds its manifest; production dies a little later. */
const SESSIONS_AT = START + 16_000
const EVENT_AT = START + 30_000

interface Planned {
  readonly kind: SessionKind
  readonly stream: number
  readonly client: number
}

interface Started {
  readonly plan: Planned
  readonly session: Session
}

/** Publisher of stream s in client s; viewers 100 per client after them, the viewers of a stream spread. */
function layout(streams: number): Planned[] {
  const plan: Planned[] = []
  for (let s = 0; s < streams; s += 1) {
    plan.push({ kind: 'publish', stream: s, client: s })
  }
  for (let j = 0; j < streams * VIEWERS_PER_STREAM; j += 1) {
    plan.push({
      kind: 'subscribe',
      stream: j % streams,
      client: streams + Math.floor(j / VIEWERS_PER_CLIENT),
    })
  }
  return plan
}

/** Clients started spread over one ttl (their revalidations spread as in the field), then the sessions. */
async function populate(rig: StormRig, streams: number): Promise<Started[]> {
  const plan = layout(streams)
  const clientCount = Math.max(...plan.map((p) => p.client)) + 1
  for (let c = 0; c < clientCount; c += 1) {
    const client = rig.client()
    rig.clock.setTimeout(
      () => void client.ready().catch(() => undefined),
      Math.round((c / clientCount) * TTL_S * 1000),
    )
  }
  await rig.runUntil(SESSIONS_AT)
  const started: Started[] = []
  for (const kind of ['publish', 'subscribe'] as const) {
    const mine = plan.filter((p) => p.kind === kind)
    for (let i = 0; i < mine.length; i += 100) {
      const batch = mine.slice(i, i + 100)
      const sessions = await Promise.all(
        batch.map(
          (p) => rig.clients[p.client]![kind]({ streamName: `stage-${p.stream}` }) as PromiseLike<Session>,
        ),
      )
      batch.forEach((p, k) => started.push({ plan: p, session: sessions[k]! }))
    }
  }
  await rig.runUntil(EVENT_AT)
  return started
}

/** Viewers live on another environment than their (live) broadcaster. */
function splitViewers(started: readonly Started[]): number {
  const publisherOf = new Map(
    started.filter((s) => s.plan.kind === 'publish').map((s) => [s.plan.stream, s.session]),
  )
  return started.filter((s) => {
    const publisher = publisherOf.get(s.plan.stream)
    return (
      s.plan.kind === 'subscribe' &&
      s.session.state === 'live' &&
      publisher?.state === 'live' &&
      publisher.environment !== s.session.environment
    )
  }).length
}

/** What a production death showed. */
export interface FailoverFigures {
  readonly sessions: number
  readonly clients: number
  /** Discovery requests per client in the minute after the death: mean and largest. */
  readonly discoveryPerClient: { mean: number; max: number }
  /** Live on the backup 10 s after the death, share of all sessions. */
  readonly onBackupAt10s: number
  /** Live anywhere 10 s after the death, share. */
  readonly liveAt10s: number
  /** Viewers live on another environment than their broadcaster 10 s after the death. */
  readonly splitAt10s: number
  /** Seconds from the death to the last session live on the backup (NaN when not all made it in a minute). */
  readonly allOnBackupS: number
  /** Backup Stream Manager assignment requests per 250 ms over [death, last session on the backup). */
  readonly backupRate: BinnedRate
  /** Failover probes (GET of a Stream Manager's base URL) in the minute, both environments. */
  readonly probes: number
  /** Requests to the dead production Stream Manager in the minute after the death. */
  readonly deadProductionRequests: number
}

/** 500 sessions (50 broadcasters, 450 viewers) through a production death at t = 30 s. */
export async function productionDeath(options: {
  failoverRole: boolean
  control: boolean
}): Promise<FailoverFigures> {
  stormControl.enabled = options.control
  const rig = await stormRig({
    ttl: TTL_S,
    roles: options.failoverRole
      ? { production: 'green', staging: 'blue', failover: 'blue' }
      : { production: 'green', staging: 'blue' },
  })
  try {
    const started = await populate(rig, 50)
    const landed: number[] = []
    for (const { session } of started) {
      session.on('reconnected', ({ environment }) => environment === 'blue' && landed.push(rig.clock.now()))
    }
    const discoveryBefore = [...rig.stamps.discoveryByClient]
    const killedAt = rig.clock.now()
    rig.green.fail({ kind: 'reset' })
    rig.driver.fake.simulateDrop({ environment: 'green' })
    await rig.runUntil(killedAt + 10_000)
    const on = (env: string): number =>
      started.filter((s) => s.session.state === 'live' && s.session.environment === env).length
    const live = started.filter((s) => s.session.state === 'live').length
    const onBackupAt10s = on('blue') / started.length
    const splitAt10s = splitViewers(started)
    await rig.runUntil(killedAt + 60_000)
    const perClient = rig.stamps.discoveryByClient.map((n, c) => n - (discoveryBefore[c] ?? 0))
    const allOn = landed.length === started.length ? Math.max(...landed) : Number.NaN
    const window = Number.isNaN(allOn) ? killedAt + 10_000 : Math.max(allOn + 1, killedAt + 250)
    const inMinute = (stamps: number[]): number =>
      stamps.filter((at) => at >= killedAt && at < killedAt + 60_000).length
    return {
      sessions: started.length,
      clients: rig.clients.length,
      discoveryPerClient: {
        mean: perClient.reduce((a, b) => a + b, 0) / perClient.length,
        max: Math.max(...perClient),
      },
      onBackupAt10s,
      liveAt10s: live / started.length,
      splitAt10s,
      allOnBackupS: Number.isNaN(allOn) ? Number.NaN : (allOn - killedAt) / 1000,
      backupRate: binnedRate(rig.stamps.blue, killedAt, window, 250),
      probes: inMinute(rig.stamps.blueProbes) + inMinute(rig.stamps.greenProbes),
      deadProductionRequests: inMinute(rig.stamps.green),
    }
  } finally {
    stormControl.enabled = true
    await rig.close()
  }
}

/** What a storm showed. */
export interface StormFigures {
  readonly sessions: number
  /** Requests to the server under test over the window. */
  readonly requests: number
  /** Peak requests in one simulated second. */
  readonly peakPerS: number
  /** Mean requests per simulated second over the window. */
  readonly meanPerS: number
  /** Reconnect attempts the sessions made over the window. */
  readonly attempts: number
  /** Seconds from the end of the outage to the last session live again (NaN: not all within 2 min). */
  readonly backAfterS: number
}

async function storm(
  streams: number,
  outageMs: number,
  control: boolean,
  begin: (rig: StormRig) => void,
  end: (rig: StormRig) => void,
  counted: (rig: StormRig) => number[],
): Promise<StormFigures> {
  stormControl.enabled = control
  const rig = await stormRig({ ttl: TTL_S })
  try {
    const started = await populate(rig, streams)
    let attempts = 0
    for (const { session } of started) {
      session.on('reconnecting', () => (attempts += 1))
    }
    const from = rig.clock.now()
    begin(rig)
    rig.driver.fake.simulateDrop()
    await rig.runUntil(from + outageMs)
    const rate = binnedRate(counted(rig), from, from + outageMs)
    const attemptsInOutage = attempts
    end(rig)
    const healedAt = rig.clock.now()
    const allLive = (): boolean => started.every((s) => s.session.state === 'live')
    await rig.runUntil(healedAt + 120_000, allLive)
    return {
      sessions: started.length,
      requests: rate.total,
      peakPerS: rate.peak,
      meanPerS: rate.mean,
      attempts: attemptsInOutage,
      backAfterS: allLive() ? (rig.clock.now() - healedAt) / 1000 : Number.NaN,
    }
  } finally {
    stormControl.enabled = true
    await rig.close()
  }
}

/**
 * 200 sessions (20 broadcasters, 180 viewers) dropped as a 10-minute discovery outage starts (discovery
 * answers 503), while their node stays dead for those 10 minutes (every media connect fails, the Stream
 * Manager still assigns it): counts discovery requests.
 */
export function discoveryOutage(control: boolean): Promise<StormFigures> {
  let down = true
  return storm(
    20,
    600_000,
    control,
    (rig) => {
      rig.discovery.fail({ kind: 'status', status: 503 })
      rig.driver.fake.simulateConnectFailure(
        new BlueGreenError('MEDIA_FAILED', 'the node does not answer (simulated)'),
        Number.POSITIVE_INFINITY,
        () => down,
      )
    },
    (rig) => {
      down = false
      rig.discovery.heal()
    },
    (rig) => rig.stamps.discovery,
  )
}

/**
 * 500 sessions dropped (a node restart) while their Stream Manager answers every assignment with `503
 * Retry-After: 10` for a minute (plus `phaseMs`, to heal at another point of the clients' 10 s cycle):
 * counts Stream Manager requests over the outage.
 */
export function retryAfterStorm(control: boolean, phaseMs = 0): Promise<StormFigures> {
  return storm(
    50,
    60_000 + phaseMs,
    control,
    (rig) => rig.green.fail({ kind: 'status', status: 503, headers: { 'retry-after': '10' } }),
    (rig) => rig.green.heal(),
    (rig) => rig.stamps.green,
  )
}
