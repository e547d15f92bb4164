/**
 * A network partition for one werift peer connection: every UDP datagram of its ICE transports
 * vanishes both ways (RTP, RTCP, DTLS, STUN consent checks and their answers) while the sockets stay
 * open, as when a route to the node is lost. werift has no switch for this, so the partition replaces
 * each ICE socket's `send` and `onData` (werift 0.24: RTCPeerConnection.iceTransports[].connection
 * .protocols[].transport) and puts them back when it heals.
 * @internal
 */
import type * as Werift from 'werift'

/** The part of werift's UDP transport a partition touches. */
interface UdpLike {
  send: (...args: unknown[]) => Promise<void>
  onData: (...args: unknown[]) => void
}

/** The part of werift-ice's Connection a partition walks. */
interface IceConnectionLike {
  readonly protocols?: readonly { readonly transport?: UdpLike }[]
}

/**
 * Cuts `pc` off: nothing it sends leaves, nothing sent to it arrives. Returns the function that heals
 * it (idempotent). A peer that has no ICE socket yet is left alone.
 */
export function cutOff(pc: Werift.RTCPeerConnection): () => void {
  const restores: (() => void)[] = []
  for (const ice of pc.iceTransports) {
    const connection = ice.connection as unknown as IceConnectionLike
    for (const protocol of connection.protocols ?? []) {
      const transport = protocol.transport
      if (transport === undefined) {
        continue
      }
      const { send, onData } = transport
      transport.send = () => Promise.resolve()
      transport.onData = () => undefined
      restores.push(() => {
        transport.send = send
        transport.onData = onData
      })
    }
  }
  let healed = false
  return () => {
    if (!healed) {
      healed = true
      for (const restore of restores) {
        restore()
      }
    }
  }
}
