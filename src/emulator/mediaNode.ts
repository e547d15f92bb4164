/**
 * A media node that plays Red5 Pro's part on 127.0.0.1: WHIP ingest and WHEP playback over werift, with
 * the HTTP dialect `red5pro-webrtc-sdk` 11 speaks (see knowledge/red5pro-wire.md): Red5's server-offer
 * WHEP flavour, the `red5pro` data channel, `NetStream.Play.UnpublishNotify` when a publisher leaves.
 * It forwards the publisher's RTP (VP8 + Opus) to every subscriber. Node only; used by the emulator,
 * the tests and the CLI probe.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import type * as Werift from 'werift'

import { scopedLogger } from '../environment'
import { BlueGreenError } from '../errors'
import { parseTrickleFragment } from '../session/drivers/whip/sdp'
import { acceptBundleOnlySections, keepInactiveSectionsBundled } from './media/bundle'
import { waitForGathering } from './media/gathering'
import {
  BodyTooLargeError,
  iceServerLinks,
  mediaType,
  parseRoute,
  readBody,
  redactedQuery,
  resourcePath,
  sendJson,
  setCors,
  type MediaRoute,
} from './media/http'
import type { MediaNode, MediaNodeOptions, MediaNodeRequest } from './media/types'

export type { NodeIceServer } from './media/http'

export type {
  MediaNode,
  MediaNodeAuthorizeRequest,
  MediaNodeOptions,
  MediaNodeRequest,
  MediaNodeStats,
  MediaNodeWhepFlavour,
} from './media/types'

const MAX_BODY_BYTES = 256 * 1024
const GATHERING_TIMEOUT_MS = 3000
const UNPUBLISH_FLUSH_MS = 150
/** When to ask a publisher for a keyframe again after a subscriber connected (ms after it connected). */
const KEYFRAME_RETRY_MS = [350, 700, 1500, 3000]

type Kind = 'audio' | 'video'

interface InboundTrack {
  readonly track: Werift.MediaStreamTrack
  readonly receiver: Werift.RTCRtpReceiver
  ssrc?: number
}

interface Publication {
  readonly type: 'publish'
  readonly id: string
  readonly key: string
  readonly route: MediaRoute
  readonly pc: Werift.RTCPeerConnection
  readonly tracks: Map<Kind, InboundTrack>
  readonly subscribers: Set<Subscription>
  readonly channels: Werift.RTCDataChannel[]
  ended: boolean
}

interface Subscription {
  readonly type: 'subscribe'
  readonly id: string
  readonly key: string
  readonly route: MediaRoute
  readonly pc: Werift.RTCPeerConnection
  readonly publication: Publication
  readonly out: Map<Kind, Werift.MediaStreamTrack>
  readonly channels: Werift.RTCDataChannel[]
  awaitingAnswer: boolean
  ended: boolean
}

type Resource = Publication | Subscription

/**
 * Starts a media node on `host:port` and resolves once it listens.
 *
 * @example
 * ```ts
 * const node = await startMediaNode({ name: 'origin-1' })
 * // WHIP: POST node.url + '/live/whip/endpoint/cam1'; WHEP: POST node.url + '/live/whep/endpoint/cam1'
 * await node.close()
 * ```
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for bad options; `DRIVER_UNAVAILABLE` when werift cannot be
 * loaded; `MEDIA_FAILED` when the port cannot be listened on.
 */
export async function startMediaNode(options: MediaNodeOptions): Promise<MediaNode> {
  if (typeof options.name !== 'string' || options.name.trim() === '') {
    throw new BlueGreenError('INVALID_ARGUMENT', 'startMediaNode(): `name` must be a non-empty string.')
  }
  const flavour = options.whepFlavour ?? 'auto'
  if (!['auto', 'server-offer', 'client-offer'].includes(flavour)) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `startMediaNode(): whepFlavour must be 'auto', 'server-offer' or 'client-offer' (got ${String(flavour)}).`,
    )
  }
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `startMediaNode(): port must be an integer 0..65535 (got ${port}).`,
    )
  }
  let werift: typeof Werift
  try {
    werift = await import('werift')
  } catch (error) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      "startMediaNode(): could not load werift, which the emulator's media nodes need. It is an optional peer " +
        'dependency (browser apps never need it): npm install --save-dev werift@0.24.4',
      { cause: error },
    )
  }
  const log = scopedLogger(options.logger, `media-node:${options.name}`)
  const iceServers = options.iceServers ?? []
  const publications = new Map<string, Publication>()
  const resources = new Map<string, Resource>()
  const ended = new Set<string>()
  const requests: MediaNodeRequest[] = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let stopping = false

  const later = (fn: () => void, ms: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }

  const newPeer = (): Werift.RTCPeerConnection =>
    new werift.RTCPeerConnection({
      // werift gathers no loopback candidate by default; on a loopback-only machine that is the only
      // one that works (knowledge/toolchain.md).
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
      // Media on loopback only, like the HTTP server (docs/emulator.md): werift binds 0.0.0.0 otherwise.
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      // One transport for every m-line. Without it, werift's server-offer peer (WHEP) gathers one per
      // m-line, and close() never releases the ones BUNDLE left unused: their UDP sockets stay open
      // (2 per Red5 SDK subscriber) and keep the process alive after the emulator closes.
      bundlePolicy: 'max-bundle',
      codecs: { audio: [werift.useOPUS()], video: [werift.useVP8()] },
    })

  const closePeer = (pc: Werift.RTCPeerConnection): Promise<void> =>
    pc.close().catch((error: unknown) => log.debug('closing a peer connection threw', error))

  const requestKeyframe = (publication: Publication): void => {
    const video = publication.tracks.get('video')
    const ssrc = video?.track.ssrc ?? video?.ssrc
    if (video === undefined || ssrc === undefined) {
      return
    }
    video.receiver.sendRtcpPLI(ssrc).catch((error: unknown) => log.debug('PLI failed', error))
  }

  const notifyUnpublished = (subscription: Subscription): void => {
    const message = JSON.stringify({
      data: {
        type: 'status',
        code: 'NetStream.Play.UnpublishNotify',
        message: `Stream ${subscription.key} was unpublished.`,
        streamName: subscription.route.stream,
      },
    })
    for (const channel of subscription.channels) {
      if (channel.readyState === 'open') {
        try {
          channel.send(message)
        } catch (error) {
          log.debug('could not send the unpublish notice', error)
        }
      }
    }
  }

  const endSubscription = async (subscription: Subscription, reason: string): Promise<void> => {
    if (subscription.ended) {
      return
    }
    subscription.ended = true
    subscription.publication.subscribers.delete(subscription)
    resources.delete(subscription.id)
    ended.add(subscription.id)
    for (const track of subscription.out.values()) {
      track.stop()
    }
    log.info(`subscriber ${subscription.id} of ${subscription.key} ended (${reason})`)
    await closePeer(subscription.pc)
  }

  const endPublication = async (publication: Publication, reason: string, notify: boolean): Promise<void> => {
    if (publication.ended) {
      return
    }
    publication.ended = true
    if (publications.get(publication.key) === publication) {
      publications.delete(publication.key)
    }
    resources.delete(publication.id)
    ended.add(publication.id)
    log.info(`${publication.key} unpublished (${reason}); ${publication.subscribers.size} subscriber(s) told`)
    const subscribers = [...publication.subscribers]
    if (notify) {
      for (const subscription of subscribers) {
        notifyUnpublished(subscription)
      }
      // Let the notices leave before the connections close.
      await new Promise<void>((resolve) => later(resolve, UNPUBLISH_FLUSH_MS))
    }
    await Promise.all(subscribers.map((subscription) => endSubscription(subscription, 'publisher left')))
    await closePeer(publication.pc)
  }

  const forward = (publication: Publication, kind: Kind, rtp: Werift.RtpPacket): void => {
    if (publication.subscribers.size === 0) {
      return
    }
    // One clean copy per packet: no header extensions (their ids were negotiated with the publisher,
    // not the subscriber). Each subscriber's track parses it afresh, because werift's sender rewrites
    // ssrc, payload type and sequence numbers in place.
    const copy = new werift.RtpPacket(
      new werift.RtpHeader({
        payloadType: rtp.header.payloadType,
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        ssrc: rtp.header.ssrc,
      }),
      rtp.payload,
    ).serialize()
    for (const subscription of publication.subscribers) {
      subscription.out.get(kind)?.writeRtp(copy)
    }
  }

  const watchState = (
    pc: Werift.RTCPeerConnection,
    onEnd: (state: string) => void,
    onConnected?: () => void,
  ): void => {
    pc.addEventListener('connectionstatechange', () => {
      const state = pc.connectionState
      if (state === 'connected') {
        onConnected?.()
      } else if (state === 'failed' || state === 'closed') {
        onEnd(state)
      }
    })
  }

  const answerCors = (request: IncomingMessage, response: ServerResponse): void => {
    setCors(request, response)
    const links = iceServerLinks(iceServers)
    if (links.length > 0) {
      response.setHeader('Link', links)
    }
  }

  const authorize = async (
    route: MediaRoute,
    kind: 'publish' | 'subscribe',
    query: URLSearchParams,
  ): Promise<number | undefined> => {
    if (options.authorize === undefined) {
      return undefined
    }
    return options.authorize({
      kind,
      app: route.app,
      streamName: route.stream,
      params: Object.fromEntries(query),
    })
  }

  const refuse = (response: ServerResponse, status: number, what: string): void => {
    const messages: Record<number, string> = {
      401: 'Not authorized.',
      403: 'Forbidden.',
      406: 'Scope connection rejected.',
    }
    sendJson(response, status, { error: messages[status] ?? `${what} refused.` })
  }

  const sendSdp = (response: ServerResponse, route: MediaRoute, id: string, sdp: string): void => {
    response.statusCode = 201
    response.setHeader('Content-Type', 'application/sdp')
    response.setHeader('Location', resourcePath(route, id))
    response.setHeader('ETag', `"${id}"`)
    response.setHeader('Accept-Patch', 'application/trickle-ice-sdpfrag, application/sdp')
    response.end(sdp)
  }

  const publish = async (
    route: MediaRoute,
    query: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    if (mediaType(request) !== 'application/sdp') {
      sendJson(response, 415, { error: 'Expected an application/sdp offer.' })
      return
    }
    const offer = await readBody(request, MAX_BODY_BYTES)
    const key = `${route.app}/${route.stream}`
    if (publications.has(key)) {
      log.info(`WHIP ${key}: refused, already published`)
      sendJson(response, 409, { error: `Stream ${route.stream} is already being published.` })
      return
    }
    const refusal = await authorize(route, 'publish', query)
    if (refusal !== undefined) {
      log.info(`WHIP ${key}: refused by authorize() with ${refusal}`)
      refuse(response, refusal, 'Publish')
      return
    }
    if (!offer.trim().startsWith('v=0')) {
      sendJson(response, 400, { error: 'The body is not an SDP offer.' })
      return
    }
    const id = randomUUID()
    const pc = newPeer()
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
    publications.set(key, publication)
    resources.set(id, publication)
    pc.addEventListener('track', (event: Werift.RTCTrackEvent) => {
      const kind: Kind = event.track.kind === 'audio' ? 'audio' : 'video'
      const inbound: InboundTrack = { track: event.track, receiver: event.receiver }
      publication.tracks.set(kind, inbound)
      event.track.onReceiveRtp.subscribe((rtp) => {
        inbound.ssrc = rtp.header.ssrc
        forward(publication, kind, rtp)
      })
    })
    pc.addEventListener('datachannel', (event: Werift.RTCDataChannelEvent) => {
      publication.channels.push(event.channel)
      log.debug(`WHIP ${key}: data channel "${event.channel.label}" opened`)
    })
    watchState(pc, (state) => void endPublication(publication, `connection ${state}`, true))
    try {
      // Firefox's `max-bundle` offers put every section but the first at port 0 + a=bundle-only, which
      // werift alone would drop (no `track` for the camera): see media/bundle.ts.
      await pc.setRemoteDescription({ type: 'offer', sdp: acceptBundleOnlySections(offer) })
      await pc.setLocalDescription(await pc.createAnswer())
      await waitForGathering(pc, GATHERING_TIMEOUT_MS)
    } catch (error) {
      log.warn(`WHIP ${key}: bad offer`, error)
      await endPublication(publication, 'bad offer', false)
      sendJson(response, 400, {
        error: `Could not use the SDP offer: ${error instanceof Error ? error.message : String(error)}`,
      })
      return
    }
    const keys = [...query.keys()]
    log.info(`WHIP ${key}: published as ${id}${keys.length > 0 ? ` (query keys: ${keys.join(', ')})` : ''}`)
    sendSdp(response, route, id, pc.localDescription?.sdp ?? '')
  }

  const subscribe = async (
    route: MediaRoute,
    query: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    const type = mediaType(request)
    const body = await readBody(request, MAX_BODY_BYTES)
    const key = `${route.app}/${route.stream}`
    const publication = publications.get(key)
    if (publication === undefined) {
      log.info(`WHEP ${key}: 404, not published`)
      sendJson(response, 404, { error: `Stream ${route.stream} does not exist.` })
      return
    }
    const refusal = await authorize(route, 'subscribe', query)
    if (refusal !== undefined) {
      log.info(`WHEP ${key}: refused by authorize() with ${refusal}`)
      refuse(response, refusal, 'Subscribe')
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
    const pc = newPeer()
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
    resources.set(id, subscription)
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
      (state) => void endSubscription(subscription, `connection ${state}`),
      () => {
        log.debug(`WHEP ${key}: subscriber ${id} connected; asking the publisher for a keyframe`)
        requestKeyframe(publication)
        // A browser publisher ignores a keyframe request that comes within 300 ms of the previous one
        // (libwebrtc's video/encoder_rtcp_feedback.cc, kMinKeyframeSendIntervalMs). Of two Firefox viewers
        // joining under 300 ms apart, the second then never got a keyframe (no PLI from the Firefox viewers
        // reached werift), so ask again a few times, the first 350 ms later, while the subscriber is new.
        for (const delay of KEYFRAME_RETRY_MS) {
          later(() => {
            if (!subscription.ended && !publication.ended) {
              requestKeyframe(publication)
            }
          }, delay)
        }
      },
    )
    try {
      if (serverOffer) {
        for (const [kind, track] of subscription.out) {
          const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] })
          transceiver.sender.onPictureLossIndication.subscribe(() => requestKeyframe(publication))
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
          transceiver.sender.onPictureLossIndication.subscribe(() => requestKeyframe(publication))
        }
        await pc.setLocalDescription(await pc.createAnswer())
      }
      await waitForGathering(pc, GATHERING_TIMEOUT_MS)
    } catch (error) {
      log.warn(`WHEP ${key}: negotiation failed`, error)
      await endSubscription(subscription, 'negotiation failed')
      sendJson(response, 400, {
        error: `Could not negotiate: ${error instanceof Error ? error.message : String(error)}`,
      })
      return
    }
    const keys = [...query.keys()]
    log.info(
      `WHEP ${key}: subscriber ${id} (${serverOffer ? 'server offer' : 'answer to client offer'})` +
        (keys.length > 0 ? ` (query keys: ${keys.join(', ')})` : ''),
    )
    const local = pc.localDescription?.sdp ?? ''
    sendSdp(response, route, id, serverOffer ? local : keepInactiveSectionsBundled(local))
  }

  const patch = async (
    resource: Resource,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    const type = mediaType(request)
    const body = await readBody(request, MAX_BODY_BYTES)
    if (type === 'application/trickle-ice-sdpfrag') {
      const fragment = parseTrickleFragment(body)
      for (const candidate of fragment.candidates) {
        try {
          await resource.pc.addIceCandidate({
            candidate: candidate.candidate,
            sdpMLineIndex: candidate.sdpMLineIndex,
            ...(candidate.sdpMid === undefined ? {} : { sdpMid: candidate.sdpMid }),
          })
        } catch (error) {
          log.debug(`${resource.key}: a trickled candidate was refused`, error)
        }
      }
      log.debug(
        `${resource.key}: ${fragment.candidates.length} candidate(s) trickled${fragment.endOfCandidates ? ', end' : ''}`,
      )
      response.statusCode = 204
      response.end()
      return
    }
    if (type === 'application/sdp') {
      if (resource.type !== 'subscribe' || !resource.awaitingAnswer) {
        sendJson(response, 409, { error: 'No SDP answer is expected for this resource.' })
        return
      }
      try {
        await resource.pc.setRemoteDescription({ type: 'answer', sdp: acceptBundleOnlySections(body) })
      } catch (error) {
        log.warn(`${resource.key}: bad SDP answer`, error)
        sendJson(response, 400, {
          error: `Could not use the SDP answer: ${error instanceof Error ? error.message : String(error)}`,
        })
        return
      }
      resource.awaitingAnswer = false
      log.debug(`${resource.key}: subscriber ${resource.id} answered`)
      response.statusCode = 204
      response.end()
      return
    }
    sendJson(response, 415, { error: 'PATCH takes application/trickle-ice-sdpfrag or application/sdp.' })
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://media-node.invalid')
    const method = (request.method ?? 'GET').toUpperCase()
    const contentType = mediaType(request)
    requests.push({
      method,
      path: url.pathname,
      query: redactedQuery(url.searchParams),
      ...(contentType === undefined ? {} : { contentType }),
    })
    answerCors(request, response)
    if (method === 'OPTIONS') {
      response.statusCode = 204
      response.end()
      return
    }
    const route = parseRoute(url.pathname)
    if (route === undefined) {
      sendJson(response, 404, { error: `No WHIP/WHEP endpoint at ${url.pathname}.` })
      return
    }
    if (route.resourceId === undefined) {
      if (method !== 'POST') {
        response.setHeader('Allow', 'OPTIONS, POST')
        sendJson(response, 405, { error: `${method} is not allowed on an endpoint; POST an SDP offer.` })
        return
      }
      if (route.protocol === 'whip') {
        await publish(route, url.searchParams, request, response)
      } else {
        await subscribe(route, url.searchParams, request, response)
      }
      return
    }
    const resource = resources.get(route.resourceId)
    if (method === 'DELETE') {
      if (resource !== undefined) {
        log.info(
          `${resource.key}: DELETE of ${resource.type === 'publish' ? 'publisher' : 'subscriber'} ${resource.id}`,
        )
        if (resource.type === 'publish') {
          await endPublication(resource, 'DELETE', true)
        } else {
          await endSubscription(resource, 'DELETE')
        }
        response.statusCode = 200
        response.end()
      } else if (ended.has(route.resourceId)) {
        response.statusCode = 200
        response.end()
      } else {
        sendJson(response, 404, { error: `No session ${route.resourceId}.` })
      }
      return
    }
    if (method !== 'PATCH') {
      response.setHeader('Allow', 'OPTIONS, PATCH, DELETE')
      sendJson(response, 405, { error: `${method} is not allowed on a session resource.` })
      return
    }
    if (resource === undefined) {
      sendJson(response, 404, { error: `No session ${route.resourceId}.` })
      return
    }
    await patch(resource, request, response)
  }

  const server = createServer((request, response) => {
    if (stopping) {
      response.statusCode = 503
      response.end()
      return
    }
    handle(request, response).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        sendJson(response, 413, { error: `The body is larger than ${MAX_BODY_BYTES} bytes.` })
        return
      }
      log.error(`${request.method ?? '?'} ${request.url ?? '?'} failed`, error)
      if (!response.headersSent) {
        sendJson(response, 500, { error: 'Internal error.' })
      } else {
        response.end()
      }
    })
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new BlueGreenError(
          'MEDIA_FAILED',
          `startMediaNode(): could not listen on ${host}:${port} (${error.message}).`,
          {
            cause: error,
          },
        ),
      )
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const serverAddress = `${hostPart}:${address.port}`
  log.info(`listening on http://${serverAddress}`)

  let stopped: Promise<void> | undefined
  const stopServer = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })

  return {
    name: options.name,
    serverAddress,
    url: `http://${serverAddress}`,
    streams: () => [...publications.keys()],
    hasStream: (app, stream) => publications.has(`${app}/${stream}`),
    stats: () => ({
      publishers: publications.size,
      subscribers: [...resources.values()].filter((resource) => resource.type === 'subscribe').length,
      requests: [...requests],
    }),
    kill: () => {
      stopped ??= (async () => {
        stopping = true
        log.warn('killed: connections dropped without notice')
        for (const timer of timers) {
          clearTimeout(timer)
        }
        timers.clear()
        const all = [...resources.values()]
        for (const resource of all) {
          resource.ended = true
        }
        resources.clear()
        publications.clear()
        await Promise.all([stopServer(), ...all.map((resource) => closePeer(resource.pc))])
      })()
      return stopped
    },
    close: () => {
      stopped ??= (async () => {
        stopping = true
        log.info('closing')
        await Promise.all(
          [...publications.values()].map((publication) => endPublication(publication, 'node closing', true)),
        )
        await Promise.all(
          [...resources.values()].map((resource) =>
            resource.type === 'publish'
              ? endPublication(resource, 'node closing', false)
              : endSubscription(resource, 'node closing'),
          ),
        )
        for (const timer of timers) {
          clearTimeout(timer)
        }
        timers.clear()
        await stopServer()
      })()
      return stopped
    },
  }
}
