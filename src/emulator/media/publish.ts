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
  const pc = newPeer(context.werift, { ingest: true })
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
      startFeedbackTimer(event.receiver)
      sessions.forward(publication, kind, rtp)
    })
  })
  pc.addEventListener('datachannel', (event: Werift.RTCDataChannelEvent) => {
    publication.channels.push(event.channel)
    log.debug(`WHIP ${key}: data channel "${event.channel.label}" opened`)
  })
  watchState(pc, (state) => void sessions.endPublication(publication, `connection ${state}`, true))
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

/**
 * Starts werift's transport-wide feedback timer of `receiver` once its feedback is set up (the first
 * packet). werift 0.24 has the 100 ms loop (`runTWCC`) but never sets the flag that runs it, so it sends
 * feedback only every 11 packets: every 0.2-0.4 s for a low-rate camera, where SFUs send it on a 50-100 ms
 * timer. The loop ends when the receiver stops; a partition (media/partition.ts) drops what it sends.
 */
function startFeedbackTimer(receiver: Werift.RTCRtpReceiver): void {
  const twcc = receiver.receiverTWCC as unknown as
    | { twccRunning: boolean; runTWCC(): Promise<void> }
    | undefined
  if (twcc !== undefined && !twcc.twccRunning) {
    twcc.twccRunning = true
    twcc.runTWCC().catch(() => undefined)
  }
}
