/**
 * Where the machine saturates: one cluster and one fleet grown step by step (broadcasters/viewers
 * 5/50, 10/100, 20/200), each step held steady for STEADY_MS and measured: CPU (share of one core) and
 * event-loop delay of the clients' process and of the emulator's, frames lost (from the frame numbers
 * the broadcasters send) and the sender-to-viewer delay (one clock: both ends are on this machine).
 */
import { percentile } from '../stats'
import { startCluster } from './cluster'
import { Fleet, sleep } from './fleet'
import { LoadMeter } from './load'
import type { ProcessLoad } from './protocol'
import { RULES } from './scenarios'

const STEADY_MS = 6000

export interface StepResult {
  readonly broadcasters: number
  readonly viewers: number
  /** Viewers that received video by the end of the step's start-up. */
  readonly withMedia: number
  readonly clients: ProcessLoad
  readonly cluster: ProcessLoad
  /** Frames lost, mean and worst viewer (share). */
  readonly lossMean: number
  readonly lossMax: number
  /** Sender-to-viewer delay of every frame, p50 and p99 (ms). */
  readonly delayP50: number
  readonly delayP99: number
  /** Seconds to bring the step's new users live. */
  readonly startSeconds: number
}

export async function steps(sizes: readonly number[]): Promise<StepResult[]> {
  const cluster = await startCluster({ ttl: RULES.manifestTtlS })
  const fleet = new Fleet(cluster.discoveryUrl, 'ours', RULES.viewersPerStream, undefined)
  const meter = new LoadMeter()
  const results: StepResult[] = []
  try {
    for (const size of sizes) {
      const started = Date.now()
      process.stdout.write(`scale: growing to ${size} broadcasters\n`)
      await fleet.grow(size)
      const startSeconds = (Date.now() - started) / 1000
      await sleep(1000)
      for (const viewer of fleet.viewers) {
        viewer.meter?.resetCounts()
      }
      meter.take()
      await cluster.load()
      await sleep(STEADY_MS)
      const clients = meter.take()
      const clusterLoad = await cluster.load()
      const meters = fleet.viewers.flatMap((viewer) =>
        viewer.meter && viewer.meter.lastAt > 0 ? [viewer.meter] : [],
      )
      const losses = meters.map((m) => m.loss())
      const delays = meters.flatMap((m) => m.delays)
      results.push({
        broadcasters: size,
        viewers: fleet.viewers.length,
        withMedia: meters.length,
        clients,
        cluster: clusterLoad,
        lossMean: losses.reduce((a, b) => a + b, 0) / losses.length,
        lossMax: Math.max(...losses),
        delayP50: percentile(delays, 50),
        delayP99: percentile(delays, 99),
        startSeconds,
      })
      process.stdout.write(`scale: step ${size}/${meters.length} measured\n`)
    }
  } finally {
    meter.stop()
    await fleet.close()
    await cluster.close()
  }
  return results
}
