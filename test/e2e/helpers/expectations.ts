/**
 * What the suites assert about a viewer's media: pictures decoded and presented, sound received. Kept
 * apart from ./scenarios (which bench/gaps.bench.ts imports outside Vitest, where `expect` cannot load).
 */
import { expect } from 'vitest'

import { call } from './browser'
import type { E2ePage as Page } from './engines'
import { waitFor, waitForFrames } from './scenarios'

/**
 * Frames keep coming and are decoded: two readings one second apart, both counters grew (frames the
 * <video> presented, and the decoder's `framesDecoded`), the picture has the fake camera's size (640 x 480).
 */
export async function expectFramesFlowing(page: Page, sessionId: string): Promise<void> {
  const before = await waitForFrames(page, sessionId, 20)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const after = await call(page, 'info', sessionId)
  expect(after.videoWidth).toBe(640)
  expect(after.videoHeight).toBe(480)
  expect(after.frames).toBeGreaterThan(before.frames + 5)
  expect(after.framesDecoded).toBeGreaterThan(before.framesDecoded + 5)
}

/**
 * Sound keeps coming: audio packets were received and, one second later, at least 25 more (Opus sends 50
 * a second).
 */
export async function expectAudioFlowing(page: Page, sessionId: string): Promise<void> {
  const before = await waitFor(`audio on ${sessionId}`, async () => {
    const info = await call(page, 'info', sessionId)
    return info.audioPacketsReceived > 0 ? info : undefined
  })
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const after = await call(page, 'info', sessionId)
  expect(after.audioPacketsReceived).toBeGreaterThan(before.audioPacketsReceived + 25)
}
