/**
 * The media node's werift peer connections: how they are made (loopback only, one bundled transport),
 * closed without throwing, and watched for their end.
 * @internal
 */
import type * as Werift from 'werift'

import type { Logger } from '../../environment'
import { loopbackStunUrl } from './stun'

/** A werift peer connection as the node needs it. @internal */
export function newPeer(werift: typeof Werift): Werift.RTCPeerConnection {
  return new werift.RTCPeerConnection({
    // werift gathers no loopback candidate by default; on a loopback-only machine that is the only
    // one that works (knowledge/toolchain.md).
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    // werift asks a STUN server whatever `iceServers` says (stun.l.google.com without one), and waits up
    // to 5 s for it: the node's own loopback one always answers at once (media/stun.ts).
    iceServers: stunServers(),
    // Media on loopback only, like the HTTP server (docs/emulator.md): werift binds 0.0.0.0 otherwise.
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    // One transport for every m-line. Without it, werift's server-offer peer (WHEP) gathers one per
    // m-line, and close() never releases the ones BUNDLE left unused: their UDP sockets stay open
    // (2 per Red5 SDK subscriber) and keep the process alive after the emulator closes.
    bundlePolicy: 'max-bundle',
    // werift's VP8 negotiates NACK, PLI and REMB (media/publish.ts sends broadcasters REMB).
    codecs: { audio: [werift.useOPUS()], video: [werift.useVP8()] },
  })
}

function stunServers(): Werift.RTCIceServer[] {
  const url = loopbackStunUrl()
  return url === undefined ? [] : [{ urls: url }]
}

/** Closes `pc`; a failure is only logged. @internal */
export function closePeer(pc: Werift.RTCPeerConnection, log: Logger): Promise<void> {
  return pc.close().catch((error: unknown) => log.debug('closing a peer connection threw', error))
}

/** Calls `onEnd` when `pc` fails or closes, `onConnected` when it connects. @internal */
export function watchState(
  pc: Werift.RTCPeerConnection,
  onEnd: (state: string) => void,
  onConnected?: () => void,
): void {
  pc.addEventListener('connectionstatechange', () => {
    const state = pc.connectionState
    if (state === 'connected') {
      onConnected?.()
    } else if (state === 'failed' || state === 'closed') {
      onEnd(state)
    }
  })
}
