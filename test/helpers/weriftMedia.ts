/**
 * werift peers for the media node's integration tests: a publisher sending VP8-like and Opus-like RTP,
 * on loopback, closed by the caller's cleanup list.
 */
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  type RTCPeerConnectionConfig,
} from 'werift'

/** werift on a loopback-only machine (it gathers no loopback candidate by default). */
export const LOOPBACK: RTCPeerConnectionConfig = {
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceUseIpv6: false,
}

/** werift's RTCPeerConnection on loopback, for `whipDriver({ RTCPeerConnection: LoopbackPeer })`. */
export class LoopbackPeer extends RTCPeerConnection {
  constructor(config?: RTCPeerConnectionConfig) {
    super({ ...config, ...LOOPBACK })
  }
}

/** Where a test registers what to close after it (run in reverse order). */
export type Cleanups = (() => unknown)[]

/** A loopback werift peer, closed with the test. */
export function weriftPeer(cleanups: Cleanups, config: RTCPeerConnectionConfig = {}): RTCPeerConnection {
  const pc = new RTCPeerConnection({ ...LOOPBACK, ...config })
  cleanups.push(() => pc.close())
  return pc
}

/** A publisher and what it sent. */
export interface WeriftPublisher {
  readonly pc: RTCPeerConnection
  /** Its offer (set as its local description). */
  readonly offer: string
  /** Hex of every video payload sent, to recognise them at a subscriber. */
  readonly sent: Set<string>
  /** Stops sending RTP (the connection stays up). */
  readonly stop: () => void
}

/**
 * A werift publisher sending a VP8-like packet and an Opus-like packet every 20 ms on the kinds asked
 * for (video first, as browsers order camera + microphone); returns its offer.
 */
export async function weriftPublisher(
  cleanups: Cleanups,
  kinds: readonly ('video' | 'audio')[] = ['video', 'audio'],
  config: RTCPeerConnectionConfig = {},
): Promise<WeriftPublisher> {
  const pc = weriftPeer(cleanups, config)
  const tracks = kinds.map((kind) => new MediaStreamTrack({ kind }))
  const stream = new MediaStream(tracks)
  for (const track of tracks) {
    pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] })
  }
  const sent = new Set<string>()
  let seq = 0
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff
    for (const track of tracks) {
      if (track.kind === 'video') {
        const payload = Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, seq >> 8, seq & 0xff])
        sent.add(payload.toString('hex'))
        track.writeRtp(
          new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 3000, marker: true }), payload),
        )
      } else {
        track.writeRtp(
          new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 960 }), Buffer.from([0xfc, 1])),
        )
      }
    }
  }, 20)
  cleanups.push(() => clearInterval(timer))
  await pc.setLocalDescription(await pc.createOffer())
  return { pc, offer: pc.localDescription?.sdp ?? '', sent, stop: () => clearInterval(timer) }
}
