/**
 * What goes on the wire: a TCP relay on 127.0.0.1 in front of a loopback server that counts every byte
 * in each direction (request and status lines, headers, bodies, chunk framing), so a benchmark can
 * report the bytes a client really moves rather than body lengths. Plain `node:net`: nothing to parse,
 * the relay only copies and counts.
 */
import { connect, createServer, type Socket } from 'node:net'

/** A counting relay; point the client at `url` instead of the server. */
export interface WireCounter {
  /** `http://127.0.0.1:<port>`: the relay's origin. */
  readonly url: string
  /** Bytes from clients to the server so far. */
  readonly sent: number
  /** Bytes from the server to clients so far. */
  readonly received: number
  /** TCP connections the clients opened. */
  readonly connections: number
  close(): Promise<void>
}

/** Starts a relay to `target` (an `http://host:port` origin). */
export async function countWire(target: string): Promise<WireCounter> {
  const { hostname, port } = new URL(target)
  let sent = 0
  let received = 0
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    connections += 1
    const upstream = connect(Number(port), hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length
    })
    upstream.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') {
    throw new Error('the wire counter has no TCP address')
  }
  return {
    url: `http://127.0.0.1:${address.port}`,
    get sent() {
      return sent
    },
    get received() {
      return received
    },
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy()
        }
        server.close(() => resolve())
      }),
  }
}
