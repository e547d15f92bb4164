/**
 * A stand-in for `MediaStream` where there is none (Node with werift): the remote tracks of a WHEP session,
 * reachable through the same `getTracks()` / `getVideoTracks()` / `getAudioTracks()` calls, so code that
 * reads `session.mediaStream` works in both places (werift's tracks carry `onReceiveRtp`).
 * @internal
 */
let counter = 0

/** A `MediaStream`-shaped holder of tracks added with `addTrack`. @internal */
export function trackStream(): MediaStream {
  const tracks: MediaStreamTrack[] = []
  counter += 1
  const stream = {
    id: `bluegreen-tracks-${counter}`,
    get active(): boolean {
      return tracks.some((track) => track.readyState !== 'ended')
    },
    getTracks: () => [...tracks],
    getVideoTracks: () => tracks.filter((track) => track.kind === 'video'),
    getAudioTracks: () => tracks.filter((track) => track.kind === 'audio'),
    addTrack: (track: MediaStreamTrack) => {
      if (!tracks.includes(track)) {
        tracks.push(track)
      }
    },
  }
  return stream as unknown as MediaStream
}
