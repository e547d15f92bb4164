/**
 * The page's peer connections, observed for the tests' counters: which connection receives the tracks
 * a <video> shows, and what its inbound-rtp statistics say. Observation only: every connection is
 * created exactly as its caller asked (same arguments, same class behaviour), the drivers and Red5's
 * SDK see the browser's own RTCPeerConnection API.
 *
 * Installed by entry.js before anything else runs, so connections made by whipDriver (which reads
 * `globalThis.RTCPeerConnection` per session) and by Red5's SDK (which captures it when it loads, later)
 * are both seen.
 */

const peers = new Set<RTCPeerConnection>()

/** Makes every RTCPeerConnection created from now on known to {@link inboundCounters}. */
export function observePeerConnections(): void {
  const Native = globalThis.RTCPeerConnection
  if (typeof Native !== 'function' || (Native as { observed?: boolean }).observed === true) {
    return
  }
  class Observed extends Native {
    static observed = true
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args)
      peers.add(this)
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'closed') {
          peers.delete(this)
        }
      })
    }
  }
  globalThis.RTCPeerConnection = Observed
}

/** Counters of the connection(s) receiving the tracks `element` plays. */
export interface InboundCounters {
  /** inbound-rtp video `framesDecoded`. */
  framesDecoded: number
  /** inbound-rtp audio `packetsReceived`. */
  audioPacketsReceived: number
}

/**
 * Sums the inbound-rtp statistics of every receiver whose track `element` plays now. The media kind is
 * `kind` (Chromium, Firefox, Safari 14+) or `mediaType` (older Safari).
 */
export async function inboundCounters(element: HTMLMediaElement): Promise<InboundCounters> {
  const tracks = element.srcObject instanceof MediaStream ? element.srcObject.getTracks() : []
  const counters: InboundCounters = { framesDecoded: 0, audioPacketsReceived: 0 }
  for (const pc of peers) {
    for (const receiver of pc.getReceivers()) {
      if (!tracks.includes(receiver.track)) {
        continue
      }
      const report = await receiver.getStats().catch(() => undefined)
      report?.forEach(
        (stat: {
          type?: string
          kind?: string
          mediaType?: string
          framesDecoded?: number
          packetsReceived?: number
        }) => {
          if (stat.type !== 'inbound-rtp') {
            return
          }
          const kind = stat.kind ?? stat.mediaType
          if (kind === 'video') {
            counters.framesDecoded += stat.framesDecoded ?? 0
          } else if (kind === 'audio') {
            counters.audioPacketsReceived += stat.packetsReceived ?? 0
          }
        },
      )
    }
  }
  return counters
}
