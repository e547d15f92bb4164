/**
 * The rig of the failover benchmark and of the reconnect-storm tests: a discovery server and two Stream
 * Managers on 127.0.0.1 (green 1.x production, blue 2.0 staging and, when asked, `failover`), the
 * FakeDriver carrying media (a Stream Manager finds a stream while a publish of it is open there:
 * bench/swap/streams.ts), every client on one ManualClock, and every request the clients make stamped with
 * the simulated time it started, by server. Time moves from timer to timer once the clients' HTTP work is
 * done (bench/swap/quiet.ts). Every retry wait of the HTTP layer runs on the injected clock, so the network
 * watcher needs only a few real milliseconds of grace after a failure.
 */
import { seeded } from '../stats'
import { createClient, type BlueGreenClient } from '../../src'
import type { FetchLike } from '../../src/environment'
import type { ClientOptions } from '../../src/options'
import { FakeDriver, ManualClock } from '../../src/testing'
import { startManifestServer, type ManifestServer } from '../../test/helpers/manifestServer'
import { manifest, type TestManifest } from '../../test/helpers/manifests'
import { startStreamManagerServer, type StreamManagerServer } from '../../test/helpers/streamManagerServer'
import { quietNetwork, type QuietNetwork } from '../swap/quiet'
import { StreamIndexDriver } from '../swap/streams'

/** 26 Nov 2026 10:00 UTC, the manifests' issue time. */
export const START = Date.parse('2026-11-26T10:00:00Z')

/** The seeded random source, shared with the other benches. */
export { seeded }

/** Simulated start times of the clients' requests, by server (probes of a Stream Manager apart). */
export interface Stamps {
  discovery: number[]
  green: number[]
  blue: number[]
  /** Failover probes (a GET of the Stream Manager's base URL). */
  greenProbes: number[]
  blueProbes: number[]
  /** Discovery requests per client, by client index. */
  discoveryByClient: number[]
  /** Stream Manager requests (both, probes apart) per client, by client index: their start times. */
  streamManagerByClient: number[][]
}

/** Servers, clock, media and request stamps of one simulation. */
export interface StormRig {
  readonly clock: ManualClock
  readonly driver: StreamIndexDriver
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly discovery: ManifestServer
  readonly base: TestManifest
  readonly network: QuietNetwork
  readonly stamps: Stamps
  readonly clients: readonly BlueGreenClient[]
  /** A client on the rig's clock, driver and stamped network (seeded per client). */
  client(options?: Partial<ClientOptions>): BlueGreenClient
  /** Moves simulated time by `ms`, timer to timer, letting HTTP finish before each step. */
  run(ms: number): Promise<void>
  /** Runs simulated time up to `at` (epoch ms); stops early when `stop()` says so. */
  runUntil(at: number, stop?: () => boolean): Promise<void>
  close(): Promise<void>
}

/** Tuning of {@link stormRig}. */
export interface StormRigOptions {
  /** Manifest ttl in seconds. @default 15 */
  ttl?: number
  /** Roles of revision 1. @default { production: 'green', staging: 'blue' } */
  roles?: Record<string, string>
  /** Options every client gets (before its own). */
  clientDefaults?: Partial<ClientOptions>
}

/** Starts the servers and the clock of one simulation. */
export async function stormRig(options: StormRigOptions = {}): Promise<StormRig> {
  const clock = new ManualClock(START)
  const driver = new StreamIndexDriver(new FakeDriver({ clock }))
  const green = await startStreamManagerServer({ api: 'sm1' })
  const blue = await startStreamManagerServer({ api: 'sm2' })
  driver.serve(green, 'green')
  driver.serve(blue, 'blue')
  const base = manifest({
    ttl: options.ttl ?? 15,
    roles: options.roles ?? { production: 'green', staging: 'blue' },
    environments: {
      green: { streamManager: green.url, api: 'sm1', state: 'serving' },
      blue: { streamManager: blue.url, api: 'sm2', state: 'serving' },
    },
  })
  const discovery = await startManifestServer(base)
  // Retries wait on the ManualClock: a few real ms cover ky's turn between a failure and its retry hook.
  const network = quietNetwork({
    retryGraceMs: 20,
    attempts: (url) => (url.startsWith(discovery.url) ? 2 : 3),
  })
  const stamps: Stamps = {
    discovery: [],
    green: [],
    blue: [],
    greenProbes: [],
    blueProbes: [],
    discoveryByClient: [],
    streamManagerByClient: [],
  }
  const stamp = (url: string, client: number): void => {
    const now = clock.now()
    if (url.startsWith(discovery.url)) {
      stamps.discovery.push(now)
      stamps.discoveryByClient[client] = (stamps.discoveryByClient[client] ?? 0) + 1
      return
    }
    for (const [name, sm] of [
      ['green', green],
      ['blue', blue],
    ] as const) {
      if (url.startsWith(sm.url)) {
        const probe = url === sm.url || url === `${sm.url}/`
        const list = probe ? (name === 'green' ? stamps.greenProbes : stamps.blueProbes) : stamps[name]
        list.push(now)
        if (!probe) {
          stamps.streamManagerByClient[client] ??= []
          stamps.streamManagerByClient[client].push(now)
        }
        sm.requests.length = 0 // the servers' own logs are not needed: keep them from growing
      }
    }
  }
  const clients: BlueGreenClient[] = []
  const runUntil = async (at: number, stop?: () => boolean): Promise<void> => {
    await network.idle()
    while (clock.now() < at && !stop?.()) {
      const next = Math.min(clock.nextAt() ?? at, at)
      await clock.advance(Math.max(0, next - clock.now()))
      await network.idle()
    }
  }
  return {
    clock,
    driver,
    green,
    blue,
    discovery,
    base,
    network,
    stamps,
    clients,
    client(own = {}) {
      const index = clients.length
      stamps.discoveryByClient[index] = 0
      const channel = network.channel()
      const fetchStamped: FetchLike = (input, init) => {
        stamp(input instanceof Request ? input.url : String(input), index)
        return channel.fetch(input, init)
      }
      const client = createClient({
        discovery: discovery.url,
        driver,
        clock,
        random: seeded((index + 1) * 7919),
        fetch: fetchStamped,
        timeoutMs: 2_000,
        ...options.clientDefaults,
        ...own,
      })
      channel.watch(client)
      clients.push(client)
      return client
    },
    run: (ms) => runUntil(clock.now() + ms),
    runUntil,
    async close() {
      await Promise.all(clients.map((client) => client.close()))
      await Promise.all([green.close(), blue.close(), discovery.close()])
    },
  }
}

/** Peak and mean requests per bin over [from, to), and their ratio. */
export interface BinnedRate {
  readonly peak: number
  readonly mean: number
  readonly ratio: number
  readonly total: number
  /** Requests in each bin. */
  readonly bins: readonly number[]
}

/** Requests per `binMs` of simulated time over [from, to). */
export function binnedRate(stamps: readonly number[], from: number, to: number, binMs = 1_000): BinnedRate {
  const bins = new Array<number>(Math.max(1, Math.ceil((to - from) / binMs))).fill(0)
  let total = 0
  for (const at of stamps) {
    if (at >= from && at < to) {
      bins[Math.floor((at - from) / binMs)]! += 1
      total += 1
    }
  }
  const mean = total / bins.length
  const peak = Math.max(...bins)
  return { peak, mean, ratio: mean === 0 ? Number.NaN : peak / mean, total, bins }
}
