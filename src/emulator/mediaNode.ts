/**
 * A media node that plays Red5 Pro's part on 127.0.0.1: WHIP ingest and WHEP playback over werift, with
 * the HTTP dialect `red5pro-webrtc-sdk` 11 speaks (see knowledge/red5pro-wire.md): Red5's server-offer
 * WHEP flavour, the `red5pro` data channel, `NetStream.Play.UnpublishNotify` when a publisher leaves.
 * It forwards the publisher's RTP (VP8 + Opus) to every subscriber. Node only; used by the emulator,
 * the tests and the CLI probe. This file routes the node's HTTP and runs its life (freeze, kill,
 * close); the rooms under media/ do the rest: publish.ts (WHIP), subscribe.ts (WHEP), patch.ts
 * (trickle, answers), registry.ts (sessions, forwarding), partition.ts (a frozen node's packets).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import type * as Werift from 'werift'

import { scopedLogger } from '../environment'
import { BlueGreenError } from '../errors'
import { RequestHold } from './hold'
import { MAX_SDP_BYTES, type NodeContext } from './media/context'
import {
  BodyTooLargeError,
  iceServerLinks,
  mediaType,
  parseRoute,
  redactedQuery,
  sendJson,
  setCors,
} from './media/http'
import { patch } from './media/patch'
import { publish } from './media/publish'
import { SessionRegistry } from './media/registry'
import { acquireLoopbackStun, releaseLoopbackStun } from './media/stun'
import { subscribe } from './media/subscribe'
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
  const sessions = new SessionRegistry(werift, log)
  const { publications, resources, ended } = sessions
  const requests: MediaNodeRequest[] = []
  const context: NodeContext = {
    werift,
    log,
    sessions,
    flavour,
    authorize: async (request) => (options.authorize === undefined ? undefined : options.authorize(request)),
  }
  let stopping = false
  /** While frozen, requests are held unanswered. */
  const hold = new RequestHold()

  const answerCors = (request: IncomingMessage, response: ServerResponse): void => {
    setCors(request, response)
    const links = iceServerLinks(iceServers)
    if (links.length > 0) {
      response.setHeader('Link', links)
    }
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
        await publish(context, route, url.searchParams, request, response)
      } else {
        await subscribe(context, route, url.searchParams, request, response)
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
          await sessions.endPublication(resource, 'DELETE', true)
        } else {
          await sessions.endSubscription(resource, 'DELETE')
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
    await patch(context, resource, request, response)
  }

  const held = hold.wrap(handle)
  const server = createServer((request, response) => {
    if (stopping) {
      response.statusCode = 503
      response.end()
      return
    }
    Promise.resolve(held(request, response)).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        sendJson(response, 413, { error: `The body is larger than ${MAX_SDP_BYTES} bytes.` })
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
  // werift's peers ask it for their reflexive candidate instead of stun.l.google.com (media/stun.ts).
  await acquireLoopbackStun(werift)

  let stopped: Promise<void> | undefined
  const stopServer = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
      // Held requests (a frozen node) find their connections gone and end.
      hold.thaw()
    }).then(releaseLoopbackStun)

  return {
    name: options.name,
    serverAddress,
    url: `http://${serverAddress}`,
    streams: () => [...publications.keys()],
    hasStream: (app, stream) => publications.has(`${app}/${stream}`),
    stats: () => ({
      publishers: publications.size,
      subscribers: sessions.subscriberCount,
      requests: [...requests],
    }),
    freeze: () => {
      if (hold.frozen || stopped) {
        return
      }
      hold.freeze()
      sessions.partition()
      log.warn(`frozen: ${resources.size} session(s) cut off, requests held unanswered`)
    },
    thaw: () => {
      if (!hold.frozen) {
        return
      }
      sessions.heal()
      hold.thaw()
      log.info('thawed: the sessions still open get their packets again, held requests go on')
    },
    kill: () => {
      stopped ??= (async () => {
        stopping = true
        log.warn('killed: connections dropped without notice')
        sessions.clearTimers()
        sessions.heal()
        await Promise.all([stopServer(), sessions.dropAll()])
      })()
      return stopped
    },
    close: () => {
      stopped ??= (async () => {
        stopping = true
        log.info('closing')
        // A frozen node closing gets its goodbyes out.
        sessions.heal()
        await sessions.endAll('node closing')
        sessions.clearTimers()
        await stopServer()
      })()
      return stopped
    },
  }
}
