// What both scripts share: werift's peer connection on loopback (the emulator's media nodes listen on
// 127.0.0.1, and werift gathers no loopback candidate unless told), and the client options.
import { createClient, whipDriver } from 'red5pro-bluegreen'
import { RTCPeerConnection } from 'werift'

class LoopbackPeer extends RTCPeerConnection {
  constructor(config) {
    super({ ...config, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false })
  }
}

/** `node script.mjs [stream] [discovery URL]`, with the demo's defaults. */
export function args() {
  const [stream = 'stream1', discovery = 'http://127.0.0.1:8080/discovery.json'] = process.argv.slice(2)
  return { stream, discovery }
}

/** A client for Node: whipDriver over werift, logging warnings and errors only. */
export function nodeClient(discovery) {
  return createClient({
    discovery,
    driver: whipDriver({ RTCPeerConnection: LoopbackPeer }),
    logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  })
}

/** Closes `client` on Ctrl-C (or SIGTERM), then exits. */
export function closeOnSignal(client) {
  const stop = () => void client.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
