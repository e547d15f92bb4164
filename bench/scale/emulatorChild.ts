/**
 * The emulated cluster of the scale benchmark, in its own process (started by ./cluster.ts): the media
 * nodes forward every packet of 200+ werift sessions, which is one core's work, and the clients' werift
 * peers are the other's. Uses only the public Emulator interface (`startEmulator`, promote, rollback,
 * kill, node) and answers the parent's requests over the IPC channel.
 *
 * It samples, every SAMPLE_MS, which streams each environment's node carries: a broadcaster whose
 * stream is on both nodes at once is publishing twice (the uplink cost of make-before-break).
 */
import { startEmulator } from '../../src/emulator/index'
import { LoadMeter } from './load'
import { NODE_SAMPLE_MS, type ClusterReply, type ClusterRequest, type NodeSample } from './protocol'

const SAMPLE_MS = NODE_SAMPLE_MS

const send = (message: ClusterReply): void => {
  process.send?.(message)
}

const options = JSON.parse(process.argv[2] ?? '{}') as { failover?: 'blue' | 'green'; ttl?: number }
const emu = await startEmulator({
  port: 0,
  logger: false,
  ttl: options.ttl ?? 5,
  ...(options.failover ? { failover: options.failover } : {}),
})

const samples: NodeSample[] = []
const sample = (): void => {
  const green = emu.node('green')
  const blue = emu.node('blue')
  samples.push({
    at: Date.now(),
    green: green?.streams() ?? [],
    blue: blue?.streams() ?? [],
  })
}
const sampler = setInterval(sample, SAMPLE_MS)
const load = new LoadMeter()

async function handle(request: ClusterRequest): Promise<unknown> {
  switch (request.op) {
    case 'promote':
      return (await emu.promote(request.env, { drainSeconds: request.drainSeconds })).revision
    case 'rollback':
      return (await emu.rollback({ drainSeconds: request.drainSeconds })).revision
    case 'kill':
      await emu.kill(request.env)
      return undefined
    case 'counts': {
      const count = (env: 'green' | 'blue') => {
        const stats = emu.node(env)?.stats()
        return { publishers: stats?.publishers ?? 0, subscribers: stats?.subscribers ?? 0 }
      }
      return { green: count('green'), blue: count('blue') }
    }
    case 'samples':
      return samples.splice(0)
    case 'load':
      return load.take()
    case 'close':
      clearInterval(sampler)
      load.stop()
      await emu.close()
      return undefined
  }
}

process.on('message', (message: ClusterRequest) => {
  handle(message).then(
    (value) => send({ id: message.id, ok: true, value }),
    (error: unknown) => send({ id: message.id, ok: false, error: String(error) }),
  )
})
send({ id: 0, ok: true, value: emu.discoveryUrl })
// The parent went away without closing us (killed, crashed): do not linger as an orphan.
process.once('disconnect', () => {
  clearInterval(sampler)
  setTimeout(() => process.exit(0), 3000).unref()
  void emu.close().finally(() => process.exit(0))
})
