/**
 * Real media for the scale benchmark: a werift test pattern per broadcaster (30 numbered VP8 RTP frames
 * a second, each carrying its frame number and send time, plus 50 Opus-sized audio packets; werift has no
 * encoder, so they are not a picture) and a meter per viewer that times every video RTP packet it
 * receives. werift does not decode video, so every gap here is an RTP arrival gap, not a decoded frame.
 */
import { MediaStream, MediaStreamTrack, RtpHeader, RtpPacket } from 'werift'

const VP8_KEYFRAME = Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a])
const TAG_AT = VP8_KEYFRAME.length
const PAYLOAD_BYTES = TAG_AT + 12

/** Video frame `frame`: a VP8 keyframe descriptor, then the frame number and the time sent. */
function videoPacket(frame: number): RtpPacket {
  const payload = Buffer.alloc(PAYLOAD_BYTES)
  VP8_KEYFRAME.copy(payload)
  payload.writeUInt32BE(frame, TAG_AT)
  payload.writeDoubleBE(Date.now(), TAG_AT + 4)
  const header = { payloadType: 96, sequenceNumber: frame & 0xffff, timestamp: frame * 3000, marker: true }
  return new RtpPacket(new RtpHeader(header), payload)
}

function audioPacket(n: number): RtpPacket {
  const header = { payloadType: 111, sequenceNumber: n & 0xffff, timestamp: n * 960 }
  return new RtpPacket(new RtpHeader(header), Buffer.from([0xfc, 0xff, 0xfe]))
}

/** Video frames a broadcaster sends each second. */
export const FRAMES_PER_SECOND = 30

/** A broadcaster's camera and microphone. */
export interface Source {
  readonly mediaStream: MediaStream
  /** Video frames sent so far (setInterval drifts below FRAMES_PER_SECOND on a busy loop: count them). */
  readonly framesSent: number
  stop(): void
}

export function startSource(): Source {
  const video = new MediaStreamTrack({ kind: 'video' })
  const audio = new MediaStreamTrack({ kind: 'audio' })
  let frame = 0
  const videoTimer = setInterval(() => video.writeRtp(videoPacket(++frame)), 1000 / FRAMES_PER_SECOND)
  let tick = 0
  const audioTimer = setInterval(() => audio.writeRtp(audioPacket(++tick)), 20)
  return {
    mediaStream: new MediaStream([video, audio]),
    get framesSent() {
      return frame
    },
    stop: () => {
      clearInterval(videoTimer)
      clearInterval(audioTimer)
    },
  }
}

/** A gap in one viewer's video: no RTP packet from `from` to `to` (epoch ms). */
export interface Gap {
  readonly from: number
  readonly to: number
}

/**
 * The shortest gap recorded (30 fps video arrives every 33 ms): a viewer's longest gap below it is
 * reported as "under RECORDED_GAP_MS", not as a figure.
 */
export const RECORDED_GAP_MS = 50

/** What one viewer received. */
export class ViewerMeter {
  /** Arrival time of the last video packet (epoch ms), 0 before the first. */
  lastAt = 0
  firstAt = 0
  /** Gaps of at least RECORDED_GAP_MS. */
  readonly gaps: Gap[] = []
  /** Distinct frames received (a frame seen on two connections during a move counts once). */
  frames = 0
  /** Highest frame number seen, and the first one. */
  maxFrame = 0
  firstFrame = 0
  /** Sender-to-viewer delays (ms) of recent frames, for the load steps. */
  delays: number[] = []
  private readonly watched = new WeakSet<object>()

  /** Starts timing the video tracks of `stream` not watched yet (a move or reconnect brings new ones). */
  watch(stream: unknown): void {
    const tracks = (stream as { getTracks?: () => MediaStreamTrack[] } | undefined)?.getTracks?.() ?? []
    for (const track of tracks) {
      if (track.kind !== 'video' || this.watched.has(track)) {
        continue
      }
      this.watched.add(track)
      track.onReceiveRtp.subscribe((rtp) => this.received(rtp.payload))
    }
  }

  private received(payload: Buffer): void {
    const now = Date.now()
    if (this.lastAt === 0) {
      this.firstAt = now
    } else if (now - this.lastAt >= RECORDED_GAP_MS) {
      this.gaps.push({ from: this.lastAt, to: now })
    }
    this.lastAt = now
    if (payload.length !== PAYLOAD_BYTES) {
      return
    }
    const frame = payload.readUInt32BE(TAG_AT)
    if (frame > this.maxFrame) {
      if (this.firstFrame === 0) {
        this.firstFrame = frame
      }
      this.maxFrame = frame
      this.frames += 1
      if (this.delays.length < 10_000) {
        this.delays.push(now - payload.readDoubleBE(TAG_AT + 4))
      }
    }
  }

  /**
   * The longest time without video within [from, to] (epoch ms), a gap still open at `to` included;
   * below RECORDED_GAP_MS it is only known to be below it, and RECORDED_GAP_MS is returned.
   */
  longestGap(from: number, to: number): number {
    let longest = 0
    for (const gap of this.gaps) {
      longest = Math.max(longest, Math.min(gap.to, to) - Math.max(gap.from, from))
    }
    if (this.lastAt < to) {
      longest = Math.max(longest, to - Math.max(this.lastAt, from))
    }
    return Math.max(longest, RECORDED_GAP_MS)
  }

  /** Starts a new measurement of frames and delays. */
  resetCounts(): void {
    this.frames = 0
    this.firstFrame = 0
    this.delays = []
  }

  /** Frames missing since resetCounts(), as a share of those sent meanwhile (the numbers say which). */
  loss(): number {
    const expected = this.maxFrame - this.firstFrame + 1
    return this.firstFrame === 0 || expected <= 0 ? 1 : Math.max(0, 1 - this.frames / expected)
  }
}
