/**
 * Notices a dead WebRTC connection in seconds, the same way for every driver: from the peer
 * connection's own state (ICE `failed` or the connection `closed`: at once) and from its statistics
 * (nothing at all received, no RTP, RTCP or STUN, for `inactivityMs`: disconnected). A connection
 * disconnected for `graceMs` is dead. Browsers report ICE `disconnected` after about 5 s; werift not
 * until its 30 s consent timeout; Red5's SDK ends a session 11-18 s after a node froze, or (15.x
 * viewers) never: hence the statistics.
 *
 * Written here rather than taken from a library: no maintained package watches a peer connection
 * through the standard `getStats()` counters for both browsers and werift.
 * @internal
 */
import type { Clock, Logger } from '../../environment'

/** The part of a peer connection the watch reads (browser or werift). @internal */
export interface WatchedPeer {
  readonly connectionState: string
  readonly iceConnectionState: string
  getStats(): Promise<{ forEach(callback: (stat: unknown) => void): void }>
}

/** How often and how patiently to watch. @internal */
export interface LivenessSettings {
  readonly clock: Clock
  /** How often `getStats()` is read. */
  readonly intervalMs: number
  /** Nothing received for this long counts as disconnected. */
  readonly inactivityMs: number
  /** Disconnected (by ICE or by silence) for this long is dead. */
  readonly graceMs: number
}

/**
 * Default timings per session kind (`intervalMs`, `inactivityMs`, `graceMs`). A viewer receives media many
 * times a second (audio alone every 20 ms), so a second without a single byte means the path is dead: it
 * is noticed in about 1.5 s. A broadcaster receives only the node's RTCP feedback (receiver reports,
 * congestion-control feedback: several a second from libwebrtc-style receivers such as the emulator's, in
 * Chromium and Firefox) and STUN answers, so it allows 1.5 s of silence, noticed in about 2 s; a node that
 * sends feedback less often needs a longer `inactivityTimeoutMs`. A video-only stream whose camera
 * freezes also looks dead to its viewers; they then reconnect (to the same stream), which costs a second,
 * not a session. @internal
 */
export const LIVENESS_DEFAULTS: Readonly<
  Record<'publish' | 'subscribe', Readonly<Omit<LivenessSettings, 'clock'>>>
> = {
  publish: { intervalMs: 250, inactivityMs: 1500, graceMs: 500 },
  subscribe: { intervalMs: 250, inactivityMs: 1000, graceMs: 500 },
}

/** The kind's defaults, with what the driver's options set instead. @internal */
export function livenessFor(
  kind: 'publish' | 'subscribe',
  given: Partial<Omit<LivenessSettings, 'clock'>>,
): Omit<LivenessSettings, 'clock'> {
  const defaults = LIVENESS_DEFAULTS[kind]
  return {
    intervalMs: given.intervalMs ?? defaults.intervalMs,
    inactivityMs: given.inactivityMs ?? defaults.inactivityMs,
    graceMs: given.graceMs ?? defaults.graceMs,
  }
}

/** Why the watch gave a connection up. @internal */
export interface LivenessVerdict {
  /** `failed`: ICE failed; `closed`: the peer connection was closed; `lost`: disconnected past the grace. */
  readonly reason: 'failed' | 'closed' | 'lost'
  /** A sentence for the error message. */
  readonly detail: string
}

/** Counters read from `getStats()`. @internal */
export interface PeerCounters {
  /** Sum of `inbound-rtp` `bytesReceived` (media received). */
  readonly inboundMediaBytes: number
  /** Sum of `outbound-rtp` `bytesSent` (media sent). */
  readonly outboundMediaBytes: number
  /** Sum of `transport` and `candidate-pair` `bytesReceived`: anything at all arriving (RTCP, STUN). */
  readonly receivedBytes: number
}

interface StatLike {
  readonly type?: string
  readonly bytesReceived?: number
  readonly bytesSent?: number
}

/** Reads {@link PeerCounters}; `undefined` when getStats() fails (e.g. the connection was closed). @internal */
export async function readCounters(pc: Pick<WatchedPeer, 'getStats'>): Promise<PeerCounters | undefined> {
  let report: Awaited<ReturnType<WatchedPeer['getStats']>>
  try {
    report = await pc.getStats()
  } catch {
    return undefined
  }
  let inboundMediaBytes = 0
  let outboundMediaBytes = 0
  let receivedBytes = 0
  const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
  report.forEach((value) => {
    const stat = value as StatLike
    switch (stat.type) {
      case 'inbound-rtp':
        inboundMediaBytes += num(stat.bytesReceived)
        break
      case 'outbound-rtp':
        outboundMediaBytes += num(stat.bytesSent)
        break
      case 'transport':
      case 'candidate-pair':
        receivedBytes += num(stat.bytesReceived)
        break
      default:
        break
    }
  })
  return { inboundMediaBytes, outboundMediaBytes, receivedBytes }
}

/**
 * Watches one live peer connection until {@link LivenessWatch.stop} or a verdict (given once).
 * Call {@link LivenessWatch.check} from the connection's state-change events for an immediate answer.
 * @internal
 */
export class LivenessWatch {
  private pollTimer: unknown
  private graceTimer: unknown
  private lastReceived = -1
  private lastActivityAt: number
  private inactive = false
  private stopped = false

  constructor(
    private readonly pc: WatchedPeer,
    private readonly settings: LivenessSettings,
    private readonly onDead: (verdict: LivenessVerdict) => void,
    private readonly log: Logger,
    private readonly what: string,
  ) {
    this.lastActivityAt = settings.clock.now()
  }

  /** Starts polling. `received`: the byte count already seen (so the first poll compares with it). */
  start(received?: number): void {
    if (received !== undefined) {
      this.lastReceived = received
    }
    this.schedulePoll()
  }

  /** Stops every timer; no verdict after this. Idempotent. */
  stop(): void {
    this.stopped = true
    const { clock } = this.settings
    if (this.pollTimer !== undefined) {
      clock.clearTimeout(this.pollTimer)
      this.pollTimer = undefined
    }
    if (this.graceTimer !== undefined) {
      clock.clearTimeout(this.graceTimer)
      this.graceTimer = undefined
    }
  }

  /** Re-evaluates the connection's state now (call it on `connectionstatechange` / `iceconnectionstatechange`). */
  check(): void {
    if (this.stopped) {
      return
    }
    const { pc } = this
    if (pc.connectionState === 'failed' || pc.iceConnectionState === 'failed') {
      this.give({ reason: 'failed', detail: `the connection failed (ICE ${pc.iceConnectionState})` })
      return
    }
    if (pc.connectionState === 'closed') {
      this.give({ reason: 'closed', detail: 'the peer connection was closed' })
      return
    }
    this.updateGrace()
  }

  private disconnected(): boolean {
    const { pc } = this
    return this.inactive || pc.connectionState === 'disconnected' || pc.iceConnectionState === 'disconnected'
  }

  private give(verdict: LivenessVerdict): void {
    this.stop()
    this.onDead(verdict)
  }

  /** Starts the grace timer while disconnected (by ICE or by silence), cancels it when back. */
  private updateGrace(): void {
    const { clock, graceMs } = this.settings
    if (this.disconnected()) {
      if (this.graceTimer === undefined) {
        this.log.info(`${this.what}: disconnected; ending in ${graceMs} ms unless it recovers`)
        this.graceTimer = clock.setTimeout(() => {
          this.graceTimer = undefined
          if (!this.stopped && this.disconnected()) {
            this.give({
              reason: 'lost',
              detail: `the connection was lost (nothing received for ${graceMs} ms after a disconnect)`,
            })
          }
        }, graceMs)
      }
    } else if (this.graceTimer !== undefined) {
      clock.clearTimeout(this.graceTimer)
      this.graceTimer = undefined
      this.log.info(`${this.what}: reconnected`)
    }
  }

  private schedulePoll(): void {
    if (this.stopped) {
      return
    }
    this.pollTimer = this.settings.clock.setTimeout(() => {
      this.pollTimer = undefined
      void this.poll()
    }, this.settings.intervalMs)
  }

  private async poll(): Promise<void> {
    const counters = await readCounters(this.pc)
    if (this.stopped) {
      return
    }
    if (counters !== undefined) {
      const received = counters.receivedBytes + counters.inboundMediaBytes
      const now = this.settings.clock.now()
      if (received !== this.lastReceived) {
        this.lastReceived = received
        this.lastActivityAt = now
        this.inactive = false
      } else if (now - this.lastActivityAt >= this.settings.inactivityMs) {
        if (!this.inactive) {
          this.log.info(`${this.what}: nothing received for ${now - this.lastActivityAt} ms`)
        }
        this.inactive = true
      }
    }
    this.check()
    this.schedulePoll()
  }
}
