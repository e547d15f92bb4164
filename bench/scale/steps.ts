/**
 * Where the machine saturates: one cluster and one fleet grown step by step (broadcasters/viewers
 * 5/50, 10/100, 20/200), each step held steady for STEADY_MS and measured: CPU (share of one core) and
 * event-loop delay of the clients' process and of the emulator's, frames lost (from the frame numbers
 * the broadcasters send) and the sender-to-viewer delay (one clock: both ends are on this machine). The
 * steady part is measured in WINDOWS equal windows, so each CPU share comes with its spread (bench/stats.ts
 * `keepRow` decides whether the report keeps it as a row).
 */
import { percentile } from '../stats'
import { startCluster } from './cluster'
import { Fleet, sleep } from './fleet'
import { LoadMeter, MachineMeter } from './load'
import type { ProcessLoad } from './protocol'
import { RULES } from './scenarios'

const STEADY_MS = 6000
const WINDOWS = 5

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
  /** The whole machine's CPU over the steady part (share of all its cores, every process). */
  readonly machineCpu: number
  /** The three CPU shares in each of the steady part's WINDOWS windows. */
  readonly windows: { readonly clients: number[]; readonly cluster: number[]; readonly machine: number[] }
  /** Video frames the viewers received over the steady part, and what the broadcasters sent them. */
  readonly framesDelivered: number
  readonly framesSent: number
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length

/** Equal windows as one interval: their mean CPU, the worst of their loop-delay percentiles. */
function whole(loads: readonly ProcessLoad[]): ProcessLoad {
  return {
    cpu: mean(loads.map((l) => l.cpu)),
    delayP99Ms: Math.max(...loads.map((l) => l.delayP99Ms)),
    delayMaxMs: Math.max(...loads.map((l) => l.delayMaxMs)),
  }
}

export async function steps(sizes: readonly number[]): Promise<StepResult[]> {
  const cluster = await startCluster({ ttl: RULES.manifestTtlS })
  const fleet = new Fleet(cluster.discoveryUrl, 'ours', RULES.viewersPerStream, undefined)
  const meter = new LoadMeter()
  const machine = new MachineMeter()
  const results: StepResult[] = []
  try {
    for (const size of sizes) {
      const started = Date.now()
      process.stdout.write(`scale: growing to ${size} broadcasters\n`)
      await fleet.grow(size)
      const startSeconds = (Date.now() - started) / 1000
      await sleep(1000)
      meter.take()
      await cluster.load()
      machine.take()
      for (const viewer of fleet.viewers) {
        viewer.meter?.resetCounts()
      }
      const sentFrom = fleet.framesSent()
      const parts: { clients: ProcessLoad; cluster: ProcessLoad; machine: number }[] = []
      for (let window = 0; window < WINDOWS; window++) {
        await sleep(STEADY_MS / WINDOWS)
        parts.push({ clients: meter.take(), cluster: await cluster.load(), machine: machine.take() })
      }
      const clients = whole(parts.map((p) => p.clients))
      const clusterLoad = whole(parts.map((p) => p.cluster))
      const machineCpu = mean(parts.map((p) => p.machine))
      const sentTo = fleet.framesSent()
      const sentDuring = (stream: string): number => (sentTo.get(stream) ?? 0) - (sentFrom.get(stream) ?? 0)
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
        machineCpu,
        windows: {
          clients: parts.map((p) => p.clients.cpu),
          cluster: parts.map((p) => p.cluster.cpu),
          machine: parts.map((p) => p.machine),
        },
        framesDelivered: meters.reduce((sum, m) => sum + m.frames, 0),
        // What each viewer's broadcaster sent meanwhile, for every viewer (those without media too).
        framesSent: fleet.viewers.reduce((sum, viewer) => sum + sentDuring(viewer.stream), 0),
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
