import { afterEach, describe, expect, it, vi } from 'vitest'

import { attachMedia, mustReattachAfterTrackSwap } from './media'

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'
const CHROMIUM =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15'

const logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

/** A media element that counts how often `srcObject` is set (each set restarts it in a browser). */
function element(): HTMLMediaElement & { sets: number } {
  let current: unknown = null
  const fake = {
    sets: 0,
    muted: false,
    playsInline: false,
    autoplay: true,
    get srcObject() {
      return current
    },
    set srcObject(value: unknown) {
      fake.sets += 1
      current = value
    },
  }
  return fake as unknown as HTMLMediaElement & { sets: number }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('attachMedia()', () => {
  it('in Firefox sets srcObject again for a stream already attached, so tracks swapped into it get rendered', () => {
    vi.stubGlobal('navigator', { userAgent: FIREFOX })
    const video = element()
    const stream = {} as MediaStream
    attachMedia(video, stream, { muted: false, logger })
    attachMedia(video, stream, { muted: false, logger })
    expect(video.sets).toBe(2)
    expect(video.srcObject).toBe(stream)
  })

  it('in Chromium (and Safari, untested: not known to need it) leaves an attached stream alone', () => {
    for (const userAgent of [CHROMIUM, SAFARI]) {
      vi.stubGlobal('navigator', { userAgent })
      const video = element()
      const stream = {} as MediaStream
      attachMedia(video, stream, { muted: false, logger })
      attachMedia(video, stream, { muted: false, logger })
      expect(video.sets).toBe(1)
    }
  })

  it('mustReattachAfterTrackSwap() is false without a navigator (Node, server-side rendering)', () => {
    vi.stubGlobal('navigator', undefined)
    expect(mustReattachAfterTrackSwap()).toBe(false)
  })

  it('marks a <video> playsInline, without which iOS Safari plays it only fullscreen and will not autoplay it', () => {
    const video = element()
    attachMedia(video, {} as MediaStream, { muted: false, logger })
    expect((video as unknown as HTMLVideoElement).playsInline).toBe(true)
  })
})
