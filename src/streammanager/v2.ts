/**
 * Stream Manager 2.0 (Red5 Pro 12+, `/as/v1`):
 * `GET {sm}/as/v1/streams/stream/{nodeGroup}/publish|subscribe/{app}/{stream}[?subgroup=..][&strict=true]`
 * answers an ARRAY of `{ streamGuid, serverAddress, nodeRole, subGroup, nodeState, subscribers }`; the
 * first entry is the node to use. Errors are `{ error }` with 404 (node group not found, no servers,
 * stream not carried) or 400. A region asked for is sent as `subgroup` (the sub-group list, in order of
 * preference); with `strict`, the answer's `subGroup` is checked so an ignored parameter fails loudly.
 * Signalling proxy: `{sm}/as/v1/proxy/whip|whep/{app}/{stream}?host={serverAddress}`.
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

const Entry = looseObject({
  serverAddress: string(),
  nodeRole: string(),
  streamGuid: optional(nullable(string())),
  subGroup: optional(nullable(string())),
})

const ROLE = /^[a-z][a-z0-9_-]{0,31}$/i

/** The Stream Manager 2.0 (`/as/v1`) generation. @internal */
export const streamManagerV2: StreamManagerClient = {
  api: 'sm2',
  label: 'Stream Manager 2.0 (/as/v1)',

  assignmentUrl(request: AssignmentRequest): string {
    const path =
      `${request.base}/as/v1/streams/stream/${encodeURIComponent(request.nodeGroup)}/${request.kind}/` +
      `${encodeURIComponent(request.app)}/${encodeStreamPath(request.streamName)}`
    return (
      path +
      queryString([
        ['subgroup', request.region],
        ['strict', request.strict ? 'true' : undefined],
      ])
    )
  },

  readAnswer(body: unknown): AnswerReading {
    if (!Array.isArray(body)) {
      const error = firstStringField(body, ['error', 'errorMessage', 'message'])
      return {
        ok: false,
        problem:
          error === undefined
            ? 'it is not a JSON array of nodes (is the environment really `api: "sm2"`?)'
            : `it is an error body, not a list of nodes: ${quote(error)}`,
      }
    }
    if (body.length === 0) {
      return { ok: false, problem: 'it is an empty list of nodes' }
    }
    const parsed = safeParse(Entry, body[0])
    if (!parsed.success) {
      return { ok: false, problem: describeIssue(parsed.issues[0], '[0].') }
    }
    const { serverAddress, nodeRole, subGroup } = parsed.output
    if (!ROLE.test(nodeRole)) {
      return { ok: false, problem: `\`[0].nodeRole\` is not a node role: ${quote(nodeRole)}` }
    }
    return {
      ok: true,
      answer: {
        serverAddress,
        nodeRole: nodeRole.toLowerCase(),
        ...(typeof subGroup === 'string' && subGroup !== '' ? { region: subGroup } : {}),
      },
    }
  },

  errorText(body: unknown): string | undefined {
    return firstStringField(body, ['error', 'errorMessage', 'message'])
  },

  proxyEndpoint(request: AssignmentRequest, serverAddress: string): string {
    return (
      `${request.base}/as/v1/proxy/${signallingProtocol(request.kind)}/${encodeURIComponent(request.app)}/` +
      `${encodeStreamPath(request.streamName)}${queryString([['host', serverAddress]])}`
    )
  },
}
