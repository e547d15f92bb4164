/**
 * Where a production death's seconds go, per session: reads a SCALE_TRACE file (bench/scale/fleet.ts:
 * every client's log lines, `<ISO time> <level> <publish|subscribe> <stream> #<n>: <message>`) and splits
 * each session's way back into phases, from the client's own log lines:
 * - `noticed`: its liveness watch's first "nothing received for N ms" (a viewer) or "no RTCP feedback from
 *   the node for N ms" (a broadcaster);
 * - `lost`: the session leaves `live` (`live -> reconnecting`, or `live -> migrating` when the client has
 *   already failed over and moves it);
 * - `asked`: its first Stream Manager request after that; `assigned`: the node it was given;
 * - `posted`: the WHIP/WHEP resource created; `gathered`: its end-of-candidates sent;
 * - `flowing`: media flowing again.
 * The death's moment is not in the trace: it is taken as the earliest "last packet" any watch reports
 * (its line's time minus the N ms of silence it names), which is when the node's media stopped.
 *
 * `npx tsx bench/scale/phases.ts [broadcasters=20] [ours|bbm]` runs one `death` scenario with a trace and
 * prints the table; `npx tsx bench/scale/phases.ts --trace FILE` reads a trace already written.
 * Written here: it reads our own log lines, which no library knows.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { percentile } from '../stats'

/** The moments of one session's way back, in ms since the epoch (a phase not seen is absent). */
export type Moments = Partial<
  Record<'noticed' | 'lost' | 'asked' | 'assigned' | 'posted' | 'gathered' | 'flowing', number>
>

/** One session of the trace. */
export interface SessionTrace {
  readonly kind: 'publish' | 'subscribe'
  /** `<stream> #<n>`. */
  readonly who: string
  readonly at: Moments
}

/** The sessions of a trace, and the death's moment (ms since the epoch; NaN when no watch noticed). */
export interface Trace {
  readonly deathAt: number
  readonly sessions: readonly SessionTrace[]
}

const LINE = /^(\S+) \w+ (publish|subscribe) (\S+ #\d+): (.*)$/
const SILENT = /(?:nothing received|no RTCP feedback from the node) for (\d+) ms$/

/** Splits a SCALE_TRACE file's lines into sessions and their moments. */
export function readTrace(lines: Iterable<string>): Trace {
  const sessions = new Map<string, { kind: 'publish' | 'subscribe'; who: string; at: Moments }>()
  let deathAt = Number.NaN
  for (const line of lines) {
    const match = LINE.exec(line)
    if (!match) {
      continue
    }
    const [, time, kind, who, message] = match as unknown as [
      string,
      string,
      'publish' | 'subscribe',
      string,
      string,
    ]
    const t = Date.parse(time)
    const key = `${kind} ${who}`
    const session = sessions.get(key) ?? { kind, who, at: {} }
    sessions.set(key, session)
    const at = session.at
    const first = (phase: keyof Moments, after?: keyof Moments): void => {
      if (at[phase] === undefined && (after === undefined || at[after] !== undefined)) {
        at[phase] = t
      }
    }
    const silent = SILENT.exec(message)
    if (silent && at.noticed === undefined) {
      at.noticed = t
      deathAt = Number.isNaN(deathAt) ? t - Number(silent[1]) : Math.min(deathAt, t - Number(silent[1]))
    }
    if (/: live -> (reconnecting|migrating)\b/.test(message)) {
      first('lost')
    }
    if (/ GET http\S+ \((publish|subscribe) /.test(message)) {
      first('asked', 'lost')
    }
    if (/ on "[^"]+" -> \S+ \((origin|edge)\)$/.test(message)) {
      first('assigned', 'asked')
    }
    if (/: resource http/.test(message)) {
      first('posted', 'lost')
    }
    if (/end-of-candidates$/.test(message)) {
      first('gathered', 'posted')
    }
    if (/: media flowing \(/.test(message)) {
      first('flowing', 'posted')
    }
  }
  return { deathAt, sessions: [...sessions.values()] }
}

/** The phases a table shows, each from one moment to the next. */
export const PHASES: readonly {
  readonly name: string
  readonly from: keyof Moments | 'death'
  readonly to: keyof Moments
}[] = [
  { name: 'death to noticed', from: 'death', to: 'noticed' },
  { name: 'noticed to session given up', from: 'noticed', to: 'lost' },
  { name: 'given up to the first request', from: 'lost', to: 'asked' },
  { name: 'Stream Manager assignment', from: 'asked', to: 'assigned' },
  { name: 'offer and WHIP/WHEP POST', from: 'assigned', to: 'posted' },
  { name: 'ICE gathering (end-of-candidates)', from: 'posted', to: 'gathered' },
  { name: 'ICE and DTLS to media', from: 'gathered', to: 'flowing' },
  { name: 'death to media again', from: 'death', to: 'flowing' },
]

/** Per phase and kind of session: how many sessions showed it, its p50 and max (ms). */
export interface PhaseRow {
  readonly name: string
  readonly kind: 'publish' | 'subscribe'
  readonly sessions: number
  readonly p50: number
  readonly max: number
}

/** The phases of every session of `kind` that came back (media flowing again after it was lost). */
export function phaseRows(trace: Trace, kind: 'publish' | 'subscribe'): PhaseRow[] {
  const back = trace.sessions.filter(
    (s) => s.kind === kind && s.at.lost !== undefined && s.at.flowing !== undefined,
  )
  return PHASES.map(({ name, from, to }) => {
    const spans = back
      .map((s) => (s.at[to] ?? Number.NaN) - (from === 'death' ? trace.deathAt : (s.at[from] ?? Number.NaN)))
      .filter((ms) => Number.isFinite(ms))
    return {
      name,
      kind,
      sessions: spans.length,
      p50: percentile(spans, 50),
      max: spans.length > 0 ? Math.max(...spans) : Number.NaN,
    }
  })
}

/** A markdown table of both kinds' phases. */
export function phaseTable(trace: Trace): string {
  const rows = (['publish', 'subscribe'] as const).flatMap((kind) => phaseRows(trace, kind))
  return [
    '| session | phase | sessions | p50, ms | max, ms |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.kind === 'publish' ? 'broadcaster' : 'viewer'} | ${r.name} | ${r.sessions} | ${Number.isFinite(r.p50) ? Math.round(r.p50) : 'n/a'} | ${Number.isFinite(r.max) ? Math.round(r.max) : 'n/a'} |`,
    ),
  ].join('\n')
}

/** The table of the trace written at `path`. */
function tableOfFile(path: string): string {
  return phaseTable(readTrace(readFileSync(path, 'utf8').split('\n')))
}

async function main(args: readonly string[]): Promise<void> {
  if (args[0] === '--trace' && args[1]) {
    process.stdout.write(`${tableOfFile(args[1])}\n`)
    return
  }
  const broadcasters = Number(args[0] ?? 20)
  const strategy = args[1] === 'bbm' ? 'bbm' : 'ours'
  const dir = mkdtempSync(join(tmpdir(), 'scale-phases-'))
  const path = join(dir, 'trace.log')
  // fleet.ts reads SCALE_TRACE when each client is made: set before the scenario starts.
  process.env.SCALE_TRACE = path
  const { run } = await import('./scenarios')
  const result = await run('death', strategy, broadcasters)
  const gaps = [...result.longestGaps].sort((a, b) => a - b)
  process.stdout.write(
    `death, ${strategy}, ${broadcasters} broadcasters and ${result.viewers} viewers: longest gap per viewer p50 ${Math.round(percentile(gaps, 50))} ms, max ${Math.round(gaps.at(-1) ?? Number.NaN)} ms; clients' process ${Math.round(result.load.clients.cpu * 100)} % of a core, loop max ${Math.round(result.load.clients.delayMaxMs)} ms\n\n`,
  )
  // Let the trace's stream finish writing before it is read.
  await new Promise((resolve) => setTimeout(resolve, 500))
  process.stdout.write(`${tableOfFile(path)}\n`)
  if (!process.env.KEEP_TRACE) {
    rmSync(dir, { recursive: true, force: true })
  } else {
    process.stdout.write(`trace kept: ${path}\n`)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2))
  process.exit(0)
}
