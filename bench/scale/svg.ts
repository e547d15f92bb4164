/**
 * The scale benchmark's timeline (bench/scale-timeline.svg): one panel per run, viewers live on each
 * environment and viewers without video (RTP) over wall-clock seconds from the event, operator actions
 * as markers. Styled as bench/swap/svg.ts, whose axis labels say "simulated" (these are real seconds).
 */
import type { RunResult } from './scenarios'

const WIDTH = 960
const PANEL = 190
const M = { left: 60, right: 170, top: 34, bottom: 34 }
const COLORS = { green: '#2e9e4f', blue: '#2f6fdb', gap: '#c0392b' } as const

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function renderScaleTimeline(title: string, runs: readonly RunResult[]): string {
  const plotW = WIDTH - M.left - M.right
  const plotH = PANEL - M.top - M.bottom
  const height = runs.length * PANEL + 30
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ]
  runs.forEach((run, index) => {
    const top = 30 + index * PANEL + M.top
    const bottom = top + plotH
    const span = Math.max(1, ...run.points.map((p) => p.t))
    const x = (t: number): number => M.left + (t / span) * plotW
    const y = (n: number): number => bottom - (n / Math.max(1, run.viewers)) * plotH
    parts.push(
      `<text x="${M.left}" y="${top - 10}" font-size="12" font-weight="bold">${escape(`${run.scenario}: ${run.strategy} (${run.broadcasters} broadcasters, ${run.viewers} viewers)`)}</text>`,
      `<line x1="${M.left}" y1="${top}" x2="${M.left}" y2="${bottom}" stroke="#333"/>`,
      `<line x1="${M.left}" y1="${bottom}" x2="${M.left + plotW}" y2="${bottom}" stroke="#333"/>`,
      `<text x="${M.left - 6}" y="${top + 4}" text-anchor="end">${run.viewers}</text>`,
      `<text x="${M.left - 6}" y="${bottom + 4}" text-anchor="end">0</text>`,
    )
    const step = span > 40 ? 10 : 5
    for (let t = 0; t <= span; t += step) {
      parts.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${t} s</text>`)
    }
    for (const marker of run.markers) {
      const mx = x(marker.at).toFixed(1)
      parts.push(
        `<line x1="${mx}" y1="${top}" x2="${mx}" y2="${bottom}" stroke="#777" stroke-dasharray="4,3"/>`,
        `<text x="${(x(marker.at) + 3).toFixed(1)}" y="${top + 10}" fill="#555">${escape(marker.label)}</text>`,
      )
    }
    for (const key of ['green', 'blue', 'inGap'] as const) {
      const path = run.points
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`)
        .join(' ')
      const color = key === 'inGap' ? COLORS.gap : COLORS[key]
      parts.push(
        `<path d="${path}" fill="none" stroke="${color}" stroke-width="${key === 'inGap' ? 1.5 : 2}"/>`,
      )
    }
    const lx = M.left + plotW + 12
    const legend: [string, string][] = [
      [COLORS.green, 'viewers live on green'],
      [COLORS.blue, 'viewers live on blue'],
      [COLORS.gap, 'viewers without video ≥ 250 ms'],
    ]
    legend.forEach(([color, label], i) => {
      parts.push(
        `<line x1="${lx}" y1="${top + 8 + i * 18}" x2="${lx + 18}" y2="${top + 8 + i * 18}" stroke="${color}" stroke-width="3"/>`,
        `<text x="${lx + 22}" y="${top + 12 + i * 18}">${escape(label)}</text>`,
      )
    })
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
