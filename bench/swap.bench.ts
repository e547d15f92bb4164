/**
 * A blue-green swap with 5,000 live sessions, over real loopback HTTP, on a simulated clock, against the
 * DNS-style behaviour it replaces (issue 5's proof).
 *
 * Set-up (both strategies): a discovery server and two Stream Managers (green speaks 1.x, blue 2.0) on
 * 127.0.0.1, the FakeDriver carrying media (a Stream Manager finds a stream while a publish of it is open
 * on its environment), 500 publishers (one per stream, one client each) and 4,500 subscribers (9 per
 * stream, in 45 clients of 100), the clients started spread over one ttl so their revalidations are
 * spread as they would be in the field. Every timer runs on one ManualClock; the clock moves from timer
 * to timer and waits, before each step, until the clients' HTTP work is done (`bench/swap/quiet.ts`): a
 * 60 s drain takes seconds of wall time while every Stream Manager and discovery request is a real
 * loopback request.
 *
 * - red5pro-bluegreen: `createClient()` with `driver` and `clock` injected; the manifest flips production
 *   to blue with green draining for 60 s (ttl 15 s).
 * - The same with the viewers' `migration.leadMs` set to one ttl (what the first run suggests).
 * - DNS baseline (bench/swap/dns.ts): each client's cached answer expires at a moment spread uniformly over
 *   a 300 s DNS TTL after the flip; live sessions never move; green is torn down at the deadline and its
 *   sessions reconnect from scratch.
 *
 * Probes: after the flip, a new publish starts every simulated 100 ms on the next client (round robin) and
 * is closed once live; where it lands says when NEW sessions have all moved. Probe requests are left out
 * of the request-rate figures.
 *
 * Writes bench/swap-timeline.svg (sessions per environment over simulated time, both strategies).
 * Run alone: npx tsx bench/run.ts swap (add --expose-gc through `node --expose-gc --import tsx` for the
 * memory figure; `npm run bench` does).
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { createClient, type BlueGreenClient } from '../src'
import type { Session } from '../src/session/Session'
import { FakeDriver, ManualClock } from '../src/testing'
import type { SessionKind } from '../src/types'
import { startManifestServer, type ManifestServer } from '../test/helpers/manifestServer'
import { manifest, promoted } from '../test/helpers/manifests'
import { startStreamManagerServer, type StreamManagerServer } from '../test/helpers/streamManagerServer'
import { fmt } from './stats'
import { DnsWorld, type DnsSession } from './swap/dns'
import { quietNetwork, type QuietNetwork } from './swap/quiet'
import { StreamIndexDriver } from './swap/streams'
import { renderTimeline, type TimelinePoint } from './swap/svg'
import type { BenchResult } from './types'

const STREAMS = 500
const VIEWERS_PER_STREAM = 9
/** One client per broadcaster (a studio page publishes one stream); viewers in clients of 100 sessions. */
const VIEWERS_PER_CLIENT = 100
const VIEWER_CLIENTS = (STREAMS * VIEWERS_PER_STREAM) / VIEWERS_PER_CLIENT
const CLIENTS = STREAMS + VIEWER_CLIENTS
const SESSIONS = STREAMS * (1 + VIEWERS_PER_STREAM)
const TTL_S = 15
const DRAIN_MS = 60_000
const DNS_TTL_MS = 300_000
/** Clients start spread over one ttl, so their revalidations are spread as in the field. */
const CLIENTS_OVER_MS = TTL_S * 1000
const SESSIONS_AT = 16_000
const FLIP_AT = 30_000
const PROBE_EVERY_MS = 100
const SAMPLE_EVERY_MS = 1_000
const START = Date.parse('2026-11-26T10:00:00Z')

/** mulberry32: the same spreads and jitter on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

/**
 * The sessions of the run: publisher of stream s in client s (0-499), then 4,500 subscribers, 100 per
 * client (clients 500-544), the 9 viewers of a stream in 9 different clients.
 */
function layout(): { client: number; kind: SessionKind; streamName: string }[] {
  const plan: { client: number; kind: SessionKind; streamName: string }[] = []
  for (let s = 0; s < STREAMS; s += 1) {
    plan.push({ client: s, kind: 'publish', streamName: `stage-${s}` })
  }
  for (let j = 0; j < STREAMS * VIEWERS_PER_STREAM; j += 1) {
    plan.push({
      client: STREAMS + Math.floor(j / VIEWERS_PER_CLIENT),
      kind: 'subscribe',
      streamName: `stage-${j % STREAMS}`,
    })
  }
  return plan
}

/** When each client starts (ms after the start): broadcasters and viewer clients each spread over a ttl. */
function clientStarts(): { client: number; at: number }[] {
  const starts: { client: number; at: number }[] = []
  for (let s = 0; s < STREAMS; s += 1) {
    starts.push({ client: s, at: Math.round((s / STREAMS) * CLIENTS_OVER_MS) })
  }
  for (let v = 0; v < VIEWER_CLIENTS; v += 1) {
    starts.push({ client: STREAMS + v, at: Math.round(((v + 0.5) / VIEWER_CLIENTS) * CLIENTS_OVER_MS) })
  }
  return starts.sort((a, b) => a.at - b.at || a.client - b.client)
}

/** Starts every session of `plan` (publishers first: a subscriber needs its stream), 100 at a time. */
async function startAll<T>(
  plan: readonly { client: number; kind: SessionKind; streamName: string }[],
  start: (entry: { client: number; kind: SessionKind; streamName: string }) => Promise<T>,
): Promise<T[]> {
  const started: T[] = []
  for (const kind of ['publish', 'subscribe'] as const) {
    const mine = plan.filter((entry) => entry.kind === kind)
    for (let i = 0; i < mine.length; i += 100) {
      started.push(...(await Promise.all(mine.slice(i, i + 100).map(start))))
    }
  }
  return started
}

/** Clock, servers, media and the network watcher of one simulation. */
interface World {
  readonly clock: ManualClock
  readonly driver: StreamIndexDriver
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly network: QuietNetwork
  /** Simulated times of non-probe Stream Manager requests, by environment. */
  readonly stamps: { green: number[]; blue: number[] }
  /** Simulated times of non-probe `404` answers of the blue Stream Manager (stream not there yet). */
  readonly notFound: number[]
  /** Runs simulated time up to `at` (epoch ms), timer to timer; stops early when `stop()` says so. */
  runUntil(at: number, stop?: () => boolean): Promise<void>
  /** Calls `fn` every `everyMs` of simulated time from now until `until`. */
  every(everyMs: number, until: number, fn: () => void): void
  close(): Promise<void>
}

async function world(discoveryUrl?: () => string): Promise<World> {
  const clock = new ManualClock(START)
  const driver = new StreamIndexDriver(new FakeDriver({ clock }))
  const green = await startStreamManagerServer({ api: 'sm1' })
  const blue = await startStreamManagerServer({ api: 'sm2' })
  driver.serve(green, 'green')
  driver.serve(blue, 'blue')
  const notFound: number[] = []
  const network = quietNetwork({
    attempts: (url) => (discoveryUrl && url.startsWith(discoveryUrl()) ? 2 : 3),
    onResponse: (url, status) => {
      if (status === 404 && url.startsWith(blue.url) && !url.includes('probe-')) {
        notFound.push(clock.now())
      }
    },
  })
  const stamps = { green: [] as number[], blue: [] as number[] }
  const stamp = (): void => {
    for (const [name, sm] of [
      ['green', green],
      ['blue', blue],
    ] as const) {
      for (const request of sm.requests) {
        if (!request.path.includes('probe-')) {
          stamps[name].push(clock.now())
        }
      }
      sm.requests.length = 0 // keep the logs from growing (and from weighing on the heap figures)
    }
  }
  return {
    clock,
    driver,
    green,
    blue,
    network,
    stamps,
    notFound,
    async runUntil(at, stop) {
      await network.idle()
      stamp()
      while (clock.now() < at && !stop?.()) {
        const next = Math.min(clock.nextAt() ?? at, at)
        await clock.advance(Math.max(0, next - clock.now()))
        await network.idle()
        stamp()
      }
    },
    every(everyMs, until, fn) {
      const tick = (): void => {
        fn()
        if (clock.now() + everyMs <= until) {
          clock.setTimeout(tick, everyMs)
        }
      }
      clock.setTimeout(tick, 0)
    },
    async close() {
      await Promise.all([green.close(), blue.close()])
    },
  }
}

interface Probe {
  readonly at: number
  environment: string | undefined
}

/** When probes started landing on `environment` for good (ms from the flip), or NaN if they never did. */
function landedForGood(probes: readonly Probe[], environment: string, flipAt: number): number {
  let last = -1
  probes.forEach((probe, index) => {
    if (probe.environment !== environment) {
      last = index
    }
  })
  const first = probes[last + 1]
  return first ? first.at - flipAt : Number.NaN
}

interface Rate {
  peak: number
  /** Which second (from the window's start) had the peak. */
  peakSecond: number
  mean: number
  ratio: number
  total: number
}

/** Requests per simulated second over [from, to): peak, mean and their ratio. */
function rate(stamps: readonly number[], from: number, to: number): Rate {
  const buckets = new Array<number>(Math.max(1, Math.ceil((to - from) / 1000))).fill(0)
  let total = 0
  for (const at of stamps) {
    if (at >= from && at < to) {
      buckets[Math.floor((at - from) / 1000)]! += 1
      total += 1
    }
  }
  const mean = total / buckets.length
  const peak = Math.max(...buckets)
  return {
    peak,
    peakSecond: buckets.indexOf(peak),
    mean,
    ratio: mean === 0 ? Number.NaN : peak / mean,
    total,
  }
}

interface Outcome {
  readonly label: string
  readonly newSessionsMs: number
  /** When the last client started selecting blue (ms from the flip). */
  readonly lastClientMs: number
  readonly movedBeforeDeadline: number
  readonly lost: number
  readonly allOnNewMs: number
  readonly blueRate: Rate
  readonly allRate: Rate
  readonly rateWindow: string
  readonly timeline: TimelinePoint[]
  readonly probes: number
  readonly wallSeconds: number
  readonly extra: Record<string, number>
}

// ---------------------------------------------------------------------------------------------------
// red5pro-bluegreen

/** @param viewerLeadMs - `migration.leadMs` of the viewers' clients (the library default when undefined). */
async function runClient(label: string, viewerLeadMs?: number): Promise<Outcome> {
  const wallStart = performance.now()
  const base = manifest({ ttl: TTL_S })
  const discovery: ManifestServer = await startManifestServer(base)
  const w = await world(() => discovery.url)
  const document = manifest({
    ttl: TTL_S,
    environments: {
      green: { streamManager: w.green.url, api: 'sm1', state: 'serving' },
      blue: { streamManager: w.blue.url, api: 'sm2', state: 'serving' },
    },
  })
  discovery.set(document)
  const clients: BlueGreenClient[] = []
  const sawFlipAt: number[] = []
  try {
    const heapStart = heapUsed()
    for (const { client: i, at } of clientStarts()) {
      await w.runUntil(START + at)
      const channel = w.network.channel()
      const client = createClient({
        discovery: discovery.url,
        driver: w.driver,
        clock: w.clock,
        random: seeded(1_000 + i),
        fetch: channel.fetch,
        ...(viewerLeadMs !== undefined && i >= STREAMS ? { migration: { leadMs: viewerLeadMs } } : {}),
      })
      channel.watch(client)
      clients[i] = client
      client.on('manifest', ({ revision }) => {
        if (revision === 2) {
          sawFlipAt[i] = w.clock.now()
        }
      })
      await client.ready()
    }
    await w.runUntil(START + SESSIONS_AT)
    const heapClients = heapUsed()

    // 5,000 sessions, publishers first (a subscriber needs its stream).
    const sessions: Session[] = []
    const movedAt = new Map<Session, number>()
    const lost = new Set<Session>()
    let interrupted = 0
    const started = await startAll<Session>(layout(), ({ client, kind, streamName }) =>
      kind === 'publish'
        ? clients[client]!.publish({ streamName })
        : clients[client]!.subscribe({ streamName }),
    )
    for (const session of started) {
      session.on('migrated', ({ interruptionMs }) => {
        movedAt.set(session, w.clock.now())
        if (interruptionMs > 0) {
          interrupted += 1
        }
      })
      session.on('reconnecting', () => lost.add(session))
      session.on('failed', () => lost.add(session))
      sessions.push(session)
    }
    const heapSessions = heapUsed()
    await w.runUntil(START + FLIP_AT - 10_000)

    const timeline: TimelinePoint[] = []
    const flipAt = START + FLIP_AT
    const deadline = flipAt + DRAIN_MS
    const end = deadline + 15_000
    w.every(SAMPLE_EVERY_MS, end, () => {
      let green = 0
      let blue = 0
      for (const session of sessions) {
        if (session.state === 'live' || session.state === 'migrating') {
          if (session.environment === 'green') {
            green += 1
          } else if (session.environment === 'blue') {
            blue += 1
          }
        }
      }
      timeline.push({ t: (w.clock.now() - flipAt) / 1000, green, blue })
    })
    await w.runUntil(flipAt)

    // The flip.
    discovery.set(promoted(document, 'blue', new Date(deadline).toISOString()))
    const probes: Probe[] = []
    let probeCount = 0
    w.every(PROBE_EVERY_MS, flipAt + 2 * TTL_S * 1000, () => {
      const probe: Probe = { at: w.clock.now(), environment: undefined }
      probes.push(probe)
      const client = clients[probeCount % CLIENTS]!
      probeCount += 1
      client.publish({ streamName: `probe-${probeCount}` }).then(
        (session) => {
          probe.environment = session.environment
          return session.close()
        },
        () => undefined,
      )
    })
    await w.runUntil(end)

    const onBlue = sessions.filter((s) => s.state === 'live' && s.environment === 'blue')
    const movedInTime = onBlue.filter((s) => (movedAt.get(s) ?? Infinity) < deadline).length
    const lastMove = Math.max(...[...movedAt.values()])
    return {
      label,
      newSessionsMs: landedForGood(probes, 'blue', flipAt),
      lastClientMs:
        sawFlipAt.filter((at) => at !== undefined).length === CLIENTS
          ? Math.max(...sawFlipAt) - flipAt
          : Number.NaN,
      movedBeforeDeadline: movedInTime / SESSIONS,
      lost: lost.size + interrupted,
      allOnNewMs: onBlue.length === SESSIONS ? lastMove - flipAt : Number.NaN,
      blueRate: rate(w.stamps.blue, flipAt, deadline),
      allRate: rate([...w.stamps.green, ...w.stamps.blue], flipAt, deadline),
      rateWindow: 'flip to deadline (60 s)',
      timeline,
      probes: probes.length,
      wallSeconds: (performance.now() - wallStart) / 1000,
      extra: {
        heapPerSessionBytes: (heapSessions - heapClients) / SESSIONS,
        heapPerClientBytes: (heapClients - heapStart) / CLIENTS,
        discoveryRequests: discovery.requests.length,
        notFound: rate(w.notFound, flipAt, deadline).total,
        notFoundFirstTtl: rate(w.notFound, flipAt, flipAt + TTL_S * 1000).total,
        blueFirstTtl: rate(w.stamps.blue, flipAt, flipAt + TTL_S * 1000).total,
        httpRequests: w.network.requests,
        gc: (globalThis as { gc?: unknown }).gc === undefined ? 0 : 1,
      },
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()))
    await discovery.close()
    await w.close()
  }
}

// ---------------------------------------------------------------------------------------------------
// DNS baseline

async function runDns(): Promise<Outcome> {
  const wallStart = performance.now()
  const w = await world()
  const channel = w.network.channel()
  const dns = new DnsWorld({
    clock: w.clock,
    random: seeded(42),
    driver: w.driver,
    fetch: channel.fetch,
    from: { name: 'green', api: 'sm1', streamManager: w.green.url },
    to: { name: 'blue', api: 'sm2', streamManager: w.blue.url },
    clients: CLIENTS,
    dnsTtlMs: DNS_TTL_MS,
  })
  try {
    await w.runUntil(START + SESSIONS_AT)
    await startAll(layout(), ({ client, kind, streamName }) => dns.add(client, kind, streamName))
    const flipAt = START + FLIP_AT
    const deadline = flipAt + DRAIN_MS
    const horizon = flipAt + DNS_TTL_MS + 120_000
    const timeline: TimelinePoint[] = []
    await w.runUntil(flipAt - 10_000)
    w.every(SAMPLE_EVERY_MS, horizon, () => {
      let green = 0
      let blue = 0
      for (const session of dns.sessions) {
        if (session.environment === 'green') {
          green += 1
        } else if (session.environment === 'blue') {
          blue += 1
        }
      }
      timeline.push({ t: (w.clock.now() - flipAt) / 1000, green, blue })
    })
    await w.runUntil(flipAt)

    dns.flip()
    const lastExpiry = dns.lastExpiry!
    const probes: Probe[] = []
    let probeCount = 0
    w.every(PROBE_EVERY_MS, Math.ceil((lastExpiry + 2_000 - flipAt) / 100) * 100 + flipAt, () => {
      const probe: Probe = { at: w.clock.now(), environment: undefined }
      probes.push(probe)
      probeCount += 1
      void dns.start(probeCount % CLIENTS, 'publish', `probe-${probeCount}`).then((session) => {
        probe.environment = session?.environment
        return session?.connection?.close()
      })
    })
    let onBlueAtDeadline = 0
    await w.runUntil(deadline)
    onBlueAtDeadline = dns.sessions.filter((s) => s.environment === 'blue').length
    w.green.fail({ kind: 'reset' })
    dns.tearDown()
    const allBack = (): boolean => dns.sessions.every((s: DnsSession) => s.environment === 'blue')
    await w.runUntil(horizon, () => allBack() && w.clock.now() > lastExpiry + 2_000)
    const backAt = Math.max(...dns.sessions.map((s) => s.backAt ?? Infinity))
    const recoveredBy = allBack() ? backAt : w.clock.now()
    return {
      label: 'DNS baseline',
      newSessionsMs: landedForGood(probes, 'blue', flipAt),
      lastClientMs: lastExpiry - flipAt,
      movedBeforeDeadline: onBlueAtDeadline / SESSIONS,
      lost: dns.sessions.filter((s) => s.drops > 0).length,
      allOnNewMs: allBack() ? backAt - flipAt : Number.NaN,
      blueRate: rate(w.stamps.blue, flipAt, recoveredBy),
      allRate: rate([...w.stamps.green, ...w.stamps.blue], flipAt, recoveredBy),
      rateWindow: `flip to the last session back (${fmt((recoveredBy - flipAt) / 1000, 0)} s)`,
      timeline,
      probes: probes.length,
      wallSeconds: (performance.now() - wallStart) / 1000,
      extra: {
        lastDnsExpiryMs: lastExpiry - flipAt,
        httpRequests: w.network.requests,
      },
    }
  } finally {
    await dns.close()
    await w.close()
  }
}

// ---------------------------------------------------------------------------------------------------

function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${fmt(ms / 1000, 1)} s` : 'never'
}

function percent(share: number): string {
  return `${fmt(share * 100, 1)} %`
}

function rateCell(r: Rate): string {
  return `${fmt(r.ratio, 3)} (peak ${r.peak}/s in second ${r.peakSecond}, mean ${fmt(r.mean, 1)}/s)`
}

export default async function swapBench(): Promise<BenchResult> {
  const ours = await runClient('red5pro-bluegreen')
  const tuned = await runClient('red5pro-bluegreen, viewers leadMs = ttl', TTL_S * 1000)
  const dns = await runDns()

  const svgPath = fileURLToPath(new URL('./swap-timeline.svg', import.meta.url))
  const dnsEnd = Math.ceil((dns.allOnNewMs || DNS_TTL_MS) / 1000 / 30) * 30 + 30
  writeFileSync(
    svgPath,
    renderTimeline({
      title: `Blue-green swap of ${SESSIONS.toLocaleString('en-US')} live sessions (simulated time; real loopback HTTP)`,
      from: -10,
      to: Math.max(120, dnsEnd),
      maxSessions: SESSIONS,
      panels: [
        {
          title: `red5pro-bluegreen: manifest flip, green draining ${DRAIN_MS / 1000} s (ttl ${TTL_S} s)`,
          points: ours.timeline,
          markers: [
            { at: 0, label: 'flip' },
            { at: DRAIN_MS / 1000, label: 'deadline' },
          ],
        },
        {
          title: `DNS baseline: cached answers expire over ${DNS_TTL_MS / 1000} s; green torn down at the deadline`,
          points: dns.timeline,
          markers: [
            { at: 0, label: 'flip' },
            { at: DRAIN_MS / 1000, label: 'teardown' },
            { at: Math.round(dns.extra['lastDnsExpiryMs']! / 1000), label: 'last DNS expiry' },
          ],
        },
      ],
    }),
  )

  const outcomes = [ours, tuned, dns] as const
  const row = (metric: string, target: string, cell: (o: Outcome) => string): string =>
    `| ${[metric, target, ...outcomes.map(cell)].join(' | ')} |`
  const memory = (o: Outcome): string => {
    const bytes = o.extra['heapPerSessionBytes']
    if (bytes === undefined) {
      return 'n/a'
    }
    return `${fmt(bytes / 1024, 1)} KiB${o.extra['gc'] ? '' : ' (no `--expose-gc`: approximate)'}`
  }
  const rows = [
    row(
      'time from the flip until every new session lands on blue (probe every 100 ms)',
      `<= ttl + 1 s = ${TTL_S + 1} s`,
      (o) => seconds(o.newSessionsMs),
    ),
    row(
      'time from the flip until the last client selects blue (accepts the revision / its DNS cache expires)',
      `<= ttl = ${TTL_S} s`,
      (o) => seconds(o.lastClientMs),
    ),
    row('live sessions moved to blue before the deadline', '100 %', (o) => percent(o.movedBeforeDeadline)),
    row('sessions lost (dropped, reconnected from scratch, or moved with a gap)', '0', (o) => String(o.lost)),
    row('time from the flip until every session runs on blue', `<= deadline (${DRAIN_MS / 1000} s)`, (o) =>
      seconds(o.allOnNewMs),
    ),
    row('blue Stream Manager requests per simulated second, peak / mean', '<= 2', (o) =>
      rateCell(o.blueRate),
    ),
    row('both Stream Managers, peak / mean', '', (o) => rateCell(o.allRate)),
    row('`404` answers (viewer moved before its broadcaster)', '', (o) =>
      String(o.extra['notFound'] ?? 'n/a'),
    ),
    row('memory per session (heap delta / sessions)', '', memory),
  ]
  const markdown = [
    `${SESSIONS.toLocaleString('en-US')} live sessions (${STREAMS} publishers, one client each; ${STREAMS * VIEWERS_PER_STREAM} subscribers, ` +
      `${VIEWERS_PER_STREAM} per stream, in ${VIEWER_CLIENTS} clients of ${VIEWERS_PER_CLIENT}), clients started spread over one ttl; ` +
      `production flips from green (Stream Manager 1.x) to blue (2.0) with a ${DRAIN_MS / 1000} s drain, manifest ttl ${TTL_S} s. ` +
      `Real loopback HTTP for discovery and every Stream Manager call, FakeDriver media, one simulated clock ` +
      `(wall time: ${outcomes.map((o) => `${o.label} ${fmt(o.wallSeconds, 1)} s`).join(', ')}).`,
    '',
    `| | target | ${outcomes.map((o) => o.label).join(' | ')} |`,
    `| --- | --- | ${outcomes.map(() => '---').join(' | ')} |`,
    ...rows,
    '',
    `- Request rates leave out the probes; windows: ours ${ours.rateWindow}, baseline ${dns.rateWindow}.`,
    `- "${tuned.label}": the same run with the viewers' clients created with \`migration: { leadMs: ${TTL_S * 1000} }\` ` +
      '(one ttl): viewers start moving only once every broadcaster has had the time to learn of the revision and move, ' +
      'so no viewer asks for a stream that is not there yet.',
    `- Probes: ${ours.probes} (ours, for ${2 * TTL_S} s), ${dns.probes} (baseline, until 2 s after the last DNS expiry at ` +
      `${seconds(dns.extra['lastDnsExpiryMs']!)}). A probe is a new publish on the next client, round robin.`,
    `- Ours, where the peak comes from: ${ours.blueRate.total} blue Stream Manager requests in the drain, ` +
      `${ours.extra['blueFirstTtl']} of them in the first ttl (${fmt(ours.extra['blueFirstTtl']! / TTL_S, 0)}/s), when all ${STREAMS} ` +
      `publishers move and ${ours.extra['notFoundFirstTtl']} of the ${ours.extra['notFound']} \`404\` answers come: ` +
      'viewers whose moment came before their broadcaster had moved, each retrying at a fresh random moment of the rest of its window, never sooner than the reconnect backoff (DESIGN 5.3).',
    `- Ours: ${ours.extra['discoveryRequests']} discovery requests (mostly 304), ${ours.extra['httpRequests']} HTTP requests in all; ` +
      `${fmt(ours.extra['heapPerClientBytes']! / 1024, 0)} KiB per client before its sessions. ` +
      'Memory per session includes the FakeDriver records (a real driver holds an RTCPeerConnection instead).',
    `- Baseline: ${dns.extra['httpRequests']} HTTP requests; a retry while the cached answer still points at the torn-down ` +
      'green fails at once without a request (connection refused).',
    `- Why ${CLIENTS} clients: a broadcaster is one page publishing one stream, and publishers move the moment ` +
      'their client sees the revision, so 100 publishers in one client would all move in the same millisecond, a ' +
      'burst no real deployment makes. Viewers share clients of 100 (like 45 busy watch-party pages): one client per ' +
      'viewer would add about 300 discovery requests per simulated second (real HTTP on a shared 2-core machine) ' +
      'without changing what a session does; each viewer still draws its own moment in the window.',
    '',
    '![sessions per environment over time](swap-timeline.svg)',
  ].join('\n')
  return {
    title: 'Swap: 5,000 sessions through a promotion, against DNS',
    markdown,
    figures: {
      sessions: SESSIONS,
      newSessionsOnBlueMs: ours.newSessionsMs,
      movedBeforeDeadlinePct: ours.movedBeforeDeadline * 100,
      lostSessions: ours.lost,
      allOnBlueMs: ours.allOnNewMs,
      blueSmPeakOverMean: ours.blueRate.ratio,
      heapPerSessionBytes: Math.round(ours.extra['heapPerSessionBytes']!),
      tunedBlueSmPeakOverMean: tuned.blueRate.ratio,
      tunedNotFound: tuned.extra['notFound']!,
      dnsNewSessionsOnBlueMs: dns.newSessionsMs,
      dnsMovedBeforeDeadlinePct: dns.movedBeforeDeadline * 100,
      dnsLostSessions: dns.lost,
      dnsAllOnBlueMs: dns.allOnNewMs,
      dnsBlueSmPeakOverMean: dns.blueRate.ratio,
    },
  }
}
