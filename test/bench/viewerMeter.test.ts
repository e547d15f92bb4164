import { afterEach, describe, expect, it, vi } from 'vitest'

import { RECORDED_GAP_MS, ViewerMeter } from '../../bench/scale/media'

/** A video track whose packets the test delivers by hand. */
function track(): { stream: unknown; deliver: () => void } {
  let listener: ((rtp: { payload: Buffer }) => void) | undefined
  const video = { kind: 'video', onReceiveRtp: { subscribe: (fn: typeof listener) => (listener = fn) } }
  return { stream: { getTracks: () => [video] }, deliver: () => listener?.({ payload: Buffer.alloc(4) }) }
}

describe('ViewerMeter.longestGap (the scale bench, per viewer)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('reports a gap above the recording floor as measured, and one below it as the floor', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const meter = new ViewerMeter()
    const { stream, deliver } = track()
    meter.watch(stream)
    for (let i = 0; i < 30; i++) {
      deliver()
      vi.advanceTimersByTime(33)
    }
    const start = 1_000_000
    // Steady 30 fps: the longest gap is 33 ms, under the floor, so only "under 50 ms" is known.
    expect(meter.longestGap(start, Date.now() - 10)).toBe(RECORDED_GAP_MS)
    vi.advanceTimersByTime(300 - 33)
    deliver()
    expect(meter.longestGap(start, Date.now())).toBe(300)
    // An open gap at the end of the window counts too.
    vi.advanceTimersByTime(120)
    expect(meter.longestGap(Date.now() - 100, Date.now())).toBe(100)
  })
})
