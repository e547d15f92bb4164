/**
 * One simulated swap's world: a manual clock, two loopback Stream Managers (green speaks 1.x, blue 2.0)
 * that find a stream while a publish of it is open on their environment, the network watcher that lets
 * the clock move only once the clients' HTTP work is done, and request counts per simulated second.
 */
import { FakeDriver, ManualClock } from '../../src/testing'
import { startStreamManagerServer, type StreamManagerServer } from '../../test/helpers/streamManagerServer'
import { quietNetwork, type QuietNetwork } from './quiet'
import { StreamIndexDriver } from './streams'

/** Clock, servers, media and the network watcher of one simulation. */
export interface World {
  readonly clock: ManualClock
  readonly driver: StreamIndexDriver
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly network: QuietNetwork
  /** Simulated times of non-probe Stream Manager requests, by environment. */
  readonly stamps: { green: number[]; blue: number[] }
  /** Simulated times of non-probe `404` answers of the blue Stream Manager (stream not there yet). */
  readonly notFound: number[]
  /** Runs simulated time up to `at` (epoch ms), timer to timer; stops early when `stop()` says so. */
  runUntil(at: number, stop?: () => boolean): Promise<void>
  /** Calls `fn` every `everyMs` of simulated time from now until `until`. */
  every(everyMs: number, until: number, fn: () => void): void
  close(): Promise<void>
}

/** Starts the servers of one simulation; the clock starts at `start` (epoch ms). `discoveryUrl` marks discovery requests (retried once, not twice). */
export async function world(start: number, discoveryUrl?: () => string): Promise<World> {
  const clock = new ManualClock(start)
  const driver = new StreamIndexDriver(new FakeDriver({ clock }))
  const green = await startStreamManagerServer({ api: 'sm1' })
  const blue = await startStreamManagerServer({ api: 'sm2' })
  driver.serve(green, 'green')
  driver.serve(blue, 'blue')
  const notFound: number[] = []
  const network = quietNetwork({
    attempts: (url) => (discoveryUrl && url.startsWith(discoveryUrl()) ? 2 : 3),
    onResponse: (url, status) => {
      if (status === 404 && url.startsWith(blue.url) && !url.includes('probe-')) {
        notFound.push(clock.now())
      }
    },
  })
  const stamps = { green: [] as number[], blue: [] as number[] }
  const stamp = (): void => {
    for (const [name, sm] of [
      ['green', green],
      ['blue', blue],
    ] as const) {
      for (const request of sm.requests) {
        if (!request.path.includes('probe-')) {
          stamps[name].push(clock.now())
        }
      }
      sm.requests.length = 0 // keep the logs from growing (and from weighing on the heap figures)
    }
  }
  return {
    clock,
    driver,
    green,
    blue,
    network,
    stamps,
    notFound,
    async runUntil(at, stop) {
      await network.idle()
      stamp()
      while (clock.now() < at && !stop?.()) {
        const next = Math.min(clock.nextAt() ?? at, at)
        await clock.advance(Math.max(0, next - clock.now()))
        await network.idle()
        stamp()
      }
    },
    every(everyMs, until, fn) {
      const tick = (): void => {
        fn()
        if (clock.now() + everyMs <= until) {
          clock.setTimeout(tick, everyMs)
        }
      }
      clock.setTimeout(tick, 0)
    },
    async close() {
      await Promise.all([green.close(), blue.close()])
    },
  }
}

export interface Rate {
  peak: number
  /** Which second (from the window's start) had the peak. */
  peakSecond: number
  mean: number
  ratio: number
  total: number
}

/** Requests per simulated second over [from, to): peak, mean and their ratio. */
export function rate(stamps: readonly number[], from: number, to: number): Rate {
  const buckets = new Array<number>(Math.max(1, Math.ceil((to - from) / 1000))).fill(0)
  let total = 0
  for (const at of stamps) {
    if (at >= from && at < to) {
      buckets[Math.floor((at - from) / 1000)]! += 1
      total += 1
    }
  }
  const mean = total / buckets.length
  const peak = Math.max(...buckets)
  return {
    peak,
    peakSecond: buckets.indexOf(peak),
    mean,
    ratio: mean === 0 ? Number.NaN : peak / mean,
    total,
  }
}
