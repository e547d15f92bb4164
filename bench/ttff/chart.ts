/**
 * The time-to-first-frame chart (bench/ttff-chart.svg): one row per variant, every run as a dot, the
 * spread (min to max) as a line, the middle half (25th to 75th percentile) as a box and the median as a
 * bar with its value. Plain SVG written by hand: a dozen shapes per row do not need a charting library.
 */
import { percentile } from '../stats'

/** One row of the chart. */
export interface ChartRow {
  /** The variant's label (left column). */
  readonly label: string
  /** Its group, drawn as a heading above its first row (e.g. the Stream Manager generation). */
  readonly group: string
  /** Time to first frame of each run, in ms. */
  readonly values: readonly number[]
  /** Ours (blue) or the baseline (grey). */
  readonly ours: boolean
}

const ROW = 30
const HEADING = 26
const LEFT = 330
const WIDTH = 960
const PLOT = WIDTH - LEFT - 60

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The chart as an SVG document. */
export function ttffChart(title: string, subtitle: string, rows: readonly ChartRow[]): string {
  const max = Math.max(...rows.flatMap((r) => r.values), 1)
  const step = max > 2000 ? 500 : max > 800 ? 200 : 100
  const top = Math.ceil(max / step) * step
  const x = (ms: number): number => LEFT + (ms / top) * PLOT
  const parts: string[] = []
  let y = 64
  let group = ''
  const rowYs: number[] = []
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group
      y += HEADING
      parts.push(`<text x="12" y="${y - 8}" font-weight="bold" font-size="13">${escape(group)}</text>`)
    }
    rowYs.push(y)
    y += ROW
  }
  const bottom = y + 6
  for (let ms = 0; ms <= top; ms += step) {
    parts.push(
      `<line x1="${x(ms)}" y1="70" x2="${x(ms)}" y2="${bottom}" stroke="#e4e4e4"/>`,
      `<text x="${x(ms)}" y="${bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${ms}</text>`,
    )
  }
  rows.forEach((row, i) => {
    const cy = rowYs[i]! + ROW / 2
    const colour = row.ours ? '#1f6fd1' : '#7a7a7a'
    const low = Math.min(...row.values)
    const high = Math.max(...row.values)
    const q1 = percentile(row.values, 25)
    const q3 = percentile(row.values, 75)
    const median = percentile(row.values, 50)
    parts.push(
      `<text x="12" y="${cy + 4}" font-size="12">${escape(row.label)}</text>`,
      `<line x1="${x(low)}" y1="${cy}" x2="${x(high)}" y2="${cy}" stroke="${colour}" stroke-width="1.5"/>`,
      `<rect x="${x(q1)}" y="${cy - 8}" width="${Math.max(1, x(q3) - x(q1))}" height="16" fill="${colour}" fill-opacity="0.25" stroke="${colour}"/>`,
      ...row.values.map(
        (v) => `<circle cx="${x(v).toFixed(1)}" cy="${cy}" r="2.5" fill="${colour}" fill-opacity="0.7"/>`,
      ),
      `<line x1="${x(median)}" y1="${cy - 11}" x2="${x(median)}" y2="${cy + 11}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${x(high) + 8}" y="${cy + 4}" font-size="11" fill="${colour}">${Math.round(median)} ms</text>`,
    )
  })
  const height = bottom + 40
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escape(title)}</text>`,
    `<text x="12" y="44" font-size="12" fill="#444">${escape(subtitle)}</text>`,
    ...parts,
    `<text x="${LEFT + PLOT / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12">ms from the click on "play" to the first frame the &lt;video&gt; presented (line: min-max, box: 25-75 %, bar: median, dots: runs)</text>`,
    '</svg>',
    '',
  ].join('\n')
}
