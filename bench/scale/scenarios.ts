/**
 * One run of the scale benchmark: a fresh emulated cluster (its own process), a fleet of werift users of
 * one strategy, then one scenario, measured from the users' side (RTP gaps per viewer) and the nodes'
 * side (a broadcaster's stream on both nodes at once = publishing twice).
 *
 * The scenarios, with the rules this simulation sets (their figures are outputs of these rules):
 * - `promotion`: blue is promoted, green drains for DRAIN_S and is torn down (killed) at its deadline.
 *   DNS: the record flips, every cache has the new answer within DNS_TTL_S, green is torn down after
 *   DNS_TTL_S + DRAIN_S (a careful operator's wait).
 * - `rollback`: blue is promoted (drain DRAIN_S), rolled back after ROLLBACK_AFTER_S, and blue (now
 *   draining) is torn down at its own deadline. Not run for DNS: a DNS user's live session never moves
 *   before a teardown, so a rollback before the teardown leaves it alone by the model's rule.
 * - `death`: green (production) dies at once (`kill`), the manifest naming blue `failover`. DNS: the
 *   operator flips the record the moment green dies (the most favourable case), caches follow within
 *   DNS_TTL_S.
 */
import type { Cluster } from './cluster'
import { startCluster } from './cluster'
import { DnsCache } from './dns'
import { Fleet, sleep, type Strategy } from './fleet'
import { LoadMeter, MachineMeter } from './load'
import { NODE_SAMPLE_MS, type NodeSample, type ProcessLoad } from './protocol'

export type Scenario = 'promotion' | 'rollback' | 'death'

/** Rules of the simulation (each figure they set is labelled as such in the report). */
export const RULES = {
  /** The manifest's ttl (s): how soon clients see a revision (the emulator's default). */
  manifestTtlS: 5,
  /** Drain window of a promotion or rollback (s). */
  drainS: 16,
  /** A rollback this long after the promotion (s): mid-drain. */
  rollbackAfterS: 8,
  /** The DNS baseline's TTL (s); browsers cap their own DNS caching at about a minute. */
  dnsTtlS: 30,
  /** Measured for this long after the teardown or death (s). */
  afterS: 4,
  /** Viewers per broadcaster. */
  viewersPerStream: 10,
  /** Timeline sample period (ms). */
  sampleMs: 100,
  /** A viewer counts as "without media" on the timeline after this long without a video packet (ms). */
  gapShownMs: 250,
} as const

/** One point of a run's timeline (seconds from the event). */
export interface RunPoint {
  readonly t: number
  readonly green: number
  readonly blue: number
  /** Viewers without a video packet for RULES.gapShownMs or more. */
  readonly inGap: number
}

export interface RunResult {
  readonly scenario: Scenario
  readonly strategy: Strategy
  readonly broadcasters: number
  readonly viewers: number
  /** Viewers that had video before the event (the others, a saturated start, are left out of the gaps). */
  readonly withMedia: number
  /** Per viewer: the longest time without a video RTP packet after the event (ms). */
  readonly longestGaps: number[]
  /** Per broadcaster: seconds its stream was on both nodes (publishing twice). */
  readonly doubleSeconds: number[]
  readonly points: RunPoint[]
  readonly markers: { at: number; label: string }[]
  /** Seconds from the event until the last viewer was live on the new environment (undefined: never). */
  readonly allMovedS: number | undefined
  readonly seconds: number
  /** Sessions that ended `failed`, by error code (start-up included). */
  readonly failures: Record<string, number>
  /**
   * Load from the event to the end: the clients' process, the emulator's, the whole machine (share of all
   * cores). A gap is timed when a packet reaches the clients' event loop, so a loop held up for X ms can
   * show as a gap of up to X ms: `clients.delayMaxMs` bounds what the measurement itself adds.
   */
  readonly load: { readonly clients: ProcessLoad; readonly cluster: ProcessLoad; readonly machine: number }
}

/** Seconds each stream was carried by both nodes, from the nodes' samples. */
function doublePublishing(
  samples: readonly NodeSample[],
  streams: readonly string[],
  sampleMs: number,
): number[] {
  const twice = new Map<string, number>()
  for (const sample of samples) {
    const blue = new Set(sample.blue)
    for (const key of sample.green) {
      if (blue.has(key)) {
        twice.set(key, (twice.get(key) ?? 0) + sampleMs / 1000)
      }
    }
  }
  return streams.map((stream) => twice.get(`live/${stream}`) ?? 0)
}

/** The operator's script of a scenario; `mark` puts a marker on the timeline. */
async function operate(
  scenario: Scenario,
  strategy: Strategy,
  cluster: Cluster,
  dns: DnsCache | undefined,
  mark: (label: string) => void,
): Promise<void> {
  const { drainS, rollbackAfterS, dnsTtlS, afterS } = RULES
  if (scenario === 'death') {
    mark('green dies')
    await cluster.kill('green')
    dns?.flip('blue')
    await sleep((dns ? dnsTtlS + afterS : 3 * afterS) * 1000)
    return
  }
  if (dns) {
    mark('DNS flip')
    dns.flip('blue')
    await sleep((dnsTtlS + drainS) * 1000)
    mark('green torn down')
    await cluster.kill('green')
    await sleep(afterS * 1000)
    return
  }
  mark('promote blue')
  await cluster.promote('blue', drainS)
  if (scenario === 'promotion') {
    await sleep(drainS * 1000)
    mark('green torn down')
    await cluster.kill('green')
  } else {
    await sleep(rollbackAfterS * 1000)
    mark('rollback')
    await cluster.rollback(drainS)
    await sleep(drainS * 1000)
    mark('blue torn down')
    await cluster.kill('blue')
  }
  await sleep(afterS * 1000)
}

/** Runs one scenario with one strategy on a fresh cluster. */
export async function run(scenario: Scenario, strategy: Strategy, broadcasters: number): Promise<RunResult> {
  const started = Date.now()
  const cluster = await startCluster({
    ttl: RULES.manifestTtlS,
    ...(scenario === 'death' && strategy !== 'dns' ? { failover: 'blue' as const } : {}),
  })
  const dns = strategy === 'dns' ? new DnsCache(RULES.dnsTtlS * 1000, 'green') : undefined
  const fleet = new Fleet(cluster.discoveryUrl, strategy, RULES.viewersPerStream, dns)
  try {
    await fleet.grow(broadcasters)
    await sleep(1000)
    await cluster.samples()
    const loadMeter = new LoadMeter()
    const machine = new MachineMeter()
    await cluster.load()
    const t0 = Date.now()
    const measured = fleet.viewers.filter((user) => (user.meter?.lastAt ?? 0) > 0)
    const target = scenario === 'rollback' ? 'green' : 'blue'
    const points: RunPoint[] = []
    let allMovedAt: number | undefined
    const sampler = setInterval(() => {
      const now = Date.now()
      const census = fleet.census()
      const inGap = fleet.viewers.filter((user) => now - (user.meter?.lastAt ?? 0) >= RULES.gapShownMs).length
      points.push({ t: (now - t0) / 1000, green: census.green.viewers, blue: census.blue.viewers, inGap })
      const moved = census[target].viewers === fleet.viewers.length
      allMovedAt = moved ? (allMovedAt ?? now) : undefined
    }, RULES.sampleMs)
    const markers: { at: number; label: string }[] = []
    await operate(scenario, strategy, cluster, dns, (label) =>
      markers.push({ at: (Date.now() - t0) / 1000, label }),
    )
    clearInterval(sampler)
    const end = Date.now()
    const load = { clients: loadMeter.take(), cluster: await cluster.load(), machine: machine.take() }
    loadMeter.stop()
    const streams = fleet.users.filter((user) => user.kind === 'publish').map((user) => user.stream)
    return {
      scenario,
      strategy,
      broadcasters,
      viewers: fleet.viewers.length,
      withMedia: measured.length,
      longestGaps: measured.map((user) => user.meter?.longestGap(t0, end) ?? Number.NaN),
      doubleSeconds: doublePublishing(await cluster.samples(), streams, NODE_SAMPLE_MS),
      points,
      markers,
      allMovedS: allMovedAt === undefined ? undefined : (allMovedAt - t0) / 1000,
      seconds: (Date.now() - started) / 1000,
      failures: fleet.failures,
      load,
    }
  } finally {
    await fleet.close()
    await cluster.close()
  }
}
