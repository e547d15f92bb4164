/** Messages between the scale benchmark and its emulator process (./emulatorChild.ts). */
export type EnvName = 'green' | 'blue'

/** What the parent asks; `id` pairs the reply. */
export type ClusterRequest = { readonly id: number } & (
  | { readonly op: 'promote'; readonly env: EnvName; readonly drainSeconds: number }
  | { readonly op: 'rollback'; readonly drainSeconds: number }
  | { readonly op: 'kill'; readonly env: EnvName }
  | { readonly op: 'counts' }
  | { readonly op: 'samples' }
  | { readonly op: 'load' }
  | { readonly op: 'close' }
)

/** The child's answer (id 0: started, with the discovery URL). */
export type ClusterReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }

/** Streams each node carried at one moment (epoch ms). */
export interface NodeSample {
  readonly at: number
  readonly green: readonly string[]
  readonly blue: readonly string[]
}

/** CPU (share of one core) and event-loop delay of a process over an interval. */
export interface ProcessLoad {
  readonly cpu: number
  readonly delayP99Ms: number
  readonly delayMaxMs: number
}

/** Sessions on each node now. */
export type NodeCounts = Record<EnvName, { readonly publishers: number; readonly subscribers: number }>

/** How often the emulator process samples which streams each node carries (ms). */
export const NODE_SAMPLE_MS = 50
