/**
 * Do two `npm run bench` runs agree? Compares the headline figures of two bench/results.json files
 * (e.g. a copy of the first run's and the second run's) and prints, per figure, both values and their
 * difference relative to the first, flagging every numeric figure that moved more than 10 %.
 *
 *   cp bench/results.json /tmp/run1.json && npm run bench && npx tsx bench/compare.ts /tmp/run1.json bench/results.json
 *
 * A partial second run (`BENCH_RESULTS=/tmp/run2.json npm run bench -- swap discovery`) compares the
 * sections it measured. Exits 1 when a figure moved more than the tolerance (`--tolerance 0.1` by default), so it can gate a
 * report. Figures that are labels (engine versions, verdicts) are compared for equality only; spreads
 * (`...SpreadPct`, a row's own noise over its repetitions) are not compared. Extremes and spreads of a
 * sample (a name with `Worst`, `Max`, `P95`, `Spread` or `PeakPerS`: the worst of 5 runs, the longest
 * gap of 200 viewers, an event loop's maximum, a min-max width, the busiest second of a 10-minute storm)
 * are listed apart and do not gate: they describe how a kept figure varies, and an extreme of a sample
 * moves with the one value that set it. A figure a section did not keep (bench/stats.ts `keepRow`) is
 * not in its figures; the section's `notKept` label names it. A row is claimed only when both runs keep
 * it: one kept by a single run is listed apart ("rows not kept by both runs") and does not gate. A target's
 * verdict (`met`, `NOT met`) is a row too, and must be the same in both runs; `not judged` in either
 * run (its spread exceeded its margin) lists it apart. Other labels are shown when they differ.
 */
import { readFileSync } from 'node:fs'

import { VERDICTS, type Verdict } from './stats'

interface Results {
  results: { title: string; figures: Record<string, number | string> }[]
}

const args = process.argv.slice(2)
const toleranceAt = args.indexOf('--tolerance')
const tolerance = toleranceAt >= 0 ? Number(args.splice(toleranceAt, 2)[1]) : 0.1
const [first, second] = args
if (first === undefined || second === undefined || !(tolerance >= 0)) {
  process.stderr.write('usage: npx tsx bench/compare.ts FIRST.json SECOND.json [--tolerance 0.1]\n')
  process.exit(2)
}

const read = (path: string): Results => JSON.parse(readFileSync(path, 'utf8')) as Results
const a = read(first)
const b = read(second)

const rows: string[] = []
/** Extremes and spreads of a sample (see the header): shown, not gating. */
const extremes: string[] = []
const isExtreme = (name: string): boolean => /(Worst|Max|P95|Spread|PeakPerS)/.test(name)
/** Rows one run kept and the other did not (bench/stats.ts `keepRow`): not claimed, not gating. */
const keptOnce: string[] = []
/** A target's verdict (bench/stats.ts `verdictOn`). */
const isVerdict = (value: unknown): value is Verdict => VERDICTS.includes(value as Verdict)
/** Names a section's `notKept` label lists. */
const notKeptIn = (figures: Record<string, number | string>): Set<string> =>
  new Set(
    String(figures.notKept ?? '')
      .split(', ')
      .filter((n) => n !== ''),
  )
/** Sections the second run did not measure (a partial run: `npm run bench -- swap ...`). */
const skipped: string[] = []
let moved = 0
let compared = 0
for (const section of a.results) {
  const other = b.results.find((r) => r.title === section.title)
  if (!other) {
    skipped.push(section.title)
    continue
  }
  // Both runs' names: a figure measured in one run only is a row that did not repeat, unless the other
  // run measured it and did not keep it (a row is claimed only when both runs keep it).
  const names = [...new Set([...Object.keys(section.figures), ...Object.keys(other.figures)])]
  const notKeptA = notKeptIn(section.figures)
  const notKeptB = notKeptIn(other.figures)
  for (const name of names) {
    if (name === 'notKept') {
      continue
    }
    const value = section.figures[name]
    if (notKeptA.has(name) || notKeptB.has(name)) {
      keptOnce.push(
        `| ${section.title} | ${name} | ${notKeptA.has(name) ? 'not kept' : String(value)} | ${notKeptB.has(name) ? 'not kept' : String(other.figures[name])} |`,
      )
      continue
    }
    // A row's spread over its repetitions is that row's own noise, reported beside it, not a row: it is
    // not compared (a 4 % spread becoming 6 % is "+50 %").
    if (/SpreadPct$/.test(name)) {
      continue
    }
    const next = other.figures[name]
    if (typeof value === 'number' && typeof next === 'number') {
      const diff = value === 0 ? (next === 0 ? 0 : Infinity) : (next - value) / Math.abs(value)
      const row = `| ${section.title} | ${name} | ${value} | ${next} | ${Number.isFinite(diff) ? `${(diff * 100).toFixed(1)} %` : 'n/a'} |`
      if (isExtreme(name)) {
        extremes.push(row)
        continue
      }
      compared += 1
      const ok = Math.abs(diff) <= tolerance
      moved += ok ? 0 : 1
      rows.push(`${row} ${ok ? 'yes' : '**no**'} |`)
    } else if (typeof value === 'number' || typeof next === 'number') {
      // Kept (or measured) in one run only.
      if (isExtreme(name)) {
        continue
      }
      compared += 1
      moved += 1
      rows.push(
        `| ${section.title} | ${name} | ${String(value ?? 'not kept')} | ${String(next ?? 'not kept')} | | **no** |`,
      )
    } else if (isVerdict(value) && isVerdict(next)) {
      // A target's verdict is a row: the same verdict in both runs, unless one run could not judge it.
      if (value === 'not judged' || next === 'not judged') {
        keptOnce.push(`| ${section.title} | ${name} | ${value} | ${next} |`)
        continue
      }
      compared += 1
      moved += value === next ? 0 : 1
      rows.push(
        `| ${section.title} | ${name} | ${value} | ${next} | | ${value === next ? 'yes' : '**no**'} |`,
      )
    } else if (value !== next) {
      rows.push(`| ${section.title} | ${name} | ${String(value)} | ${String(next)} | | label |`)
    }
  }
}

process.stdout.write(
  [
    `| section | figure | first run | second run | change | within ${(tolerance * 100).toFixed(0)} % |`,
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `${compared - moved} of ${compared} rows kept by both runs agree: figures within ${(tolerance * 100).toFixed(0)} %, target verdicts the same.`,
    ...(extremes.length > 0
      ? [
          '',
          `Extremes and spreads of a sample (not gating; ${extremes.length}):`,
          '',
          '| section | figure | first run | second run | change |',
          '| --- | --- | ---: | ---: | ---: |',
          ...extremes,
        ]
      : []),
    ...(keptOnce.length > 0
      ? [
          '',
          `Rows not kept by both runs (not claimed: a row is kept when both runs keep it; ${keptOnce.length}):`,
          '',
          '| section | figure | first run | second run |',
          '| --- | --- | ---: | ---: |',
          ...keptOnce,
        ]
      : []),
    ...(skipped.length > 0 ? ['', `Not in the second run: ${skipped.join('; ')}.`] : []),
    '',
  ].join('\n'),
)
process.exit(moved === 0 ? 0 : 1)
