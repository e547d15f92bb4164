/** A hand-written SVG chart: sessions per environment over simulated time, one panel per strategy. */

export interface TimelinePoint {
  /** Seconds from the flip. */
  readonly t: number
  readonly green: number
  readonly blue: number
}

export interface TimelinePanel {
  readonly title: string
  readonly points: readonly TimelinePoint[]
  /** Vertical markers (seconds from the flip). */
  readonly markers: readonly { readonly at: number; readonly label: string }[]
}

export interface TimelineChart {
  readonly title: string
  readonly panels: readonly TimelinePanel[]
  /** X range in seconds from the flip. */
  readonly from: number
  readonly to: number
  /** Y range top (sessions). */
  readonly maxSessions: number
}

const WIDTH = 960
const PANEL_HEIGHT = 260
const MARGIN = { left: 70, right: 130, top: 40, bottom: 50 }
const COLORS = { green: '#2e9e4f', blue: '#2f6fdb' } as const

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks
  const power = 10 ** Math.floor(Math.log10(raw))
  const unit = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10
  return unit * power
}

/** Renders the chart as a standalone SVG document. */
export function renderTimeline(chart: TimelineChart): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const height = chart.panels.length * PANEL_HEIGHT + 30
  const x = (t: number): number => MARGIN.left + ((t - chart.from) / (chart.to - chart.from)) * plotWidth
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ]
  const xStep = niceStep(chart.to - chart.from, 10)
  const yStep = niceStep(chart.maxSessions, 5)
  chart.panels.forEach((panel, index) => {
    const top = 30 + index * PANEL_HEIGHT + MARGIN.top
    const bottom = top + plotHeight
    const y = (sessions: number): number => bottom - (sessions / chart.maxSessions) * plotHeight
    parts.push(
      `<text x="${MARGIN.left}" y="${top - 12}" font-size="13" font-weight="bold">${escape(panel.title)}</text>`,
    )
    // Grid and axes.
    for (let v = 0; v <= chart.maxSessions + 1e-9; v += yStep) {
      parts.push(
        `<line x1="${MARGIN.left}" y1="${y(v).toFixed(1)}" x2="${MARGIN.left + plotWidth}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
        `<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
      )
    }
    for (let t = Math.ceil(chart.from / xStep) * xStep; t <= chart.to + 1e-9; t += xStep) {
      parts.push(
        `<line x1="${x(t).toFixed(1)}" y1="${bottom}" x2="${x(t).toFixed(1)}" y2="${bottom + 4}" stroke="#333"/>`,
        `<text x="${x(t).toFixed(1)}" y="${bottom + 17}" text-anchor="middle">${t}</text>`,
      )
    }
    parts.push(
      `<line x1="${MARGIN.left}" y1="${top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#333"/>`,
      `<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotWidth}" y2="${bottom}" stroke="#333"/>`,
      `<text x="${MARGIN.left + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle">simulated seconds from the flip</text>`,
      `<text x="18" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(top + bottom) / 2})">live sessions</text>`,
    )
    // Markers.
    for (const marker of panel.markers) {
      const mx = x(marker.at).toFixed(1)
      parts.push(
        `<line x1="${mx}" y1="${top}" x2="${mx}" y2="${bottom}" stroke="#c0392b" stroke-dasharray="5,4"/>`,
        `<text x="${(x(marker.at) + 4).toFixed(1)}" y="${top + 14}" fill="#c0392b">${escape(marker.label)}</text>`,
      )
    }
    // Lines.
    const visible = panel.points.filter((p) => p.t >= chart.from && p.t <= chart.to)
    for (const env of ['green', 'blue'] as const) {
      const path = visible
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p[env]).toFixed(1)}`)
        .join(' ')
      parts.push(`<path d="${path}" fill="none" stroke="${COLORS[env]}" stroke-width="2"/>`)
    }
    // Legend.
    const lx = MARGIN.left + plotWidth + 15
    parts.push(
      `<line x1="${lx}" y1="${top + 10}" x2="${lx + 22}" y2="${top + 10}" stroke="${COLORS.green}" stroke-width="3"/>`,
      `<text x="${lx + 28}" y="${top + 14}">green (old)</text>`,
      `<line x1="${lx}" y1="${top + 30}" x2="${lx + 22}" y2="${top + 30}" stroke="${COLORS.blue}" stroke-width="3"/>`,
      `<text x="${lx + 28}" y="${top + 34}">blue (new)</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
