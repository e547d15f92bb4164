/** CPU share (of one core) and event-loop delay of this process over an interval. */
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
