import { describe, expect, it } from 'vitest'

import { alignColumns, formatDuration, relativeTime, wantsColor } from './output'

describe('wantsColor()', () => {
  const tty = { write: () => true, isTTY: true }
  const pipe = { write: () => true }

  it('colours a terminal, never a pipe, unless FORCE_COLOR says so', () => {
    expect(wantsColor(tty, { env: {} })).toBe(true)
    expect(wantsColor(pipe, { env: {} })).toBe(false)
    expect(wantsColor(pipe, { env: { FORCE_COLOR: '1' } })).toBe(true)
    expect(wantsColor(tty, { env: { FORCE_COLOR: '0' } })).toBe(true)
  })

  it('never colours with NO_COLOR, --no-color or TERM=dumb, even with FORCE_COLOR', () => {
    expect(wantsColor(tty, { env: { NO_COLOR: '1', FORCE_COLOR: '1' } })).toBe(false)
    expect(wantsColor(tty, { env: {}, disabled: true })).toBe(false)
    expect(wantsColor(tty, { env: { TERM: 'dumb' } })).toBe(false)
    expect(wantsColor(tty, { env: { NO_COLOR: '' } })).toBe(true) // an empty NO_COLOR does not count
  })
})

describe('alignColumns()', () => {
  it('pads every column but the last to its widest cell, ignoring colour codes', () => {
    const red = (s: string): string => `\u001b[31m${s}\u001b[39m`
    const lines = alignColumns([
      ['a', red('serving'), 'x'],
      ['longer', 'off', 'y'],
    ])
    expect(lines.map((line) => line.replaceAll('\u001b[31m', '').replaceAll('\u001b[39m', ''))).toEqual([
      'a       serving  x',
      'longer  off      y',
    ])
  })
})

describe('formatDuration() and relativeTime()', () => {
  it('says durations the short way, two units at most', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(90_000)).toBe('1m30s')
    expect(formatDuration(7_200_000)).toBe('2h')
    expect(formatDuration(7 * 86_400_000 + 3_661_000)).toBe('7d1h')
  })

  it('says whether a time is ahead or behind', () => {
    const now = Date.parse('2026-11-26T10:00:00Z')
    expect(relativeTime('2026-11-26T10:30:00Z', now)).toBe('in 30m')
    expect(relativeTime('2026-11-26T09:58:00Z', now)).toBe('2m ago')
    expect(relativeTime('2026-11-26T10:00:00Z', now)).toBe('now')
  })
})
