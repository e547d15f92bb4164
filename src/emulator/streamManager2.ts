/**
 * An emulated Stream Manager 2.0 (`/as/v1`), as the `sm2` client in `src/streammanager/v2.ts` expects it:
 * - `GET /as/v1/streams/stream/{nodeGroup}/publish|subscribe/{app}/{stream}` answers an ARRAY
 *   `[{ streamGuid, serverAddress, nodeRole, subGroup, nodeState, subscribers }]`; errors are `{ error }`:
 *   404 for an unknown node group or a stream no node carries;
 * - the signalling proxy `/as/v1/proxy/whip|whep/{app}/{stream}?host={serverAddress}[&requestId=..]`:
 *   OPTIONS (with `host`, or none: the node group's node), POST (`host` required, WHEP also `requestId`)
 *   are forwarded to the node's `/{app}/whip|whep/endpoint/{stream}`. The node's `Location` comes back as
 *   the same proxy URL with `host` and `requestId` kept and the node's resource in `resource`, so PATCH and
 *   DELETE return through the proxy to exactly that resource (without `resource`, they go to the
 *   endpoint). A `host` that is not one of this environment's nodes is a 400. Answers carry
 *   `Session-Host`, which newer Red5 SDKs read to learn the node.
 * CORS on everything, with preflights answered here (never forwarded).
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { EmulatorMediaNode, StreamManagerContext } from './types'
import {
  allowAnyOrigin,
  answerPreflight,
  forward,
  HttpError,
  isPreflight,
  requestTarget,
  segmentsAfter,
  sendJson,
  type Handler,
} from './http'

const STREAMS = '/as/v1/streams/stream/'
const PROXY = '/as/v1/proxy/'

/** The error body of Stream Manager 2.0. @internal */
export function sm2ErrorBody(message: string): { error: string } {
  return { error: message }
}

/** The request handler of an emulated Stream Manager 2.0. @internal */
export function createStreamManager2Handler(context: StreamManagerContext): Handler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (isPreflight(req)) {
      answerPreflight(req, res, 'GET, POST, PATCH, DELETE, OPTIONS')
      return
    }
    allowAnyOrigin(res)
    const target = requestTarget(req)
    const streams = segmentsAfter(target.path, STREAMS)
    if (streams) {
      assign(req, res, context, streams)
      return
    }
    const proxied = segmentsAfter(target.path, PROXY)
    if (proxied) {
      await proxy(req, res, context, proxied, target.query)
      return
    }
    throw new HttpError(404, `Stream Manager ${context.environment} (2.0) has nothing at ${target.path}.`)
  }
}

function groupMatches(context: StreamManagerContext, group: string): boolean {
  return group === context.nodeGroup || group === 'default'
}

function assign(
  req: IncomingMessage,
  res: ServerResponse,
  context: StreamManagerContext,
  parts: string[],
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} is not supported here; use GET.`)
  }
  const [group, action, app, ...rest] = parts
  const stream = rest.join('/')
  if (!group || !app || stream === '' || (action !== 'publish' && action !== 'subscribe')) {
    throw new HttpError(404, 'Use /as/v1/streams/stream/{nodeGroup}/publish|subscribe/{app}/{stream}.')
  }
  if (!groupMatches(context, group)) {
    throw new HttpError(404, `Node group not found for ${group}.`)
  }
  const nodes = context.nodes()
  const node = action === 'publish' ? nodes[0] : nodes.find((candidate) => candidate.hasStream(app, stream))
  if (!node) {
    context.logger.debug(`sm2 ${context.environment}: ${action} ${app}/${stream} -> 404`)
    throw new HttpError(
      404,
      action === 'publish' ? 'No servers found.' : `No servers found carrying stream ${app}/${stream}.`,
    )
  }
  context.logger.debug(`sm2 ${context.environment}: ${action} ${app}/${stream} -> ${node.serverAddress}`)
  sendJson(res, 200, [
    {
      streamGuid: `${app}/${stream}`,
      serverAddress: node.serverAddress,
      nodeRole: action === 'publish' ? 'origin' : 'edge',
      subGroup: context.region,
      nodeState: 'INSERVICE',
      subscribers: node.stats().subscribers,
    },
  ])
}

function nodeFor(context: StreamManagerContext, host: string | null, required: boolean): EmulatorMediaNode {
  const nodes = context.nodes()
  if (host === null || host === '') {
    if (required) {
      throw new HttpError(
        400,
        'The host query parameter is required: pass the serverAddress the Stream Manager assigned.',
      )
    }
    const first = nodes[0]
    if (!first) {
      throw new HttpError(404, 'No servers found.')
    }
    return first
  }
  const node = nodes.find((candidate) => candidate.serverAddress === host)
  if (!node) {
    throw new HttpError(400, `host ${host} is not a node of environment ${context.environment}.`)
  }
  return node
}

async function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  context: StreamManagerContext,
  parts: string[],
  query: URLSearchParams,
): Promise<void> {
  const [protocol, app, ...rest] = parts
  const stream = rest.join('/')
  if ((protocol !== 'whip' && protocol !== 'whep') || !app || stream === '') {
    throw new HttpError(404, 'Use /as/v1/proxy/whip|whep/{app}/{stream}?host={serverAddress}.')
  }
  const method = req.method ?? 'GET'
  if (!['OPTIONS', 'POST', 'PATCH', 'DELETE'].includes(method)) {
    throw new HttpError(405, `${method} is not supported by the proxy; use OPTIONS, POST, PATCH or DELETE.`)
  }
  const node = nodeFor(context, query.get('host'), method !== 'OPTIONS')
  const requestId = query.get('requestId')
  if (protocol === 'whep' && method === 'POST' && !requestId) {
    throw new HttpError(
      400,
      'The requestId query parameter is required for WHEP: one unique value per subscriber.',
    )
  }
  const resource = query.get('resource')
  if (resource !== null && (method === 'POST' || !resource.startsWith('/') || resource.startsWith('//'))) {
    throw new HttpError(
      400,
      'The resource query parameter must be a path on the node, on PATCH or DELETE only.',
    )
  }
  // What the node sees: its own endpoint (or the resource), with every parameter but ours.
  const forwarded = new URLSearchParams(query)
  forwarded.delete('host')
  forwarded.delete('resource')
  const search = forwarded.toString()
  const path =
    resource ??
    `/${encodeURIComponent(app)}/${protocol}/endpoint/${stream.split('/').map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`
  const proxyBase = `${context.baseUrl()}${PROXY}${protocol}/${encodeURIComponent(app)}/${stream.split('/').map(encodeURIComponent).join('/')}`
  const nodeOrigin = new URL(node.url).origin
  await forward(req, res, {
    nodeUrl: node.url,
    path,
    headers: { 'Session-Host': node.serverAddress },
    rewriteLocation: (absolute) => {
      if (absolute.origin !== nodeOrigin) {
        return absolute.href
      }
      const back = new URLSearchParams({ host: node.serverAddress })
      if (requestId) {
        back.set('requestId', requestId)
      }
      back.set('resource', `${absolute.pathname}${absolute.search}`)
      return `${proxyBase}?${back.toString()}`
    },
  })
}
