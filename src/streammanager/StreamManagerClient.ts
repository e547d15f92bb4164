/**
 * What each Stream Manager API generation knows: how to ask for a node, how to read the answer, where
 * the proxy signalling endpoints are. One implementation per generation (`v1.ts`, `v2.ts`), like one
 * handler per browser; the assigner does the I/O through the shared HTTP layer and stays generic.
 * Implementations are pure: no I/O, no state.
 * @internal
 */
import { getDotPath, type BaseIssue } from 'valibot'

import type { SessionKind, StreamManagerApi } from '../types'

/** One request for a node, with every default applied. @internal */
export interface AssignmentRequest {
  /** Stream Manager base URL, path prefix kept, no trailing `/` (see `streamManagerBase`). */
  readonly base: string
  /** Webapp (scope). */
  readonly app: string
  /** Stream Manager 2.0 node group (ignored by 1.x). */
  readonly nodeGroup: string
  /** The validated stream name. */
  readonly streamName: string
  readonly kind: SessionKind
  /** Region (1.x `region`) or sub-group list (2.0 `subgroup`), when asked for. */
  readonly region?: string
  /** Fail rather than fall back to another region. */
  readonly strict: boolean
}

/** The node a Stream Manager answered with, before the address is checked. @internal */
export interface RawNodeAnswer {
  /** `serverAddress` as sent (type-checked as a string, not yet as an address). */
  readonly serverAddress: string
  /** `origin`, `edge`, `relay`, `transcoder`, `allinone`, ... */
  readonly nodeRole: string
  /** The region (1.x) or sub-group (2.0) the Stream Manager says the node is in. */
  readonly region?: string
}

/** The result of reading a 2xx JSON body. @internal */
export type AnswerReading =
  | { readonly ok: true; readonly answer: RawNodeAnswer }
  | { readonly ok: false; readonly problem: string }

/** One Stream Manager API generation. @internal */
export interface StreamManagerClient {
  /** `sm1` or `sm2`. */
  readonly api: StreamManagerApi
  /** Human name for messages, e.g. "Stream Manager 2.0 (/as/v1)". */
  readonly label: string
  /** The GET URL that asks for a node (every path segment and query value percent-encoded). */
  assignmentUrl(request: AssignmentRequest): string
  /** Reads a parsed 2xx JSON body. */
  readAnswer(body: unknown, request: AssignmentRequest): AnswerReading
  /** The error text of a parsed error body (`{ errorMessage }` / `{ error }`), if it has one. */
  errorText(body: unknown): string | undefined
  /** The WHIP (publish) / WHEP (subscribe) URL on the Stream Manager's signalling proxy. */
  proxyEndpoint(request: AssignmentRequest, serverAddress: string): string
}

/** `key=value` pairs percent-encoded (`%20` for spaces, never `+`). @internal */
export function queryString(pairs: readonly (readonly [string, string | undefined])[]): string {
  const parts = pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

/** The first string among `fields` of an object body. @internal */
export function firstStringField(body: unknown, fields: readonly string[]): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return undefined
  }
  const record = body as Record<string, unknown>
  for (const field of fields) {
    const value = record[field]
    if (typeof value === 'string' && value.trim() !== '') {
      return value
    }
  }
  return undefined
}

/** "`serverAddress`: Invalid type: Expected string but received undefined" from a valibot issue. @internal */
export function describeIssue(issue: BaseIssue<unknown>, prefix = ''): string {
  const path = getDotPath(issue)
  const where = path ? `\`${prefix}${path}\`` : prefix ? `\`${prefix.replace(/\.$/, '')}\`` : 'the body'
  return `${where}: ${issue.message}`
}

/** A server-provided text made safe to quote in a message: one line, at most 200 characters. @internal */
export function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line)
}
