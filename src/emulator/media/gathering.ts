/**
 * Waiting for a werift peer connection to finish gathering ICE candidates (the node answers with every
 * candidate in its SDP: no trickle from the server side).
 */
import type * as Werift from 'werift'

/** Resolves once `pc` has gathered every candidate, or after `timeoutMs`, whichever comes first. @internal */
export function waitForGathering(pc: Werift.RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') {
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      pc.removeEventListener('icegatheringstatechange', onChange)
      resolve()
    }
    const onChange = (): void => {
      if (pc.iceGatheringState === 'complete') {
        done()
      }
    }
    const timer = setTimeout(done, timeoutMs)
    pc.addEventListener('icegatheringstatechange', onChange)
  })
}
