/**
 * What the liveness watch reads from `getStats()` (browser or werift): media counters, the RTCP reports
 * of the far end, and anything at all arriving (RTCP, STUN). Each reading is a counter or a fingerprint
 * that only moves when something new arrived, so the watch compares two readings for "did it move".
 * @internal
 */

/** The part of a peer connection the watch reads (browser or werift). @internal */
export interface WatchedPeer {
  readonly connectionState: string
  readonly iceConnectionState: string
  getStats(): Promise<{ forEach(callback: (stat: unknown) => void): void }>
}

/** Counters read from `getStats()`. @internal */
export interface PeerCounters {
  /** Sum of `inbound-rtp` `bytesReceived` (media received). */
  readonly inboundMediaBytes: number
  /** Sum of `outbound-rtp` `bytesSent` (media sent). */
  readonly outboundMediaBytes: number
  /** Sum of `transport` and `candidate-pair` `bytesReceived`: anything at all arriving (RTCP, STUN). */
  readonly receivedBytes: number
  /**
   * `transport` `bytesReceived` alone: RTP and RTCP, not STUN (werift counts STUN in the candidate pair's
   * bytes; neither counts it here). What a broadcaster receives there is its node's RTCP feedback.
   */
  readonly transportBytes: number
  /**
   * Moves when a STUN request or answer arrives (`candidate-pair` `requestsReceived` + `responsesReceived`):
   * consent checks, which a browser may not count in `bytesReceived`.
   */
  readonly stunReceived: number
  /**
   * Moves when an RTCP sender report arrives (`remote-outbound-rtp` `reportsSent` + `remoteTimestamp`):
   * the sending side of a subscription is still there, even if it sends no media.
   */
  readonly senderReports: number
  /**
   * Moves when an RTCP receiver report arrives (`remote-inbound-rtp` `reportsReceived`,
   * `roundTripTimeMeasurements`, `totalRoundTripTime`, `packetsLost`): the node still receives what a
   * publisher sends. Not its `timestamp`: werift stamps it with the time of the `getStats()` call.
   */
  readonly receiverReports: number
  /** True once any `remote-inbound-rtp` entry exists (the far end has sent a receiver report). */
  readonly hasReceiverReports: boolean
}

interface StatLike {
  readonly type?: string
  readonly bytesReceived?: number
  readonly bytesSent?: number
  readonly requestsReceived?: number
  readonly responsesReceived?: number
  readonly reportsSent?: number
  readonly remoteTimestamp?: number
  readonly reportsReceived?: number
  readonly roundTripTimeMeasurements?: number
  readonly totalRoundTripTime?: number
  readonly packetsLost?: number
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0)

/** Sums a report's entries into {@link PeerCounters}. @internal */
export function countersOf(report: { forEach(callback: (stat: unknown) => void): void }): PeerCounters {
  let inboundMediaBytes = 0
  let outboundMediaBytes = 0
  let receivedBytes = 0
  let transportBytes = 0
  let stunReceived = 0
  let senderReports = 0
  let receiverReports = 0
  let hasReceiverReports = false
  report.forEach((value) => {
    const stat = value as StatLike
    switch (stat.type) {
      case 'inbound-rtp':
        inboundMediaBytes += num(stat.bytesReceived)
        break
      case 'outbound-rtp':
        outboundMediaBytes += num(stat.bytesSent)
        break
      case 'candidate-pair':
        stunReceived += num(stat.requestsReceived) + num(stat.responsesReceived)
        receivedBytes += num(stat.bytesReceived)
        break
      case 'transport':
        receivedBytes += num(stat.bytesReceived)
        transportBytes += num(stat.bytesReceived)
        break
      case 'remote-outbound-rtp':
        senderReports += num(stat.reportsSent) + num(stat.remoteTimestamp)
        break
      case 'remote-inbound-rtp':
        hasReceiverReports = true
        receiverReports +=
          num(stat.reportsReceived) +
          num(stat.roundTripTimeMeasurements) +
          num(stat.totalRoundTripTime) +
          num(stat.packetsLost)
        break
      default:
        break
    }
  })
  return {
    inboundMediaBytes,
    outboundMediaBytes,
    receivedBytes,
    transportBytes,
    stunReceived,
    senderReports,
    receiverReports,
    hasReceiverReports,
  }
}

/** Reads {@link PeerCounters}; `undefined` when getStats() fails (e.g. the connection was closed). @internal */
export async function readCounters(pc: Pick<WatchedPeer, 'getStats'>): Promise<PeerCounters | undefined> {
  try {
    return countersOf(await pc.getStats())
  } catch {
    return undefined
  }
}
