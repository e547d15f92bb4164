/**
 * Stream Manager 1.x, REST API 4.0 (Red5 Pro 7+):
 * `GET {sm}/streammanager/api/4.0/event/{app}/{stream}?action=broadcast|subscribe[&region=..][&strict=true]`
 * answers one object `{ name, scope, serverAddress, region }`; errors are `{ errorMessage, timestamp }`
 * with 400 or 404. The answer names no node role: `origin` for publish, `edge` for subscribe.
 * Signalling proxy (DESIGN section 10): `{sm}/{app}/whip|whep/endpoint/{stream}`.
 * @internal
 */
import { looseObject, nullable, optional, safeParse, string } from 'valibot'

import { signallingProtocol } from './endpoints'
import { encodeStreamPath } from './streamName'
import {
  describeIssue,
  firstStringField,
  queryString,
  quote,
  type AnswerReading,
  type AssignmentRequest,
  type StreamManagerClient,
} from './StreamManagerClient'

const Answer = looseObject({
  serverAddress: string(),
  name: optional(nullable(string())),
  scope: optional(nullable(string())),
  region: optional(nullable(string())),
})

/** The Stream Manager 1.x (REST API 4.0) generation. @internal */
export const streamManagerV1: StreamManagerClient = {
  api: 'sm1',
  label: 'Stream Manager 1.x (REST API 4.0)',

  assignmentUrl(request: AssignmentRequest): string {
    const path = `${request.base}/streammanager/api/4.0/event/${encodeURIComponent(request.app)}/${encodeStreamPath(request.streamName)}`
    return (
      path +
      queryString([
        ['action', request.kind === 'publish' ? 'broadcast' : 'subscribe'],
        ['region', request.region],
        ['strict', request.strict ? 'true' : undefined],
      ])
    )
  },

  readAnswer(body: unknown, request: AssignmentRequest): AnswerReading {
    const error = firstStringField(body, ['errorMessage', 'error'])
    if (error !== undefined) {
      return { ok: false, problem: `it is an error body, not a node: ${quote(error)}` }
    }
    if (Array.isArray(body)) {
      return {
        ok: false,
        problem:
          'it is a JSON array, where REST API 4.0 answers one object (is the environment really `api: "sm1"`?)',
      }
    }
    const parsed = safeParse(Answer, body)
    if (!parsed.success) {
      return { ok: false, problem: describeIssue(parsed.issues[0]) }
    }
    const region = parsed.output.region
    return {
      ok: true,
      answer: {
        serverAddress: parsed.output.serverAddress,
        nodeRole: request.kind === 'publish' ? 'origin' : 'edge',
        ...(typeof region === 'string' && region !== '' ? { region } : {}),
      },
    }
  },

  errorText(body: unknown): string | undefined {
    return firstStringField(body, ['errorMessage', 'error', 'message'])
  },

  proxyEndpoint(request: AssignmentRequest): string {
    return `${request.base}/${encodeURIComponent(request.app)}/${signallingProtocol(request.kind)}/endpoint/${encodeStreamPath(request.streamName)}`
  },
}
