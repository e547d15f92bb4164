/**
 * The STUN server the media nodes' werift peers ask for their server-reflexive candidate: one on
 * 127.0.0.1 that answers every Binding request at once with the address it came from.
 *
 * werift 0.24 always asks a STUN server while it gathers (setLocalDescription waits for it), and without
 * one in `iceServers` it asks stun.l.google.com:19302. On a machine without that route the name lookup
 * fails, usually at once, but now and then the resolver drops the query and the lookup (or the request)
 * hangs until werift gives up after 5 s: the node's WHEP offer or WHIP answer then came 5 s late (the
 * ~5.5 s outliers of bench/ttff.bench.ts, one gathering in ~25 on this machine). A loopback STUN server
 * needs no lookup and always answers; its "reflexive" address is the host candidate itself, as it is for
 * any server without NAT.
 *
 * Shared by every node of the process (each node holds it while it runs, the last to close closes it);
 * the messages are werift's own STUN codec, so only the dispatch is written here.
 * @internal
 */
import { createSocket, type Socket } from 'node:dgram'

import type * as Werift from 'werift'

let socket: Socket | undefined
let starting: Promise<Socket> | undefined
let holders = 0

/** Starts (or joins) the loopback STUN server; answers its `stun:` URL. Pair with {@link releaseLoopbackStun}. @internal */
export async function acquireLoopbackStun(werift: typeof Werift): Promise<string> {
  holders++
  try {
    starting ??= listen(werift)
    socket = await starting
  } catch (error) {
    holders--
    starting = undefined
    throw error
  }
  return loopbackStunUrl()!
}

/** The running loopback STUN server's `stun:` URL, or `undefined` when none runs. @internal */
export function loopbackStunUrl(): string | undefined {
  return socket === undefined ? undefined : `stun:127.0.0.1:${socket.address().port}`
}

/** One holder fewer; the last one closes the server. @internal */
export async function releaseLoopbackStun(): Promise<void> {
  holders = Math.max(0, holders - 1)
  if (holders > 0 || socket === undefined) {
    return
  }
  const closing = socket
  socket = undefined
  starting = undefined
  await new Promise<void>((resolve) => closing.close(() => resolve()))
}

function listen(werift: typeof Werift): Promise<Socket> {
  const server = createSocket('udp4')
  server.on('message', (data, from) => {
    if (!werift.isStunMessage(data)) {
      return
    }
    let request: Werift.Message
    try {
      request = werift.parseMessage(data)!
    } catch {
      return
    }
    if (
      request?.messageMethod !== werift.methods.BINDING ||
      request.messageClass !== werift.classes.REQUEST
    ) {
      return
    }
    const response = new werift.Message(
      werift.methods.BINDING,
      werift.classes.RESPONSE,
      request.transactionId,
    )
    response.setAttribute('XOR-MAPPED-ADDRESS', [from.address, from.port])
    server.send(response.bytes, from.port, from.address)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.bind(0, '127.0.0.1', () => {
      server.off('error', reject)
      server.on('error', () => undefined)
      // Never what keeps a process alive: the nodes' own servers do that.
      server.unref()
      resolve(server)
    })
  })
}
