/**
 * The liveness watch's verdicts from statistics sequences: what a viewer or a broadcaster reads from
 * `getStats()` (the fields browsers and werift report) while media flows, while its source is frozen
 * (RTP stops, RTCP sender reports and STUN continue), while its path is dead (nothing arrives), and while a
 * node stops sending receiver reports but still answers STUN. Time is a ManualClock; the peer is a stand-in
 * whose counters move as the tape says (the watch's unit boundary).
 */
import { describe, expect, it } from 'vitest'

import { ManualClock } from '../../testing/ManualClock'
import tape from './__fixtures__/werift-stats-tape.json'
import {
  LIVENESS_DEFAULTS,
  LivenessWatch,
  REPORT_FLOOR_MS,
  TRAILING_FLOOR_MS,
  type LivenessSettings,
  type LivenessVerdict,
} from './liveness'

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * What arrives in one step: media (RTP), an RTCP sender report, a receiver report, other RTCP feedback
 * (transport-wide congestion feedback, NACK, PLI), a STUN answer; `send`: the peer sent media.
 */
type Arrival = 'rtp' | 'sr' | 'rr' | 'fb' | 'stun' | 'send'

/** A peer whose statistics move only as the test says (field names as Chromium and werift report them). */
class TapePeer {
  connectionState = 'connected'
  iceConnectionState = 'connected'
  reads = 0
  private inboundBytes = 0
  private inboundPackets = 0
  private outboundBytes = 0
  private transportBytes = 0
  private reportsSent = 0
  private reportsReceived = 0
  private rttMeasurements = 0
  private stunResponses = 0
  private pairBytes = 0
  private hasRemoteInbound = false
  private hasRemoteOutbound = false

  constructor(private readonly clock: ManualClock) {}

  arrive(what: readonly Arrival[]): void {
    for (const kind of what) {
      switch (kind) {
        case 'rtp':
          this.inboundBytes += 1200
          this.inboundPackets += 1
          this.transportBytes += 1200
          break
        case 'sr':
          this.hasRemoteOutbound = true
          this.reportsSent += 1
          this.transportBytes += 60
          break
        case 'rr':
          this.hasRemoteInbound = true
          this.reportsReceived += 1
          this.rttMeasurements += 1
          this.transportBytes += 60
          break
        case 'fb':
          this.transportBytes += 40
          break
        case 'stun':
          this.stunResponses += 1
          this.pairBytes += 100 // werift counts STUN in the pair's bytesReceived; Chromium does not
          break
        case 'send':
          this.outboundBytes += 1200
          break
      }
    }
  }

  getStats(): Promise<Map<string, object>> {
    this.reads += 1
    const timestamp = this.clock.now() // werift stamps every entry with the time of the call
    const stats = new Map<string, object>([
      ['T', { type: 'transport', timestamp, bytesReceived: this.transportBytes }],
      [
        'CP',
        {
          type: 'candidate-pair',
          timestamp,
          bytesReceived: this.pairBytes,
          responsesReceived: this.stunResponses,
          requestsReceived: 0,
        },
      ],
    ])
    if (this.inboundPackets > 0) {
      stats.set('IV', {
        type: 'inbound-rtp',
        timestamp,
        bytesReceived: this.inboundBytes,
        packetsReceived: this.inboundPackets,
      })
    }
    if (this.hasRemoteOutbound) {
      stats.set('ROV', { type: 'remote-outbound-rtp', timestamp, reportsSent: this.reportsSent })
    }
    if (this.outboundBytes > 0) {
      stats.set('OV', { type: 'outbound-rtp', timestamp, bytesSent: this.outboundBytes })
    }
    if (this.hasRemoteInbound) {
      stats.set('RIV', {
        type: 'remote-inbound-rtp',
        timestamp,
        reportsReceived: this.reportsReceived,
        roundTripTimeMeasurements: this.rttMeasurements,
        totalRoundTripTime: this.rttMeasurements * 0.001,
        packetsLost: 0,
      })
    }
    return Promise.resolve(stats)
  }
}

interface Run {
  readonly clock: ManualClock
  readonly peer: TapePeer
  readonly watch: LivenessWatch
  readonly verdicts: LivenessVerdict[]
  /** Stall changes with the tape time they came at. */
  readonly stalls: { stalled: boolean; at: number }[]
  /** Disconnected changes (the grace starting, `true`, or cancelled) with the tape time they came at. */
  readonly doubts: { disconnected: boolean; at: number }[]
  /** Plays `ms` of tape in 50 ms steps; `tape(t)` says what arrives in the step starting at t (ms). */
  play(ms: number, tape: (t: number) => readonly Arrival[]): Promise<void>
}

const VIEWER = { intervalMs: 250, inactivityMs: 1000, graceMs: 500, frozenPathMs: 5000 }
const BROADCASTER = { intervalMs: 250, inactivityMs: 1500, graceMs: 500 }

function watch(timings: Omit<LivenessSettings, 'clock'>): Run {
  const clock = new ManualClock()
  const peer = new TapePeer(clock)
  const verdicts: LivenessVerdict[] = []
  const stalls: { stalled: boolean; at: number }[] = []
  const doubts: { disconnected: boolean; at: number }[] = []
  let t = 0
  const w = new LivenessWatch(
    peer,
    { clock, ...timings },
    (verdict) => verdicts.push(verdict),
    quiet,
    'test',
    {
      onStall: (stalled) => stalls.push({ stalled, at: t }),
      onDisconnected: (disconnected) => doubts.push({ disconnected, at: t }),
    },
  )
  w.start()
  return {
    clock,
    peer,
    watch: w,
    verdicts,
    stalls,
    doubts,
    async play(ms, tape) {
      for (const end = t + ms; t < end; t += 50) {
        peer.arrive(tape(t))
        await clock.advance(50)
      }
    },
  }
}

/** Something every `period` ms (at t = phase, phase + period, ...). */
const every = (t: number, period: number, phase = 0): boolean => t % period === phase % period
/** A viewer's healthy stream: audio and video RTP all the time, a sender report every second, STUN every 2.5 s. */
const flowing = (t: number): Arrival[] => [
  'rtp',
  ...(every(t, 1000) ? (['sr'] as const) : []),
  ...(every(t, 2500) ? (['stun'] as const) : []),
]
/** The same path with the source frozen: no RTP, the reports and STUN go on. */
const frozen = (t: number): Arrival[] => [
  ...(every(t, 1000, 500) ? (['sr'] as const) : []),
  ...(every(t, 2500) ? (['stun'] as const) : []),
]
const nothing = (): Arrival[] => []

describe('LivenessWatch: a viewer', () => {
  it('keeps a flowing connection: no verdict, no stall', async () => {
    const run = watch(VIEWER)
    await run.play(20_000, flowing)
    expect(run.verdicts).toEqual([])
    expect(run.stalls).toEqual([])
    run.watch.stop()
  })

  it('frozen source (RTP stops, sender reports and STUN continue): signals a stall, keeps the connection', async () => {
    const run = watch(VIEWER)
    await run.play(3000, flowing)
    await run.play(30_000, frozen)

    expect(run.verdicts).toEqual([])
    expect(run.stalls.map((s) => s.stalled)).toEqual([true])
    expect(run.watch.isStalled).toBe(true)

    await run.play(2000, flowing) // the camera comes back
    expect(run.stalls.map((s) => s.stalled)).toEqual([true, false])
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('frozen source with STUN answers only (no RTCP at all): still a stall, not a death', async () => {
    const run = watch(VIEWER)
    await run.play(3000, flowing)
    await run.play(20_000, (t) => (every(t, 500) ? ['stun'] : []))
    expect(run.verdicts).toEqual([])
    expect(run.stalls.map((s) => s.stalled)).toEqual([true])
    run.watch.stop()
  })

  it('dead path (nothing at all arrives): a lost verdict, and no stall signal', async () => {
    const run = watch(VIEWER)
    await run.play(3000, flowing)
    await run.play(5000, nothing)
    expect(run.verdicts).toHaveLength(1)
    expect(run.verdicts[0]?.reason).toBe('lost')
    expect(run.verdicts[0]?.detail).toContain('nothing received')
    expect(run.stalls).toEqual([])
  })

  it('silence just under inactivity + grace is no death; at inactivity + grace + one poll it is', async () => {
    const short = watch(VIEWER)
    await short.play(3000, flowing)
    await short.play(VIEWER.inactivityMs + VIEWER.graceMs - 300, nothing)
    await short.play(5000, flowing)
    expect(short.verdicts).toEqual([])
    short.watch.stop()

    const long = watch(VIEWER)
    await long.play(3000, flowing)
    await long.play(VIEWER.inactivityMs + VIEWER.graceMs + VIEWER.intervalMs, nothing)
    expect(long.verdicts.map((v) => v.reason)).toEqual(['lost'])
  })

  it('tells the grace starting (the client probes its Stream Manager then) and a recovery within it; a verdict only after a doubt', async () => {
    const short = watch(VIEWER)
    await short.play(3000, flowing)
    await short.play(VIEWER.inactivityMs + VIEWER.graceMs - 300, nothing)
    await short.play(2000, flowing)
    expect(short.doubts.map((d) => d.disconnected)).toEqual([true, false])
    // Told at the reading that finds the silence, not later (the tape's steps are 50 ms).
    expect(short.doubts[0]!.at - 3000).toBeGreaterThanOrEqual(VIEWER.inactivityMs - 50)
    expect(short.doubts[0]!.at - 3000).toBeLessThanOrEqual(VIEWER.inactivityMs + VIEWER.intervalMs)
    expect(short.verdicts).toEqual([])
    short.watch.stop()

    const dead = watch(VIEWER)
    await dead.play(3000, flowing)
    await dead.play(5000, nothing)
    expect(dead.doubts.map((d) => d.disconnected)).toEqual([true])
    expect(dead.verdicts.map((v) => v.reason)).toEqual(['lost'])

    const healthy = watch(VIEWER)
    await healthy.play(10_000, flowing)
    expect(healthy.doubts).toEqual([])
    healthy.watch.stop()
  })

  it('a frozen source whose path then dies: dead after frozenPathMs of nothing, not before', async () => {
    const run = watch(VIEWER)
    await run.play(3000, flowing)
    await run.play(4000, frozen)
    expect(run.stalls.map((s) => s.stalled)).toEqual([true])
    await run.play(VIEWER.frozenPathMs - 1000, nothing)
    expect(run.verdicts).toEqual([])
    await run.play(2000, nothing)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
  })

  // A node killed right after its last media packet: one more packet (an RTCP report in flight, or the last
  // RTP counted in the transport's bytes by one reading and in the media's by the next: a getStats() report
  // is not one instant) shows in the reading after the last one with media, then nothing. That is no
  // frozen source: nothing arrived after the death.
  const lastPacket = (after: Arrival[]) => async (run: Run) => {
    await run.play(3000, flowing) // the node's sender reports come every second
    await run.play(50, () => after)
  }

  it('a node that dies right after one last packet: in doubt at once, no stall signal; lost within its sender reports’ allowance, not after frozenPathMs', async () => {
    const run = watch(VIEWER)
    await lastPacket(['sr'])(run)
    // The last reading with media is at 3000, the packet shows at 3250; allowance TRAILING_FLOOR_MS from there.
    await run.play(250 + TRAILING_FLOOR_MS - 50 - 50, nothing)
    expect(run.verdicts).toEqual([])
    // In doubt once media has been missing for inactivityMs (the client checks its Stream Manager then).
    // (The reading at 4000 falls in the tape's step that starts at 3950.)
    expect(run.doubts).toEqual([{ disconnected: true, at: 3000 + VIEWER.inactivityMs - 50 }])
    await run.play(VIEWER.graceMs + 2 * VIEWER.intervalMs, nothing)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.doubts).toHaveLength(1) // the grace that followed told nothing new
    expect(run.stalls).toEqual([])
  })

  it('one last packet, then the next sender report within the allowance: a frozen source after all (stalled, connection kept)', async () => {
    const run = watch(VIEWER)
    await lastPacket(['sr'])(run)
    const next = TRAILING_FLOOR_MS - 300 // from the last packet
    await run.play(next, nothing)
    expect(run.stalls).toEqual([]) // not told before the path showed life after the media stopped
    await run.play(10_000, (t) => (every(t - 3050 - next, 1000) ? ['sr'] : []))
    expect(run.stalls.map((s) => s.stalled)).toEqual([true])
    expect(run.doubts.map((d) => d.disconnected)).toEqual([true, false]) // in doubt until the path showed life
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('a node whose sender reports come every 2.5 s: one last packet is given 1.5 times that, not the floor', async () => {
    const run = watch(VIEWER)
    await run.play(10_000, (t) => ['rtp', ...(every(t, 2500) ? (['sr'] as const) : [])])
    await run.play(50, () => ['sr'])
    // The packet shows at 10_250; 1.5 x 2500 = 3750 ms from there, then the grace.
    await run.play(250 + TRAILING_FLOOR_MS + VIEWER.graceMs + 2 * VIEWER.intervalMs, nothing)
    expect(run.verdicts).toEqual([]) // past the floor and its grace: still waiting
    await run.play(1.5 * 2500 - TRAILING_FLOOR_MS + VIEWER.graceMs, nothing)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.stalls).toEqual([])
  })

  it('a node that sends no sender reports: one last packet then nothing is still no stall signal, and lost after frozenPathMs', async () => {
    const run = watch(VIEWER)
    await run.play(3000, (t) => ['rtp', ...(every(t, 2500) ? (['stun'] as const) : [])])
    await run.play(50, () => ['stun'])
    await run.play(VIEWER.frozenPathMs - 500, nothing)
    expect(run.verdicts).toEqual([]) // its cadence is unknown: a STUN answer may be 5 s away
    await run.play(VIEWER.graceMs + 1000, nothing)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.stalls).toEqual([])
  })

  it('ICE failed: a failed verdict at the next check, whatever the statistics say', async () => {
    const run = watch(VIEWER)
    await run.play(1000, flowing)
    run.peer.iceConnectionState = 'failed'
    run.watch.check()
    expect(run.verdicts.map((v) => v.reason)).toEqual(['failed'])
  })
})

describe('LivenessWatch: a broadcaster', () => {
  /** Sending media; the node's receiver reports every 500 ms; STUN answers every 2.5 s. */
  const healthy = (t: number): Arrival[] => [
    'send',
    ...(every(t, 500) ? (['rr'] as const) : []),
    ...(every(t, 2500) ? (['stun'] as const) : []),
  ]

  it('keeps a connection while the node sends receiver reports', async () => {
    const run = watch(BROADCASTER)
    await run.play(20_000, healthy)
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('receiver reports stop while STUN answers go on (a node whose media path froze): dead', async () => {
    const run = watch(BROADCASTER)
    await run.play(3000, healthy)
    await run.play(5000, (t) => ['send', ...(every(t, 250) ? (['stun'] as const) : [])])
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.verdicts[0]?.detail).toContain('no receiver report')
    expect(run.stalls).toEqual([])
  })

  it('a node that reports only every 3 s: its own cadence sets the allowance (no reconnect between reports), silence past 1.5 times it is a death', async () => {
    const run = watch(BROADCASTER)
    // Other feedback and STUN arrive every second; only the reports count once their cadence is known.
    const rare = (t: number): Arrival[] => [
      'send',
      ...(every(t, 3000) ? (['rr'] as const) : []),
      ...(every(t, 1000, 500) ? (['stun'] as const) : []),
    ]
    await run.play(30_050, rare) // the last report at 30 s
    expect(run.verdicts).toEqual([])
    await run.play(4000, (t) => (every(t, 1000, 500) ? ['send', 'stun'] : ['send'])) // within 1.5 x 3 s
    expect(run.verdicts).toEqual([])
    await run.play(2000, (t) => (every(t, 1000, 500) ? ['send', 'stun'] : ['send']))
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
  })

  it('a node that never sent a receiver report: anything arriving keeps it (the fallback)', async () => {
    const run = watch(BROADCASTER)
    await run.play(20_000, (t) => ['send', ...(every(t, 1000) ? (['sr'] as const) : [])])
    expect(run.verdicts).toEqual([])
    await run.play(5000, () => ['send'])
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
  })
})

describe('LivenessWatch: a broadcaster with the defaults, on a node that sends transport-wide feedback', () => {
  const { inactivityMs, graceMs } = LIVENESS_DEFAULTS.publish
  /** Sending; the node's transport-wide feedback every 100 ms, a receiver report every second, STUN every 2.5 s. */
  const twcc = (t: number): Arrival[] => [
    'send',
    ...(every(t, 100) ? (['fb'] as const) : []),
    ...(every(t, 1000) ? (['rr'] as const) : []),
    ...(every(t, 2500) ? (['stun'] as const) : []),
  ]
  /** The node is gone: the broadcaster keeps sending, nothing comes back. */
  const dead = (): Arrival[] => ['send']

  it('notices the node dying in about a second: all feedback stops for inactivityMs + graceMs', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(5000, twcc)
    expect(run.verdicts).toEqual([])
    // The last feedback is read at 5000 (the reading of the step at 4950 + 50); silence is noticed at
    // the first reading 750 ms after it, and the grace runs out 250 ms later.
    await run.play(inactivityMs + graceMs - 50, dead)
    expect(run.verdicts).toEqual([])
    await run.play(100, dead)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.verdicts[0]?.detail).toContain('no RTCP feedback')
  })

  it('notices it as soon even when the broadcaster stops sending once feedback stops (congestion control holding its video)', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(5050, twcc) // the last receiver report at 5000, read with the last feedback at 5250
    await run.play(300, dead) // sends a little more after the last feedback...
    await run.play(inactivityMs + graceMs - 200, () => []) // ...then nothing at all
    expect(run.verdicts).toEqual([]) // 900 ms after the last feedback was read
    await run.play(150, () => []) // 1000 ms after it: inactivityMs, then the grace
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
  })

  it('while its feedback is steady, a late receiver report is no death (the node is plainly there)', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(8000, twcc) // receiver reports every second: 1.5 s allowed by their own rule
    await run.play(3000, (t) => ['send', ...(every(t, 100) ? (['fb'] as const) : [])]) // none for 3 s
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('feedback that pauses and comes back is not steady any more: a burst, then receiver reports alone, keep their own rule', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    const reports = (t: number): Arrival[] => ['send', ...(every(t, 500) ? (['rr'] as const) : [])]
    // 2 s with feedback in every reading (say, PLIs for viewers joining), receiver reports every 500 ms
    await run.play(2000, (t) => [...reports(t), ...(every(t, 100) ? (['fb'] as const) : [])])
    await run.play(2000, reports) // the burst is over: a reading without, then a report
    // the report due at 4000 comes at 4800: 1.3 s after the last, within the receiver-report rule's 1.5 s
    await run.play(1000, (t) => (t === 4800 ? ['send', 'rr'] : ['send']))
    await run.play(2000, reports)
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('stays alive through 20 s of steady feedback', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(20_000, twcc)
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('a broadcaster that stops sending gets no feedback, and that is no death (receiver reports go on)', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(5000, twcc)
    await run.play(10_000, (t) => (every(t, 1000) ? ['rr'] : []))
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })

  it('a node sending only receiver reports, 500 ms apart, is never steady: it keeps the receiver-report floor', async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(5000, (t) => ['send', ...(every(t, 500) ? (['rr'] as const) : [])])
    // The last report is read at 4750; 1.5 s of silence is allowed before the grace begins.
    await run.play(REPORT_FLOOR_MS - 50, dead)
    expect(run.verdicts).toEqual([])
    await run.play(graceMs + 250, dead)
    expect(run.verdicts.map((v) => v.reason)).toEqual(['lost'])
    expect(run.verdicts[0]?.detail).toContain('no receiver report')
  })

  it("before its feedback is known, a broadcaster gets the receiver-report floor, not the viewer's 0.75 s", async () => {
    const run = watch(LIVENESS_DEFAULTS.publish)
    await run.play(250, (t) => ['send', ...(t === 0 ? (['stun'] as const) : [])])
    await run.play(REPORT_FLOOR_MS - 250, dead) // the first receiver report is often 1-1.5 s away
    expect(run.verdicts).toEqual([])
    await run.play(100, (t) => ['send', ...(every(t, 100) ? (['rr'] as const) : [])])
    await run.play(3000, twcc)
    expect(run.verdicts).toEqual([])
    run.watch.stop()
  })
})

describe('LivenessWatch: one timer for every watch of a page', () => {
  it('watches on one clock share one timer and one getStats() sweep per interval; none left after stop', async () => {
    const clock = new ManualClock()
    const peers = [0, 1, 2, 3, 4].map(() => new TapePeer(clock))
    const watches = peers.map(
      (peer) => new LivenessWatch(peer, { clock, ...VIEWER }, () => undefined, quiet, 'shared'),
    )
    watches.forEach((w) => w.start())
    expect(clock.pending()).toBe(1)
    for (let tick = 0; tick < 4; tick++) {
      peers.forEach((peer) => peer.arrive(['rtp']))
      await clock.advance(VIEWER.intervalMs)
    }
    expect(peers.map((p) => p.reads)).toEqual([4, 4, 4, 4, 4])
    expect(clock.pending()).toBe(1)
    watches.forEach((w) => w.stop())
    expect(clock.pending()).toBe(0)
  })

  it('sharedTimer: false gives each watch its own timer (the benchmark baseline)', () => {
    const clock = new ManualClock()
    const watches = [0, 1, 2].map(
      () =>
        new LivenessWatch(
          new TapePeer(clock),
          { clock, ...VIEWER, sharedTimer: false },
          () => undefined,
          quiet,
          'own',
        ),
    )
    watches.forEach((w) => w.start())
    expect(clock.pending()).toBe(3)
    watches.forEach((w) => w.stop())
    expect(clock.pending()).toBe(0)
  })
})

describe('LivenessWatch: a hung getStats()', () => {
  it('holds up no other watch of the sweep, and is not read again while it hangs', async () => {
    const clock = new ManualClock()
    const hung = new TapePeer(clock)
    hung.getStats = () => {
      hung.reads += 1
      return new Promise(() => undefined)
    }
    const healthy = new TapePeer(clock)
    const verdicts: string[] = []
    const watches = [hung, healthy].map(
      (peer, i) =>
        new LivenessWatch(peer, { clock, ...VIEWER }, (v) => verdicts.push(`${i} ${v.reason}`), quiet, 'w'),
    )
    watches.forEach((w) => w.start())
    for (let t = 0; t < 2000; t += 250) {
      healthy.arrive(['rtp'])
      await clock.advance(250)
    }
    expect(healthy.reads).toBe(8)
    expect(hung.reads).toBe(1)
    await clock.advance(VIEWER.inactivityMs + VIEWER.graceMs + VIEWER.intervalMs) // the healthy one goes silent
    expect(verdicts).toEqual(['1 lost'])
    watches.forEach((w) => w.stop())
  })
})

/**
 * Statistics recorded every 250 ms from a werift viewer and broadcaster (whipDriver) on the werift media
 * node: media flowing 3 s, the broadcaster's source frozen 6 s (no RTP, connection kept), flowing 3 s,
 * then the node killed 4 s. Fields the watch does not read were dropped.
 */
interface Tick {
  readonly phase: string
  readonly viewer: object[]
  readonly broadcaster: object[]
}

describe('LivenessWatch on a recorded werift tape', () => {
  const ticks = (tape as { ticks: Tick[] }).ticks

  async function replay(side: 'viewer' | 'broadcaster', timings: Omit<LivenessSettings, 'clock'>) {
    const clock = new ManualClock()
    const start = clock.now()
    const at = (): Tick => ticks[Math.min(ticks.length - 1, Math.floor((clock.now() - start) / 250))]!
    const peer = {
      connectionState: 'connected',
      iceConnectionState: 'connected',
      getStats: () => Promise.resolve(at()[side]),
    }
    const seen: string[] = []
    const watch = new LivenessWatch(
      peer,
      { clock, ...timings },
      (verdict) => seen.push(`${at().phase}: ${verdict.reason}`),
      quiet,
      side,
      { onStall: (stalled) => seen.push(`${at().phase}: ${stalled ? 'stalled' : 'resumed'}`) },
    )
    watch.start()
    await clock.advance(ticks.length * 250)
    watch.stop()
    return seen
  }

  it('viewer: the frozen source is a stall (resumed with media), the killed node a death', async () => {
    expect(await replay('viewer', VIEWER)).toEqual(['frozen: stalled', 'flowing: resumed', 'killed: lost'])
  })

  it('broadcaster: alive through the frozen source (receiver reports go on), dead once the node is killed', async () => {
    expect(await replay('broadcaster', BROADCASTER)).toEqual(['killed: lost'])
  })
})
