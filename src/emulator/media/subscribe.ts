/**
 * WHEP playback on the media node: in Red5's server-offer flavour (201 with the node's offer, the
 * client PATCHes its answer) or RFC 9725's client-offer flavour, and the keyframe requests that get a
 * new subscriber a picture.
 * @internal
 */
import { randomUUID } from 'node:crypto'

import type * as Werift from 'werift'

import { acceptBundleOnlySections, keepInactiveSectionsBundled } from './bundle'
import {
  admit,
  queryKeys,
  gathered,
  MAX_SDP_BYTES,
  sendSdp,
  type EndpointHandler,
  type NodeContext,
} from './context'
import { mediaType, readBody, sendJson } from './http'
import { newPeer, watchState } from './peer'
import type { Kind, Publication, Subscription } from './registry'

/** When to ask a publisher for a keyframe again after a subscriber connected (ms after it connected). */
const KEYFRAME_RETRY_MS = [350, 700, 1500, 3000]

/** Answers a WHEP POST on `route`. @internal */
export const subscribe: EndpointHandler = async (context, route, query, request, response) => {
  const { log, sessions, flavour, werift } = context
  const type = mediaType(request)
  const body = await readBody(request, MAX_SDP_BYTES)
  const key = `${route.app}/${route.stream}`
  const publication = sessions.publications.get(key)
  if (publication === undefined) {
    log.info(`WHEP ${key}: 404, not published`)
    sendJson(response, 404, { error: `Stream ${route.stream} does not exist.` })
    return
  }
  if (!(await admit(context, route, 'subscribe', query, response))) {
    return
  }
  const hasOffer = body.trim() !== ''
  if (hasOffer && (type !== 'application/sdp' || !body.trim().startsWith('v=0'))) {
    sendJson(response, 400, { error: 'Expected an application/sdp offer or an empty body.' })
    return
  }
  const red5Style = query.has('signal') || query.has('doNotSwitch')
  const serverOffer =
    flavour === 'server-offer' || (flavour === 'auto' && (!hasOffer || red5Style)) || !hasOffer
  const id = randomUUID()
  const pc = newPeer(werift)
  const subscription: Subscription = {
    type: 'subscribe',
    id,
    key,
    route,
    pc,
    publication,
    out: new Map(),
    channels: [],
    awaitingAnswer: serverOffer,
    ended: false,
  }
  sessions.resources.set(id, subscription)
  publication.subscribers.add(subscription)
  const stream = new werift.MediaStream({ id: `red5pro-${id}` })
  const kinds: Kind[] = publication.tracks.size > 0 ? [...publication.tracks.keys()] : ['audio', 'video']
  for (const kind of kinds) {
    subscription.out.set(kind, new werift.MediaStreamTrack({ kind }))
  }
  pc.addEventListener('datachannel', (event: Werift.RTCDataChannelEvent) => {
    subscription.channels.push(event.channel)
    log.debug(`WHEP ${key}: data channel "${event.channel.label}" opened`)
  })
  watchState(
    pc,
    (state) => void sessions.endSubscription(subscription, `connection ${state}`),
    () => {
      log.debug(`WHEP ${key}: subscriber ${id} connected; asking the publisher for a keyframe`)
      askForKeyframes(context, subscription, publication)
    },
  )
  try {
    if (serverOffer) {
      for (const [kind, track] of subscription.out) {
        const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] })
        transceiver.sender.onPictureLossIndication.subscribe(() => sessions.requestKeyframe(publication))
        log.debug(`WHEP ${key}: offering ${kind}`)
      }
      // The offer must carry an m=application section: the Red5 SDK opens its `red5pro` channel.
      subscription.channels.push(pc.createDataChannel('red5pro', { ordered: true }))
      await pc.setLocalDescription(await pc.createOffer())
    } else {
      await pc.setRemoteDescription({ type: 'offer', sdp: acceptBundleOnlySections(body) })
      for (const transceiver of pc.getTransceivers()) {
        const kind: Kind | undefined =
          transceiver.kind === 'audio' ? 'audio' : transceiver.kind === 'video' ? 'video' : undefined
        const track = kind === undefined ? undefined : subscription.out.get(kind)
        if (track === undefined) {
          continue
        }
        transceiver.setDirection('sendonly')
        transceiver.sender.setStreams([stream])
        await transceiver.sender.replaceTrack(track)
        transceiver.sender.onPictureLossIndication.subscribe(() => sessions.requestKeyframe(publication))
      }
      await pc.setLocalDescription(await pc.createAnswer())
    }
    await gathered(context, pc)
  } catch (error) {
    log.warn(`WHEP ${key}: negotiation failed`, error)
    await sessions.endSubscription(subscription, 'negotiation failed')
    sendJson(response, 400, {
      error: `Could not negotiate: ${error instanceof Error ? error.message : String(error)}`,
    })
    return
  }
  log.info(
    `WHEP ${key}: subscriber ${id} (${serverOffer ? 'server offer' : 'answer to client offer'})` +
      queryKeys(query),
  )
  const local = pc.localDescription?.sdp ?? ''
  sendSdp(response, route, id, serverOffer ? local : keepInactiveSectionsBundled(local))
}

/** Asks the publisher for a keyframe now and a few times more while the subscriber is new. */
function askForKeyframes(context: NodeContext, subscription: Subscription, publication: Publication): void {
  const { sessions } = context
  sessions.requestKeyframe(publication)
  // A browser publisher ignores a keyframe request that comes within 300 ms of the previous one
  // (libwebrtc's video/encoder_rtcp_feedback.cc, kMinKeyframeSendIntervalMs). Of two Firefox viewers
  // joining under 300 ms apart, the second then never got a keyframe (no PLI from the Firefox viewers
  // reached werift), so ask again a few times, the first 350 ms later, while the subscriber is new.
  for (const delay of KEYFRAME_RETRY_MS) {
    sessions.later(() => {
      if (!subscription.ended && !publication.ended) {
        sessions.requestKeyframe(publication)
      }
    }, delay)
  }
}
