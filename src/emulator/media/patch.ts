/**
 * PATCH on a media node session: trickled ICE candidates (`application/trickle-ice-sdpfrag`) and the
 * SDP answer of a server-offer WHEP subscriber (`application/sdp`).
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { parseTrickleFragment } from '../../session/drivers/whip/sdp'
import { acceptBundleOnlySections } from './bundle'
import { MAX_SDP_BYTES, type NodeContext } from './context'
import { mediaType, readBody, sendJson } from './http'
import type { Resource } from './registry'

/** Answers a PATCH on `resource`. @internal */
export async function patch(
  context: NodeContext,
  resource: Resource,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { log } = context
  const type = mediaType(request)
  const body = await readBody(request, MAX_SDP_BYTES)
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
