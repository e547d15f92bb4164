/**
 * Issue 14's real-media swap at scale: werift broadcasters and viewers in Node (the package's real
 * `createClient` with `whipDriver` on werift peers) against the emulator's werift media nodes, the
 * emulator in its own process (bench/scale/emulatorChild.ts) so each side has one of the two cores.
 *
 * 1. Where the machine saturates (bench/scale/steps.ts): 5/50, 10/100, 20/200 broadcasters/viewers.
 * 2. The largest step that fits runs three scenarios (bench/scale/scenarios.ts): a promotion, a rollback
 *    in the middle of the drain, a production death with the `failover` role set; each with ours
 *    (make-before-break, spread), break-before-make (`migration.makeBeforeBreak: false`) and a DNS-style
 *    client (bench/scale/dns.ts), one after the other in the same process.
 *
 * Per viewer: the longest gap between video RTP packets (werift does not decode video: RTP, not frames),
 * viewers without video for more than 1 s; per broadcaster: seconds its stream was on both nodes
 * (publishing twice: extra upload). Writes bench/scale-timeline.svg.
 * Run alone (it saturates both cores; no browser, but take the lock):
 * `flock /tmp/browser.lock npm run bench -- scale`. Knobs: SCALE_SIZES (comma-separated broadcaster
 * counts of the saturation steps, default 5,10,20); SCALE_BROADCASTERS fixes the scenarios' size (and the
 * steps stop there); SCALE_REPEATS repeats the promotion (ours and break-before-make) to show the spread;
 * SCALE_TRACE=path writes every client's log lines (per-session timelines); `npx tsx bench/scale/phases.ts`
 * runs one production death with a trace and splits each session's way back into phases.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { fmt, KeptFigures, percentile } from './stats'
import type { ProcessLoad } from './scale/protocol'
import type { Strategy } from './scale/fleet'
import { RULES, run, type RunResult, type Scenario } from './scale/scenarios'
import { MachineMeter } from './scale/load'
import { RECORDED_GAP_MS } from './scale/media'
import { steps, type StepResult } from './scale/steps'
import { renderScaleTimeline } from './scale/svg'
import type { BenchResult } from './types'

/** SCALE_SIZES, else 5/50, 10/100, 20/200. */
const SIZES = (process.env.SCALE_SIZES ?? '5,10,20')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
/** A step fits when no process is above this share of its core, */
const MAX_CPU = 0.9
/** nor the two processes together above this share of the machine's cores, */
const MAX_MACHINE_CPU = 0.85
const CORES = new MachineMeter().cores
/** nor an event loop late by more than this at p99 (ms), */
const MAX_DELAY_MS = 100
/** nor viewers missing more than this share of the frames sent to them (those without video included). */
const MAX_LOSS = 0.01

const PLAN: readonly [Scenario, Strategy][] = [
  ['promotion', 'ours'],
  ['promotion', 'bbm'],
  ['promotion', 'dns'],
  ['rollback', 'ours'],
  ['rollback', 'bbm'],
  ['death', 'ours'],
  ['death', 'bbm'],
  ['death', 'dns'],
]

const NAMES: Record<Strategy, string> = {
  ours: 'red5pro-bluegreen (make-before-break, spread)',
  bbm: 'break-before-make',
  dns: `DNS client (TTL ${RULES.dnsTtlS} s)`,
}

/** Why a step does not fit (empty: it fits). */
function overLimits(step: StepResult): string[] {
  const over: string[] = []
  if (Math.max(step.clients.cpu, step.cluster.cpu) >= MAX_CPU) {
    over.push('a process at its core')
  }
  if ((step.clients.cpu + step.cluster.cpu) / CORES >= MAX_MACHINE_CPU) {
    over.push('the cores full')
  }
  if (Math.max(step.clients.delayP99Ms, step.cluster.delayP99Ms) >= MAX_DELAY_MS) {
    over.push('event loop late')
  }
  if (step.lossMean >= MAX_LOSS || 1 - step.framesDelivered / step.framesSent >= MAX_LOSS) {
    over.push('frames lost')
  }
  return over
}

function fits(step: StepResult): boolean {
  return overLimits(step).length === 0
}

const pct = (share: number): string => `${fmt(share * 100, 1)} %`
const sec = (ms: number): string => fmt(ms / 1000, 2)
/** A longest gap in seconds; one at the recording floor is only known to be under it. */
const gapSec = (ms: number): string => (ms <= RECORDED_GAP_MS ? `< ${sec(RECORDED_GAP_MS)}` : sec(ms))

function stepRow(step: StepResult): string {
  const over = overLimits(step)
  return `| ${step.broadcasters}/${step.viewers} | ${pct(step.clients.cpu)} | ${fmt(step.clients.delayP99Ms, 0)} / ${fmt(step.clients.delayMaxMs, 0)} | ${pct(step.cluster.cpu)} | ${fmt(step.cluster.delayP99Ms, 0)} / ${fmt(step.cluster.delayMaxMs, 0)} | ${pct(step.machineCpu)} | ${step.withMedia} | ${step.framesDelivered} of ${step.framesSent} | ${pct(step.lossMean)} / ${pct(step.lossMax)} | ${fmt(step.delayP50, 0)} / ${fmt(step.delayP99, 0)} | ${fmt(step.startSeconds, 1)} | ${over.length === 0 ? 'yes' : `**no** (${over.join(', ')})`} |`
}

const loadText = (load: ProcessLoad): string =>
  `${pct(load.cpu)}, loop ${fmt(load.delayP99Ms, 0)} / ${fmt(load.delayMaxMs, 0)} ms`

function summary(result: RunResult) {
  const gaps = result.longestGaps
  const twice = result.doubleSeconds
  return {
    p50: percentile(gaps, 50),
    p95: percentile(gaps, 95),
    max: Math.max(...gaps),
    over1s: gaps.filter((gap) => gap > 1000).length,
    publishingTwice: twice.filter((s) => s > 0).length,
    twiceMean: twice.reduce((a, b) => a + b, 0) / Math.max(1, twice.length),
    twiceMax: Math.max(0, ...twice),
    uplink: twice.reduce((a, b) => a + b, 0),
  }
}

function runRow(result: RunResult): string {
  const s = summary(result)
  const moved = result.allMovedS === undefined ? 'never' : `${fmt(result.allMovedS, 1)} s`
  const { load } = result
  return `| ${NAMES[result.strategy]} | ${gapSec(s.p50)} / ${gapSec(s.p95)} / **${gapSec(s.max)}** | ${s.over1s} of ${result.withMedia}${result.withMedia < result.viewers ? ` (${result.viewers - result.withMedia} never had video)` : ''} | ${s.publishingTwice} of ${result.broadcasters} | ${fmt(s.twiceMean, 1)} / ${fmt(s.twiceMax, 1)} | ${fmt(s.uplink, 0)} | ${moved} | ${loadText(load.clients)} | ${loadText(load.cluster)} | ${pct(load.machine)} |`
}

const SCENARIO_TEXT: Record<Scenario, string> = {
  promotion: `Promotion: blue promoted with a ${RULES.drainS} s drain; green torn down (killed) at its deadline. DNS: record flipped, green torn down after TTL + drain (${RULES.dnsTtlS + RULES.drainS} s).`,
  rollback: `Rollback in the middle of a drain: blue promoted (drain ${RULES.drainS} s), rolled back after ${RULES.rollbackAfterS} s, blue torn down at its own deadline. No DNS row: a DNS user's live session never moves before a teardown, so a DNS rollback before it leaves live viewers alone (by the model's rule, not measured).`,
  death: `Production death: green killed (sockets reset, node gone) with the manifest's \`failover\` role naming blue; no operator. DNS: the operator flips the record the moment green dies (the most favourable case).`,
}

export default async function scaleBench(): Promise<BenchResult> {
  const fixed = Number(process.env.SCALE_BROADCASTERS ?? '')
  // With a fixed size the steps stop there (and include it): no step beyond what the scenarios use.
  const sizes = fixed > 0 ? [...new Set([...SIZES.filter((n) => n < fixed), fixed])] : SIZES
  const stepResults = await steps(sizes)
  const fitting = stepResults.filter(fits).map((step) => step.broadcasters)
  const size = fixed > 0 ? fixed : Math.max(sizes[0]!, ...fitting)
  const repeats = Math.max(1, Number(process.env.SCALE_REPEATS ?? '1'))
  const results: RunResult[] = []
  for (const [scenario, strategy] of PLAN) {
    const times = scenario === 'promotion' && strategy !== 'dns' ? repeats : 1
    for (let i = 0; i < times; i += 1) {
      results.push(await run(scenario, strategy, size))
      process.stdout.write(`scale: ${scenario} ${strategy} done\n`)
    }
  }
  const svgPath = fileURLToPath(new URL('./scale-timeline.svg', import.meta.url))
  const firsts = results.filter(
    (r, i) => results.findIndex((o) => o.scenario === r.scenario && o.strategy === r.strategy) === i,
  )
  writeFileSync(
    svgPath,
    renderScaleTimeline(
      `Real-media swaps at scale (werift in Node, ${size} broadcasters, ${size * RULES.viewersPerStream} viewers)`,
      firsts,
    ),
  )

  const figures: Record<string, number | string> = {
    broadcasters: size,
    viewers: size * RULES.viewersPerStream,
  }
  const kept = new KeptFigures()
  for (const step of stepResults) {
    kept.add(`step${step.broadcasters}.clientsCpu`, step.windows.clients, { digits: 3 })
    kept.add(`step${step.broadcasters}.clusterCpu`, step.windows.cluster, { digits: 3 })
    kept.add(`step${step.broadcasters}.machineCpu`, step.windows.machine, { digits: 3 })
    figures[`step${step.broadcasters}.lossMean`] = Number(step.lossMean.toFixed(4))
    figures[`step${step.broadcasters}.delivered`] = Number(
      (step.framesDelivered / step.framesSent).toFixed(4),
    )
  }
  for (const result of firsts) {
    const s = summary(result)
    const key = `${result.scenario}.${result.strategy}`
    figures[`${key}.gapMaxMs`] = Math.round(s.max)
    figures[`${key}.gapP95Ms`] = Math.round(s.p95)
    figures[`${key}.over1s`] = s.over1s
    // Whole broadcaster-seconds, as the table shows it: the nodes are sampled every 50 ms, so a tenth
    // of a second is two samples of one broadcaster, not an uplink cost.
    figures[`${key}.uplinkExtraS`] = Math.round(s.uplink)
    figures[`${key}.clientsLoopMaxMs`] = Math.round(result.load.clients.delayMaxMs)
    // One run per scenario: one sample, no spread, so by the report's rule not a kept row (shown in the table).
    kept.add(`${key}.machineCpu`, [result.load.machine], { digits: 3 })
  }
  Object.assign(figures, kept.figures, { notKept: kept.notKept })

  const header =
    '| strategy | longest gap per viewer, s: p50 / p95 / **max** | viewers without video > 1 s | broadcasters publishing twice | publishing twice, s per broadcaster: mean / max | extra upload, broadcaster-seconds | all viewers on the target | clients CPU, loop p99 / max | emulator CPU, loop p99 / max | machine CPU |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  const scenarios = (['promotion', 'rollback', 'death'] as const).map((scenario) =>
    [
      `**${SCENARIO_TEXT[scenario]}**`,
      '',
      header,
      ...results.filter((r) => r.scenario === scenario).map(runRow),
    ].join('\n'),
  )
  const saturated = stepResults.filter((step) => !fits(step)).map((s) => `${s.broadcasters}/${s.viewers}`)
  const markdown = [
    `Real WebRTC sessions: werift broadcasters and viewers in Node, each user its own \`createClient\` with \`whipDriver\` on werift peers, against the emulator's werift media nodes (real HTTP, ICE, DTLS, SRTP on loopback); the emulator runs in its own process, so clients and nodes each have one of the two cores. Every broadcaster sends 30 numbered VP8-like RTP frames a second plus 50 audio packets; ${RULES.viewersPerStream} viewers per broadcaster, each a separate client. werift does not decode video: every gap is between **RTP packets**, not decoded frames, timed when the packet reaches the clients' event loop (a loop held up X ms can add up to X ms to a gap: the loop's max is in each table). Every werift peer, clients' and nodes', asks a STUN server on 127.0.0.1: werift asks one on every gathering (stun.l.google.com by default) and ICE waits for it up to 5 s, and on this machine that name's lookup hangs now and then, which held moves and reconnects 5-11 s in earlier runs of this section.`,
    '',
    `**Where the machine saturates** (each step held 6 s, steady, after its start-up, measured in 5 windows of 1.2 s: a CPU share is their mean here, and their median with its spread in the figures; process CPU as a share of one core; machine CPU, from /proc/stat, is every process on this shared machine, other tenants included, as a share of all ${CORES} cores, shown for context; a step fits below ${pct(MAX_CPU)} CPU in each process, ${pct(MAX_MACHINE_CPU)} of the ${CORES} cores for the two together, event-loop p99 below ${MAX_DELAY_MS} ms and ${pct(MAX_LOSS)} of the frames their broadcasters sent the viewers lost, viewers without video included). A steady step is not a swap: the scenario tables give the load from the event to the end of each run, when moves and reconnects add ICE and DTLS handshakes:`,
    '',
    '| broadcasters/viewers | clients CPU | clients loop p99 / max, ms | emulator CPU | emulator loop p99 / max, ms | machine CPU | viewers with video after start-up | frames received of sent | frames lost mean / worst viewer | delay p50 / p99, ms | start-up, s | fits |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...stepResults.map(stepRow),
    '',
    saturated.length === 0
      ? `Every step fits; the scenarios run at ${size}/${size * RULES.viewersPerStream}.`
      : `Saturated at ${saturated.join(', ')}; the scenarios run at ${size}/${size * RULES.viewersPerStream}${fixed > 0 ? ' (fixed by SCALE_BROADCASTERS)' : ', the largest step that fits'}.`,
    '',
    ...scenarios.flatMap((text) => [text, '']),
    ...kept.lines(3),
    '',
    `Sessions that ended \`failed\` (start-up included), by code, per run: ${results.map((r) => `${r.scenario}/${r.strategy} ${JSON.stringify(r.failures)}`).join('; ')}. A \`TIMEOUT\` is a session whose media never flowed within whipDriver's 15 s connect timeout; with make-before-break such a failed move keeps the old connection (no gap), without it the viewer sits in the gap until the timeout and the retry.`,
    '',
    `Rules of the simulation (figures they set are not measurements): manifest ttl ${RULES.manifestTtlS} s, drain ${RULES.drainS} s, rollback after ${RULES.rollbackAfterS} s, DNS TTL ${RULES.dnsTtlS} s, teardowns at the times above, measured until ${RULES.afterS} s after the teardown (death: ${RULES.afterS * 3} s, DNS ${RULES.dnsTtlS + RULES.afterS} s). "All viewers on the target" for ours is bounded by the spread rule (moves between the lead of 2 s and the deadline minus the 5 s margin); a broadcaster publishing twice for ours keeps its old publish for the viewers still on the old node until the subscriber window has passed plus one ttl plus 5 s, or the drain deadline, whichever comes first (docs/swaps.md): its length is set by that rule, the extra upload it costs is the figure to weigh. Double publishing is sampled on the nodes every 50 ms. Gaps are measured from the event (promotion, death) to the end of the run; gaps under ${RECORDED_GAP_MS} ms are not recorded (video comes every 33 ms), so a viewer whose longest gap is under that shows "< ${sec(RECORDED_GAP_MS)}" (its figure: ${RECORDED_GAP_MS}); the timeline marks a viewer "without video" after ${RULES.gapShownMs} ms.`,
    '',
    `Timeline (viewers per environment and viewers without video, wall-clock seconds): [bench/scale-timeline.svg](scale-timeline.svg).`,
  ].join('\n')
  return { title: 'Real-media swaps at scale (werift, issue 14)', markdown, figures }
}
