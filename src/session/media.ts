/**
 * Attaching media to the application's element. Touches DOM and WebRTC globals only inside functions and
 * behind guards (nothing at import; Node has none of them). Internal: not exported from the package (no
 * tag here: `stripInternal` would read one as marking the first statement, the import below).
 */
import type { Logger } from '../environment'

/** The tracks of a stream. Falls back to audio + video where `getTracks` is missing (some DOM emulations). */
export function tracksOf(stream: MediaStream): MediaStreamTrack[] {
  if (typeof stream.getTracks === 'function') {
    return stream.getTracks()
  }
  return [...stream.getAudioTracks(), ...stream.getVideoTracks()]
}

function mediaStreamConstructor(): typeof MediaStream | undefined {
  const Ctor = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream
  return typeof Ctor === 'function' ? Ctor : undefined
}

/** True where `MediaStream` can be constructed (browsers, DOM emulations), false in plain Node. */
export function hasMediaStream(): boolean {
  return mediaStreamConstructor() !== undefined
}

/** A new empty `MediaStream`, or `undefined` where the constructor does not exist (Node). */
export function createMediaStream(): MediaStream | undefined {
  const Ctor = mediaStreamConstructor()
  return Ctor ? new Ctor() : undefined
}

/**
 * Makes `stream` carry exactly the tracks of `source`: adds the new ones first, then removes the others, so
 * an element playing `stream` never runs dry in between.
 */
export function replaceTracks(stream: MediaStream, source: MediaStream): void {
  const wanted = tracksOf(source)
  const current = tracksOf(stream)
  for (const track of wanted) {
    if (!current.includes(track)) {
      stream.addTrack(track)
    }
  }
  for (const track of current) {
    if (!wanted.includes(track)) {
      stream.removeTrack(track)
    }
  }
}

/**
 * True in Gecko (Firefox), whose media elements do not render a track added to the MediaStream they already
 * play: once {@link replaceTracks} swaps the video track, `<video>` keeps the last frame (readyState
 * HAVE_CURRENT_DATA, no more frames presented) until `srcObject` is set again. Chromium renders the new
 * track at once, and setting `srcObject` again there would restart the element for nothing. Measured in
 * Firefox ESR 153: after the swap, 0 frames in 2 s; with `srcObject` set again, the first frame of the new
 * track 16 ms after the last of the old one. Read per call from `navigator.userAgent` (nothing at import).
 */
export function mustReattachAfterTrackSwap(): boolean {
  const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent
  return typeof agent === 'string' && /\bFirefox\//.test(agent)
}

/**
 * Shows `stream` in `element`. When it is already attached, nothing happens, except in Firefox, where it
 * is attached again so that tracks swapped into it by a migration or a reconnect get rendered (see
 * {@link mustReattachAfterTrackSwap}). A publisher's preview is muted so the local microphone is not played
 * back. A `<video>` gets `playsInline` (iOS Safari). A refused autoplay is logged, not thrown.
 */
export function attachMedia(
  element: HTMLMediaElement | undefined,
  stream: MediaStream | undefined,
  options: { muted: boolean; logger: Logger },
): void {
  if (!element || !stream || !('srcObject' in element)) {
    return
  }
  if (options.muted) {
    element.muted = true
  }
  if ('playsInline' in element) {
    // iOS Safari plays a <video> without `playsinline` only in fullscreen, and refuses to autoplay it.
    ;(element as HTMLVideoElement).playsInline = true
  }
  if (element.srcObject === stream && !mustReattachAfterTrackSwap()) {
    return
  }
  element.srcObject = stream
  if (element.autoplay || typeof element.play !== 'function') {
    return
  }
  try {
    const started = element.play() as Promise<void> | undefined
    started?.catch((error: unknown) => options.logger.warn('the media element refused to play', error))
  } catch (error) {
    options.logger.warn('the media element refused to play', error)
  }
}

/** Stops every track of `stream` (the session's own captured media, when it closes). */
export function stopTracks(stream: MediaStream | undefined): void {
  if (!stream) {
    return
  }
  for (const track of tracksOf(stream)) {
    track.stop()
  }
}
