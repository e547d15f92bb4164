/**
 * WHIP ingest on the media node: a POSTed offer becomes a publication whose RTP is forwarded to its
 * subscribers.
 * @internal
 */
import { randomUUID } from 'node:crypto'

import type * as Werift from 'werift'

import { acceptBundleOnlySections } from './bundle'
import { admit, queryKeys, gathered, MAX_SDP_BYTES, sendSdp, type EndpointHandler } from './context'
import { mediaType, readBody, sendJson } from './http'
import { newPeer, watchState } from './peer'
import type { InboundTrack, Kind, Publication } from './registry'

/** Answers a WHIP POST on `route`. @internal */
export const publish: EndpointHandler = async (context, route, query, request, response) => {
  const { log, sessions } = context
  if (mediaType(request) !== 'application/sdp') {
    sendJson(response, 415, { error: 'Expected an application/sdp offer.' })
    return
  }
  const offer = await readBody(request, MAX_SDP_BYTES)
  const key = `${route.app}/${route.stream}`
  if (sessions.publications.has(key)) {
    log.info(`WHIP ${key}: refused, already published`)
    sendJson(response, 409, { error: `Stream ${route.stream} is already being published.` })
    return
  }
  if (!(await admit(context, route, 'publish', query, response))) {
    return
  }
  if (!offer.trim().startsWith('v=0')) {
    sendJson(response, 400, { error: 'The body is not an SDP offer.' })
    return
  }
  const id = randomUUID()
  const pc = newPeer(context.werift)
  const feedback = new BitrateFeedback(context.werift)
  const publication: Publication = {
    type: 'publish',
    id,
    key,
    route,
    pc,
    tracks: new Map(),
    subscribers: new Set(),
    channels: [],
    ended: false,
  }
  // Registered before the first await so that a second POST for the same stream gets 409.
  sessions.publications.set(key, publication)
  sessions.resources.set(id, publication)
  pc.addEventListener('track', (event: Werift.RTCTrackEvent) => {
    const kind: Kind = event.track.kind === 'audio' ? 'audio' : 'video'
    const inbound: InboundTrack = { track: event.track, receiver: event.receiver }
    publication.tracks.set(kind, inbound)
    event.track.onReceiveRtp.subscribe((rtp) => {
      inbound.ssrc = rtp.header.ssrc
      if (kind === 'video') {
        feedback.arrived(event.receiver, rtp.header.ssrc)
      }
      sessions.forward(publication, kind, rtp)
    })
  })
  pc.addEventListener('datachannel', (event: Werift.RTCDataChannelEvent) => {
    publication.channels.push(event.channel)
    log.debug(`WHIP ${key}: data channel "${event.channel.label}" opened`)
  })
  watchState(pc, (state) => {
    feedback.stop()
    void sessions.endPublication(publication, `connection ${state}`, true)
  })
  try {
    // Firefox's `max-bundle` offers put every section but the first at port 0 + a=bundle-only, which
    // werift alone would drop (no `track` for the camera): see media/bundle.ts.
    await pc.setRemoteDescription({ type: 'offer', sdp: acceptBundleOnlySections(offer) })
    await pc.setLocalDescription(await pc.createAnswer())
    await gathered(context, pc)
  } catch (error) {
    log.warn(`WHIP ${key}: bad offer`, error)
    await sessions.endPublication(publication, 'bad offer', false)
    sendJson(response, 400, {
      error: `Could not use the SDP offer: ${error instanceof Error ? error.message : String(error)}`,
    })
    return
  }
  log.info(`WHIP ${key}: published as ${id}${queryKeys(query)}`)
  sendSdp(response, route, id, pc.localDescription?.sdp ?? '')
}

/** How often the node tells a broadcaster its receive bitrate limit while video arrives. */
const FEEDBACK_INTERVAL_MS = 100

/**
 * The bitrate the node allows a broadcaster (REMB), as SFUs cap what a publisher may send (Janus's
 * `bitrate`, mediasoup's `maxIncomingBitrate`): 1 Mbit/s, plenty for the 640x480 test cameras. REMB writes
 * a bitrate as an 18-bit mantissa times a power of two: 1,000,000 = 15,625 x 2^6.
 */
const MAX_BITRATE = { brMantissa: 15_625, brExp: 6 } as const

/**
 * The node's RTCP feedback to a broadcaster: a receiver-estimated maximum bitrate (REMB, the `goog-remb`
 * feedback werift's VP8 negotiates) every 100 ms while video arrives, as SFUs send congestion feedback on
 * a 50-200 ms cadence where receiver reports come only every 0.5-1.5 s. A broadcaster's liveness watch
 * learns that cadence (drivers/liveness.ts).
 *
 * Why not transport-wide feedback (`transport-cc`), which most SFUs send: werift stamps each packet's
 * arrival when Node's event loop gets to it, so on a busy machine its feedback shows queueing that is not
 * on the wire, and Chromium's delay-based estimate and congestion window then starve the camera (target
 * bitrate halved every few seconds, pictures scaled down to 480 px under CI load). A REMB carries no
 * arrival times. A partition (media/partition.ts) drops it with everything else the node sends.
 */
class BitrateFeedback {
  private timer: ReturnType<typeof setInterval> | undefined
  private receiver: Werift.RTCRtpReceiver | undefined
  private ssrc = 0
  private arrivedSince = false

  constructor(private readonly werift: typeof Werift) {}

  /** Video arrived from `ssrc` through `receiver`: starts the feedback at the first packet. */
  arrived(receiver: Werift.RTCRtpReceiver, ssrc: number): void {
    this.receiver = receiver
    this.ssrc = ssrc
    this.arrivedSince = true
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.send(), FEEDBACK_INTERVAL_MS)
      // The node's connections, not this timer, keep the emulator running.
      this.timer.unref()
    }
  }

  /** Stops the feedback (the connection ended). */
  stop(): void {
    clearInterval(this.timer)
  }

  private send(): void {
    const receiver = this.receiver
    if (receiver === undefined || receiver.stopped) {
      this.stop()
      return
    }
    if (!this.arrivedSince) {
      return
    }
    this.arrivedSince = false
    const { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } = this.werift
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: 1,
      ssrcFeedbacks: [this.ssrc],
      ...MAX_BITRATE,
    })
    receiver.dtlsTransport
      .sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })])
      .catch(() => undefined)
  }
}
