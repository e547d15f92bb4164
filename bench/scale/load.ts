/** CPU share (of one core) and event-loop delay of this process over an interval; the machine's CPU. */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import type { ProcessLoad } from './protocol'

export class LoadMeter {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 })
  private cpuFrom = process.cpuUsage()
  private wallFrom = performance.now()

  constructor() {
    this.delay.enable()
  }

  /** Load since the previous call (or since construction), then starts a new interval. */
  take(): ProcessLoad {
    const cpu = process.cpuUsage(this.cpuFrom)
    const load = {
      cpu: (cpu.user + cpu.system) / 1000 / (performance.now() - this.wallFrom),
      delayP99Ms: this.delay.percentile(99) / 1e6,
      delayMaxMs: this.delay.max / 1e6,
    }
    this.cpuFrom = process.cpuUsage()
    this.wallFrom = performance.now()
    this.delay.reset()
    return load
  }

  stop(): void {
    this.delay.disable()
  }
}

/** Busy and total jiffies of every core (/proc/stat), or undefined off Linux. */
function machineTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
    const fields = line.trim().split(/\s+/).slice(1).map(Number)
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0) // idle + iowait
    const total = fields.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return undefined
  }
}

/**
 * The whole machine's CPU (every process, other tenants included) as a share of all its cores, since the
 * previous call: what says the two cores are full, whichever process fills them.
 */
export class MachineMeter {
  private from = machineTimes()
  /** Cores of this machine. */
  readonly cores = cpus().length

  take(): number {
    const now = machineTimes()
    const from = this.from
    this.from = now
    if (now === undefined || from === undefined || now.total === from.total) {
      return Number.NaN
    }
    return (now.busy - from.busy) / (now.total - from.total)
  }
}
