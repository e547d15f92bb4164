import { describe, expect, it } from 'vitest'

import { KeptFigures, keepRow, spread } from '../../bench/stats'

describe('keepRow: which bench figures the report keeps as rows (issue 14)', () => {
  it('judges a figure against its target while its spread stays within its margin, at the boundary', () => {
    // median 150, margin 100 to a target of 250
    expect(keepRow(spread([100, 150, 200, 150, 150]), { target: 250 }).judged).toBe(true) // spread 100
    const over = keepRow(spread([100, 150, 201, 150, 150]), { target: 250 }) // spread 101
    expect(over).toMatchObject({ judged: false, kept: false })
    // judged, but its value too noisy to be a row; a tight one is both
    expect(keepRow(spread([100, 150, 200, 150, 150]), { target: 250 })).toMatchObject({
      judged: true,
      kept: false,
    })
    expect(keepRow(spread([148, 150, 152, 150, 150]), { target: 250 })).toMatchObject({
      judged: true,
      kept: true,
    })
    expect(keepRow(spread([99, 150, 200, 150, 150]), { target: 250 }).why).toMatch(
      /exceeds the margin of 100/,
    )
  })

  it('keeps a target-less figure only when its repetitions predict a second run within the tolerance', () => {
    // sd 10 over 5 samples around 100: 3 * sqrt(2) * 1.2533 * 10 / sqrt(5) = 23.78 %
    const noisy = spread([90, 95, 100, 105, 110].map((v) => (v - 100) * (10 / Math.sqrt(62.5)) + 100))
    expect(keepRow(noisy, { tolerance: 0.238 }).kept).toBe(true)
    expect(keepRow(noisy, { tolerance: 0.2375 }).kept).toBe(false)
    expect(keepRow(spread([100, 101, 99, 100, 100])).kept).toBe(true)
    expect(keepRow(spread([1300, 2400, 1900, 1500, 2100])).kept).toBe(false)
  })

  it('never keeps a figure from fewer than 3 repetitions', () => {
    expect(keepRow(spread([100, 100])).kept).toBe(false)
    expect(keepRow(spread([100, 100, 100])).kept).toBe(true)
    expect(keepRow(spread([100]), { target: 1000 }).why).toMatch(/1 repetition: no spread/)
  })
})

describe('KeptFigures', () => {
  it('puts kept medians in the figures, lists the rest, and keeps a ratio only on kept medians', () => {
    const kept = new KeptFigures()
    expect(kept.add('steadyMs', [100, 101, 100, 99, 100]).kept).toBe(true)
    expect(kept.add('noisyMs', [1300, 2400, 1900, 1500, 2100]).kept).toBe(false)
    kept.derive('steadyOverSteady', 1, ['steadyMs'])
    kept.derive('noisyOverSteady', 19, ['noisyMs', 'steadyMs'])
    expect(kept.figures).toEqual({ steadyMs: 100, steadyOverSteady: 1 })
    expect(kept.notKept).toBe('noisyMs, noisyOverSteady')
    const lines = kept.lines().join('\n')
    expect(lines).toMatch(
      /`noisyMs`: 1900 \(1300\.\.2400, spread 58 %\), runs 1300, 2400, 1900, 1500, 2100: a second run/,
    )
    expect(lines).toMatch(/`noisyOverSteady`: 19\.00, built on noisyMs, not kept/)
  })
})
