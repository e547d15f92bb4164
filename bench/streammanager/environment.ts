/** What bench/streammanager.bench.ts and its pinned child (bench/cpu/resolve.ts) share. */
import type { ManifestEnvironment } from '../../src/types'

/** The manifest environment of a loopback Stream Manager (2.0 shape) at `url`. */
export function environmentOf(url: string): ManifestEnvironment {
  return {
    streamManager: url,
    api: 'sm2',
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
  }
}

/** Rounds per repetition of the CPU measurement (bench/cpu/resolve.ts). */
export const CPU_ROUNDS = 41
/** Sequential calls per batch of the CPU measurement. */
export const CPU_BATCH = 40
