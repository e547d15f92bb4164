/**
 * Notices a dead WebRTC connection in seconds, the same way for every driver: from the peer
 * connection's own state (ICE `failed` or the connection `closed`: at once) and from its statistics
 * (livenessStats.ts), read for every watch of a page by one timer (livenessSweep.ts). Browsers report ICE
 * `disconnected` after about 5 s; werift not until its 30 s consent timeout; Red5's SDK ends a session
 * 11-18 s after a node froze, or (15.x viewers) never: hence the statistics. A connection counts as
 * disconnected when, for `inactivityMs`:
 * - a viewer (media has arrived) gets no media and nothing else either (no RTCP sender report, no STUN,
 *   no byte): the path is dead. Media stopping while sender reports or STUN still arrive is a frozen
 *   source (the broadcaster's camera stalled, or it left without an unpublish notice): the watch reports
 *   it through `onStall` and keeps the connection; the path then counts as dead only after `frozenPathMs`
 *   with nothing at all arriving. One last packet in the reading right after the last media is not enough
 *   (a node killed just after its last media packet shows one): the path must show life later, within
 *   1.5 times the node's longest recent gap between sender reports (at least `TRAILING_FLOOR_MS`);
 * - a broadcaster that is sending media to a node whose RTCP feedback has come steadily (in each of the
 *   last 8 readings, as congestion feedback does every 50-200 ms while media arrives) gets no
 *   RTCP at all (anything but STUN, which a node whose media path froze may still answer): noticed, like a
 *   viewer, in about 1 s;
 * - a broadcaster whose node has sent RTCP receiver reports gets no new one for `max(inactivityMs,
 *   1500 ms)`, or for 1.5 times the longest of the last 8 gaps between them (the rule that also holds
 *   while the broadcaster sends nothing, when no feedback is due);
 * - any other connection receives nothing at all.
 * A connection disconnected (by these or by ICE) for `graceMs` is dead. The moment it starts counting as
 * disconnected is told too (`onDisconnected`): the client uses the grace to ask whether the environment's
 * Stream Manager still answers, so a failover is decided by the time the session is given up (DESIGN 11).
 *
 * Written here rather than taken from a library: no maintained package watches a peer connection
 * through the standard `getStats()` counters for both browsers and werift.
 * @internal
 */
import type { Clock, Logger } from '../../environment'
import { readCounters, type PeerCounters, type WatchedPeer } from './livenessStats'
import { Sweep, sharedSweep, type SweepMember } from './livenessSweep'

export { readCounters, type PeerCounters, type WatchedPeer } from './livenessStats'

/** How often and how patiently to watch. @internal */
export interface LivenessSettings {
  readonly clock: Clock
  /** How often `getStats()` is read. */
  readonly intervalMs: number
  /** Nothing received for this long counts as disconnected. */
  readonly inactivityMs: number
  /** Disconnected (by ICE or by silence) for this long is dead. */
  readonly graceMs: number
  /**
   * A viewer whose source froze (media stopped, RTCP or STUN still arriving): nothing at all arriving for
   * this long then counts as disconnected. Default {@link FROZEN_PATH_MS}.
   */
  readonly frozenPathMs?: number | undefined
  /** `false`: a timer of its own instead of the page's shared sweep (the benchmark's comparison). */
  readonly sharedTimer?: boolean | undefined
}

/**
 * How long a frozen viewer's path may be silent before it counts as disconnected: RTCP sender reports
 * come about every second (libwebrtc video, werift: 0.5-1.5 s) and STUN consent checks every 4-6 s
 * (RFC 7675), so a live path shows something well within 5 s. @internal
 */
export const FROZEN_PATH_MS = 5000

/**
 * The least a viewer's watch allows, after one last packet that followed its media, for the node to show
 * life again before the path counts as dead (when the node's sender-report cadence is known; see
 * `judgeViewer`): a node whose reports stop with its source still answers STUN, and browsers check their
 * selected pair about every 2.5 s. @internal
 */
export const TRAILING_FLOOR_MS = 3000

/** How many recent gaps between reports (receiver or sender) set an allowance (see `judge`). @internal */
const REPORT_GAPS = 8

/** The gaps (ms) between the last {@link REPORT_GAPS} + 1 arrivals of one kind of RTCP report. */
class Cadence {
  private lastAt: number | undefined
  private readonly gaps: number[] = []

  /** A report arrived at `now`. */
  note(now: number): void {
    if (this.lastAt !== undefined) {
      this.gaps.push(now - this.lastAt)
      this.gaps.splice(0, this.gaps.length - REPORT_GAPS)
    }
    this.lastAt = now
  }

  /** How many gaps are known (0 until two reports have come). */
  get known(): number {
    return this.gaps.length
  }

  /** The longest recent gap (0 while none is known). */
  get longest(): number {
    return Math.max(0, ...this.gaps)
  }
}

/**
 * How many readings in a row must each see RTCP feedback for a broadcaster's node to count as steady
 * (2 s at the default interval). @internal
 */
const STEADY_READINGS = 8

/**
 * The least a broadcaster's watch allows between two receiver reports, whatever `inactivityMs` says:
 * receivers send them only every 0.5-1.5 s (werift) or about once a second (libwebrtc video). @internal
 */
export const REPORT_FLOOR_MS = 1500

/**
 * Default timings per session kind (`intervalMs`, `inactivityMs`, `graceMs`). A viewer receives media many
 * times a second (audio alone every 20 ms), so 0.75 s without a single byte (not even the node's RTCP or
 * STUN) means the path is dead: it is noticed in about 1 s ("noticing in about a second", issue 13). A
 * broadcaster receives only the node's RTCP feedback and STUN answers. From a node that sends
 * congestion feedback while media arrives (transport-wide every 50-100 ms: libwebrtc, mediasoup, Janus,
 * Pion; REMB every 100 ms: the emulator) 0.75 s of silence is as telling, and it is noticed in about 1 s too; from a node that
 * sends only receiver reports (0.5-1.5 s apart from werift, about 1 s from libwebrtc) the watch allows
 * {@link REPORT_FLOOR_MS} or 1.5 times the node's own longest recent gap: noticed in 1.75-2.5 s. A viewer
 * whose source freezes keeps its connection while the node's sender reports or STUN answers arrive.
 * @internal
 */
export const LIVENESS_DEFAULTS: Readonly<
  Record<'publish' | 'subscribe', Readonly<Omit<LivenessSettings, 'clock'>>>
> = {
  publish: { intervalMs: 250, inactivityMs: 750, graceMs: 250 },
  subscribe: { intervalMs: 250, inactivityMs: 750, graceMs: 250 },
}

/** The kind's defaults, with what the driver's options set instead. @internal */
export function livenessFor(
  kind: 'publish' | 'subscribe',
  given: Partial<Omit<LivenessSettings, 'clock'>>,
): Omit<LivenessSettings, 'clock'> {
  const defaults = LIVENESS_DEFAULTS[kind]
  return {
    ...given,
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

/**
 * Called when a viewer's media stops while its path stays alive (`true`: a frozen source) and when media
 * comes back (`false`). @internal
 */
export type StallListener = (stalled: boolean) => void

/**
 * Called when a connection comes into doubt (`true`: disconnected by ICE or by silence, and the grace
 * starts; or a viewer's media stopped with one last packet after it, and the watch waits for its path to
 * show life) and when it comes out of it (`false`: recovered within the grace, or a frozen source after
 * all). A verdict follows a `true` that no `false` cancelled. @internal
 */
export type DisconnectedListener = (disconnected: boolean) => void

/** What a {@link LivenessWatch} tells besides its verdict. @internal */
export interface LivenessListeners {
  readonly onStall?: StallListener | undefined
  readonly onDisconnected?: DisconnectedListener | undefined
}

/**
 * A watch's listeners that pass each signal on to a driver session's own listeners (the arrays are read at
 * each change, so listeners added later are told too). @internal
 */
export function passOn(
  stall: readonly StallListener[],
  disconnected: readonly DisconnectedListener[],
): LivenessListeners {
  return {
    onStall: (stalled) => [...stall].forEach((listener) => listener(stalled)),
    onDisconnected: (state) => [...disconnected].forEach((listener) => listener(state)),
  }
}

/**
 * Watches one live peer connection until {@link LivenessWatch.stop} or a verdict (given once).
 * Call {@link LivenessWatch.check} from the connection's state-change events for an immediate answer.
 * @internal
 */
export class LivenessWatch implements SweepMember {
  private sweep: Sweep | undefined
  private graceTimer: unknown
  private last: PeerCounters | undefined
  /** When media, anything at all, and a receiver report last arrived. */
  private mediaAt: number
  private pathAt: number
  private reportAt: number
  private sawMedia = false
  private sawReports = false
  /** Readings taken, and the last one that saw media and that saw anything at all arrive. */
  private readings = 0
  private mediaReading = 0
  private pathReading = 0
  /** A viewer's side: the node's sender reports. */
  private readonly senderReports = new Cadence()
  /** A viewer's media stopped and one last packet followed it: waiting for the path to show life. */
  private trailing = false
  /** What the disconnected listener was last told. */
  private doubted = false
  /** A broadcaster's side: the node's receiver reports. */
  private readonly receiverReports = new Cadence()
  /** A broadcaster's side: when RTCP feedback of any kind (not STUN) last arrived. */
  private feedbackAt: number
  /** Readings in a row that saw feedback; whether the node counts as steady (see `judgedOnFeedback`). */
  private feedbackStreak = 0
  private steadyFeedback = false
  /** When a reading last showed media sent (a broadcaster), `undefined` before any. */
  private sentAt: number | undefined
  private stalled = false
  /** Why the connection counts as disconnected by its statistics (undefined: it does not). */
  private silence: string | undefined
  private stopped = false

  constructor(
    private readonly pc: WatchedPeer,
    private readonly settings: LivenessSettings,
    private readonly onDead: (verdict: LivenessVerdict) => void,
    private readonly log: Logger,
    private readonly what: string,
    private readonly listeners: LivenessListeners = {},
  ) {
    const now = settings.clock.now()
    this.mediaAt = now
    this.pathAt = now
    this.reportAt = now
    this.feedbackAt = now
  }

  /** Starts polling. `baseline`: the counters already seen (so the first poll compares with them). */
  start(baseline?: PeerCounters): void {
    if (this.stopped || this.sweep !== undefined) {
      return
    }
    if (baseline !== undefined) {
      this.observe(baseline)
    }
    const { clock, intervalMs, sharedTimer } = this.settings
    this.sweep = sharedTimer === false ? new Sweep(clock, intervalMs) : sharedSweep(clock, intervalMs)
    this.sweep.add(this)
  }

  /** Stops every timer; no verdict after this. Idempotent. */
  stop(): void {
    this.stopped = true
    this.sweep?.delete(this)
    if (this.graceTimer !== undefined) {
      this.settings.clock.clearTimeout(this.graceTimer)
      this.graceTimer = undefined
    }
  }

  /** True while a viewer's source is frozen (see {@link StallListener}). */
  get isStalled(): boolean {
    return this.stalled
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

  /** One reading of the statistics (the sweep calls it). */
  async poll(): Promise<void> {
    if (this.stopped) {
      return
    }
    const counters = await readCounters(this.pc)
    if (this.stopped) {
      return
    }
    if (counters !== undefined) {
      this.observe(counters)
      this.judge(this.settings.clock.now())
    }
    this.check()
  }

  /** Notes what moved since the last reading. */
  private observe(counters: PeerCounters): void {
    const now = this.settings.clock.now()
    const prev = this.last
    this.last = counters
    this.readings += 1
    this.sawReports ||= counters.hasReceiverReports
    if (prev === undefined) {
      this.sawMedia = counters.inboundMediaBytes > 0
      return
    }
    const media = counters.inboundMediaBytes !== prev.inboundMediaBytes
    const reports = counters.receiverReports !== prev.receiverReports
    const feedback = reports || counters.transportBytes !== prev.transportBytes
    if (counters.outboundMediaBytes !== prev.outboundMediaBytes) {
      this.sentAt = now
    }
    if (media) {
      this.sawMedia = true
      this.mediaAt = now
      this.mediaReading = this.readings
    }
    if (counters.senderReports !== prev.senderReports) {
      this.senderReports.note(now)
    }
    if (reports) {
      this.receiverReports.note(now)
      this.reportAt = now
    }
    if (feedback) {
      // Feedback back after a pause of more than one reading that was no death: the node's feedback is
      // not steady after all (receiver reports with a burst of PLIs in between, say), until it has come
      // in STEADY_READINGS readings in a row again.
      if (this.feedbackStreak === 0 && now - this.feedbackAt > this.settings.intervalMs * 1.5) {
        this.steadyFeedback = false
      }
      this.feedbackStreak += 1
      this.steadyFeedback ||= this.feedbackStreak >= STEADY_READINGS
      this.feedbackAt = now
    } else {
      this.feedbackStreak = 0
    }
    if (
      media ||
      reports ||
      counters.receivedBytes !== prev.receivedBytes ||
      counters.stunReceived !== prev.stunReceived ||
      counters.senderReports !== prev.senderReports
    ) {
      this.pathAt = now
      this.pathReading = this.readings
    }
  }

  /** Decides from the last arrivals whether the connection counts as disconnected, or its source as frozen. */
  private judge(now: number): void {
    const { inactivityMs } = this.settings
    const was = this.silence
    if (this.sawMedia) {
      this.judgeViewer(now)
    } else if (this.judgedOnFeedback(now)) {
      const quiet = now - this.feedbackAt
      this.silence = quiet >= inactivityMs ? `no RTCP feedback from the node for ${quiet} ms` : undefined
    } else if (this.sawReports && this.receiverReports.known > 0) {
      // Once the node's cadence is known (two reports have come; until then anything arriving counts), a
      // node that reports less often than the floor allows is given 1.5 times its own longest recent gap
      // instead, so that its publishers do not reconnect between two healthy reports.
      const limit = Math.max(inactivityMs, REPORT_FLOOR_MS, 1.5 * this.receiverReports.longest)
      const quiet = now - this.reportAt
      this.silence = quiet >= limit ? `no receiver report from the node for ${quiet} ms` : undefined
    } else {
      // A broadcaster (it has sent media) whose node's cadence is not known yet gets the receivers'
      // floor: its first receiver report may come 1.5 s after its first packet.
      const limit = this.last?.outboundMediaBytes ? Math.max(inactivityMs, REPORT_FLOOR_MS) : inactivityMs
      const quiet = now - this.pathAt
      this.silence = quiet >= limit ? `nothing received for ${quiet} ms` : undefined
    }
    if (this.silence !== undefined && was === undefined) {
      this.log.info(`${this.what}: ${this.silence}`)
    }
  }

  /**
   * Whether a broadcaster is judged on its node's RTCP of any kind (`inactivityMs` without any is a
   * silence): the node's feedback has come steadily, and either media was sent since the last of it (more
   * is due; judged on the last media sent, not on the last reading: a broadcaster's congestion control may
   * hold its video once feedback stops, and that must not hide the silence) or it is fresh (the node is
   * there, whatever its receiver reports' cadence). Otherwise (a node that sends only receiver reports, or
   * a broadcaster that stopped sending a while ago) the receiver-report rule decides.
   */
  private judgedOnFeedback(now: number): boolean {
    // Steady: feedback in each of STEADY_READINGS readings in a row (counted in readings, not in time, so a
    // late timer on a busy page does not break it). A node that sends only receiver reports, at least
    // 0.5 s apart, does not look steady: at most every other reading sees one.
    return (
      this.steadyFeedback &&
      this.sentAt !== undefined &&
      (this.sentAt > this.feedbackAt || now - this.feedbackAt < this.settings.inactivityMs)
    )
  }

  /**
   * A viewer whose media stopped: a frozen source once the path shows life after the media stopped, dead
   * once nothing arrives for the allowance. Life means something arriving in a later reading than the one
   * right after the last media: a node killed just after its last media packet often shows one more packet
   * there (an RTCP report in flight, or the last RTP counted in the transport's bytes by one reading and in
   * the media's by the next: a `getStats()` report is not one instant), and is no frozen source.
   */
  private judgeViewer(now: number): void {
    const { inactivityMs } = this.settings
    const wasTrailing = this.trailing
    this.trailing = false
    if (now - this.mediaAt < inactivityMs) {
      this.silence = undefined
      this.setStalled(false)
      return
    }
    const frozenPathMs = this.settings.frozenPathMs ?? FROZEN_PATH_MS
    const after = this.pathAt > this.mediaAt
    const limit = this.stalled ? frozenPathMs : after ? this.trailingAllowance(frozenPathMs) : inactivityMs
    const quiet = now - this.pathAt
    if (quiet >= limit) {
      this.silence = `nothing received for ${quiet} ms`
      return
    }
    this.silence = undefined
    if (!after || this.stalled) {
      return
    }
    if (this.pathReading > this.mediaReading + 1) {
      this.setStalled(true)
      return
    }
    // In doubt (told as disconnected, so the client checks the Stream Manager now), not yet dead.
    this.trailing = true
    if (!wasTrailing) {
      this.log.info(
        `${this.what}: media stopped, one more packet after it; ${limit} ms for the node to show life`,
      )
    }
  }

  /**
   * How long a viewer's path may be silent after one last packet that followed its media: a node whose
   * sender reports came at a known cadence (two gaps seen) reports again within 1.5 times its longest recent
   * gap, or answers STUN within {@link TRAILING_FLOOR_MS}, if it is alive; a node whose cadence is unknown
   * is given the frozen path's allowance (its next sign of life may be a STUN answer 5 s away).
   */
  private trailingAllowance(frozenPathMs: number): number {
    if (this.senderReports.known < 2) {
      return frozenPathMs
    }
    const cadence = 1.5 * this.senderReports.longest
    return Math.min(frozenPathMs, Math.max(this.settings.inactivityMs, TRAILING_FLOOR_MS, cadence))
  }

  private setStalled(stalled: boolean): void {
    if (stalled === this.stalled) {
      return
    }
    this.stalled = stalled
    this.log.info(
      stalled
        ? `${this.what}: media stopped but the node still answers (a frozen source); keeping the connection`
        : `${this.what}: media flows again`,
    )
    this.tell('stall', () => this.listeners.onStall?.(stalled))
  }

  /** Runs a listener; one that throws is logged, never breaks the watch. */
  private tell(what: string, run: () => void): void {
    try {
      run()
    } catch (error) {
      this.log.error(`${this.what}: a ${what} listener threw`, error)
    }
  }

  private disconnected(): boolean {
    const { pc } = this
    return (
      this.silence !== undefined ||
      pc.connectionState === 'disconnected' ||
      pc.iceConnectionState === 'disconnected'
    )
  }

  private give(verdict: LivenessVerdict): void {
    this.stop()
    this.onDead(verdict)
  }

  /**
   * Starts the grace timer while disconnected (by ICE or by silence), cancels it when back; tells the
   * disconnected listener whenever the connection comes into doubt (disconnected, or a viewer waiting for
   * its path to show life after one last packet) or out of it.
   */
  private updateGrace(): void {
    const { clock, graceMs } = this.settings
    if (this.disconnected()) {
      if (this.graceTimer === undefined) {
        this.log.info(`${this.what}: disconnected; ending in ${graceMs} ms unless it recovers`)
        this.graceTimer = clock.setTimeout(() => {
          this.graceTimer = undefined
          if (!this.stopped && this.disconnected()) {
            const why = this.silence ?? `ICE ${this.pc.iceConnectionState}`
            this.give({
              reason: 'lost',
              detail: `the connection was lost (${why}, then ${graceMs} ms more of grace)`,
            })
          } else if (!this.stopped) {
            this.tellDoubt(this.trailing)
          }
        }, graceMs)
      }
    } else if (this.graceTimer !== undefined) {
      clock.clearTimeout(this.graceTimer)
      this.graceTimer = undefined
      this.log.info(`${this.what}: reconnected`)
    }
    this.tellDoubt(this.disconnected() || this.trailing)
  }

  private tellDoubt(doubt: boolean): void {
    if (doubt !== this.doubted) {
      this.doubted = doubt
      this.tell('disconnected', () => this.listeners.onDisconnected?.(doubt))
    }
  }
}
