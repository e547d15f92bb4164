/**
 * The parent's handle on the emulator process (./emulatorChild.ts): started with `node --import tsx`,
 * driven over the IPC channel. The cluster runs in its own process so that the media nodes and the
 * clients' peers each have a core of the two.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import type { ClusterReply, ClusterRequest, EnvName, NodeCounts, NodeSample, ProcessLoad } from './protocol'

const CLOSE_MS = 5000

/** Distributes `Omit` over the request union (each op keeps its own fields). */
type Op<T> = T extends unknown ? Omit<T, 'id'> : never

export interface Cluster {
  readonly discoveryUrl: string
  promote(env: EnvName, drainSeconds: number): Promise<void>
  rollback(drainSeconds: number): Promise<void>
  kill(env: EnvName): Promise<void>
  counts(): Promise<NodeCounts>
  /** Node samples since the previous call. */
  samples(): Promise<NodeSample[]>
  /** The emulator process's load since the previous call. */
  load(): Promise<ProcessLoad>
  close(): Promise<void>
}

export async function startCluster(options: { failover?: EnvName; ttl?: number }): Promise<Cluster> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./emulatorChild.ts', import.meta.url)),
    [JSON.stringify(options)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let next = 1
  const started = new Promise<string>((resolve, reject) => {
    pending.set(0, { resolve: (url) => resolve(url as string), reject })
  })
  child.on('message', (reply: ClusterReply) => {
    const waiter = pending.get(reply.id)
    pending.delete(reply.id)
    if (reply.ok) {
      waiter?.resolve(reply.value)
    } else {
      waiter?.reject(new Error(reply.error))
    }
  })
  child.on('exit', (code) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`emulator process exited (${code})`))
    }
    pending.clear()
  })
  const ask = <T>(request: Op<ClusterRequest>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve: (v) => resolve(v as T), reject })
      child.send({ ...request, id })
    })
  const discoveryUrl = await started
  return {
    discoveryUrl,
    promote: (env, drainSeconds) => ask({ op: 'promote', env, drainSeconds }),
    rollback: (drainSeconds) => ask({ op: 'rollback', drainSeconds }),
    kill: (env) => ask({ op: 'kill', env }),
    counts: () => ask({ op: 'counts' }),
    samples: () => ask({ op: 'samples' }),
    load: () => ask({ op: 'load' }),
    close: async () => {
      // The cluster gets CLOSE_MS to close its servers and peers; a werift peer that hangs in close()
      // must not hold the benchmark, so the process is then killed.
      const exited = new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(0),
      )
      const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_MS)
      await Promise.race([ask({ op: 'close' }).catch(() => undefined), exited])
      if (child.connected) {
        child.disconnect()
      }
      await exited
      clearTimeout(timer)
    },
  }
}
