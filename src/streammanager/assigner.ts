/**
 * The assigner: asks an environment's Stream Manager (either API generation) which node carries a
 * stream, and turns the answer into an {@link Assignment} with the WHIP/WHEP endpoint to signal to.
 *
 * Data flow: validate (name, options, environment state) -> key -> in-flight sharing -> one GET
 * through the shared HTTP layer -> interpret status and body (per generation) -> per-caller
 * Assignment (transport, allowedHosts).
 */
import type { KyInstance } from 'ky'

import type { Environment } from '../environment'
import { abortedError, BlueGreenError, isBlueGreenError, type BlueGreenErrorCode } from '../errors'
import {
  getLimited,
  isJsonMediaType,
  mediaType,
  parseRetryAfter,
  type LimitedResponse,
} from '../internal/http'
import { hostAllowed } from '../internal/hosts'
import type { Assignment, ConnectionParams, ManifestEnvironment, SessionKind } from '../types'
import { directEndpoint, parseServerAddress, streamManagerBase, type NodeAddress } from './endpoints'
import { answerTooLarge, createStreamManagerHttp, MAX_ANSWER_BYTES } from './http'
import { InFlight } from './inflight'
import { validateStreamName } from './streamName'
import { quote, type AssignmentRequest, type StreamManagerClient } from './StreamManagerClient'
import { streamManagerV1 } from './v1'
import { streamManagerV2 } from './v2'

/** Options of one `resolve()` call. Re-exported by the client as `ResolveOptions`. */
export interface ResolveOptions {
  /**
   * Region to ask for: `region` on Stream Manager 1.x, the `subgroup` list (comma-separated, in order
   * of preference) on 2.0.
   * @default the environment's `region` from the manifest, if any
   */
  region?: string | undefined
  /**
   * Refuse a node outside `region` instead of falling back to another one (`strict=true`). With a
   * region, the answer's own region/sub-group is checked too, so a Stream Manager that ignored the
   * request fails with `STREAM_MANAGER_INVALID_RESPONSE` rather than silently.
   * @default false
   */
  strict?: boolean | undefined
  /**
   * Stream Manager 2.0 node group to ask (ignored by 1.x).
   * @default the environment's `nodeGroup` (`default` unless the manifest says otherwise)
   */
  nodeGroup?: string | undefined
  /**
   * Parameters for the node (round-trip authentication and the like). Never sent to the Stream
   * Manager: the driver passes them on the WHIP/WHEP requests. Accepted here so one options object can
   * travel from `publish()`/`subscribe()` to the assignment.
   */
  connectionParams?: ConnectionParams | undefined
  /**
   * Bearer token for Stream Managers that require one on assignment calls, sent as
   * `Authorization: Bearer <token>`. Never logged, never in an error message.
   */
  token?: string | undefined
  /** Cancels this call (other callers sharing the same request are not affected). */
  signal?: AbortSignal | undefined
}

/** How an assigner talks to Stream Managers. Built from the client's options. */
export interface AssignerSettings {
  /** Bound on each HTTP attempt (headers, then the body separately), in milliseconds. */
  timeoutMs: number
  /**
   * Host patterns `serverAddress` must match for `direct` transport (`*` = one or more DNS labels).
   * @default no restriction
   */
  allowedHosts?: readonly string[] | undefined
  /**
   * Signal to non-loopback nodes over plain `http` in `direct` transport.
   * @default false
   */
  allowInsecure?: boolean | undefined
  /**
   * Retries after the first attempt for 5xx, 408, 429 and network errors (0..10).
   * @default 2 (3 attempts in all)
   */
  retries?: number | undefined
  /**
   * First backoff step in ms; doubles per retry, full jitter.
   * @default 250
   */
  backoffBaseMs?: number | undefined
  /**
   * Largest backoff step in ms.
   * @default 5000
   */
  backoffCapMs?: number | undefined
  /**
   * Largest `Retry-After` honoured, in ms (a longer one is waited for this long).
   * @default 10000
   */
  maxRetryAfterMs?: number | undefined
}

/** Asks Stream Managers for nodes. Create one per client with {@link createAssigner}. */
export interface Assigner {
  /**
   * Assignment for `streamName` on environment `name` described by `environment`.
   *
   * Identical calls that overlap in time (same Stream Manager, app, node group, stream, kind, region,
   * strict and token) share one HTTP request; nothing is cached once it settles.
   *
   * @param name - the environment's name in the manifest (goes into the Assignment and errors)
   * @param environment - the environment, defaults applied
   * @param streamName - checked with {@link validateStreamName} before any request
   * @param kind - `publish` (origin, WHIP) or `subscribe` (edge, WHEP)
   * @param options - region, strict, node group, token, signal
   * @throws {BlueGreenError} `INVALID_ARGUMENT` bad stream name, kind, option or Stream Manager URL (no request made);
   *   `ENVIRONMENT_OFFLINE` the environment is `offline` (no request made);
   *   `STREAM_NOT_FOUND` subscribe: the stream is not published there (400/404; `retryAfterMs` when the
   *   server sent `Retry-After`);
   *   `NO_CAPACITY` publish: no node available (400/404), or a capacity/overload answer;
   *   `STREAM_MANAGER_UNAVAILABLE` unreachable, 5xx/429/408 after retries, or a refusal such as 401/403/409
   *   (`status` set; `retryAfterMs` when the server sent `Retry-After`);
   *   `STREAM_MANAGER_INVALID_RESPONSE` not JSON, wrong shape, error body on a 2xx, bad `serverAddress`,
   *   over 64 KiB, or an HTML 404 (the URL is not a Stream Manager API);
   *   `HOST_NOT_ALLOWED` `direct` transport to a node outside `allowedHosts`;
   *   `TIMEOUT` an attempt got no answer within `timeoutMs`; `ABORTED` `options.signal` aborted.
   */
  resolve(
    name: string,
    environment: ManifestEnvironment,
    streamName: string,
    kind: SessionKind,
    options?: ResolveOptions,
  ): Promise<Assignment>
}

/** Settings with defaults applied. */
interface ResolvedSettings {
  readonly timeoutMs: number
  readonly allowedHosts: readonly string[] | undefined
  readonly allowInsecure: boolean
  readonly retries: number
  readonly backoffBaseMs: number
  readonly backoffCapMs: number
  readonly maxRetryAfterMs: number
}

/** The defaults of {@link AssignerSettings}. */
const DEFAULTS = { retries: 2, backoffBaseMs: 250, backoffCapMs: 5000, maxRetryAfterMs: 10_000 } as const

const CLIENTS: Readonly<Record<string, StreamManagerClient>> = { sm1: streamManagerV1, sm2: streamManagerV2 }

/** A node as an assignment needs it: checked address, role. */
interface NodeAnswer {
  readonly serverAddress: string
  readonly node: NodeAddress
  readonly nodeRole: string
}

/** What one shared request is about, for messages. */
interface RequestContext {
  readonly environment: string
  readonly streamName: string
  readonly request: AssignmentRequest
  readonly client: StreamManagerClient
  readonly url: string
  readonly attempts: number
}

function invalidArgument(
  message: string,
  extra: { environment?: string; streamName?: string } = {},
): BlueGreenError {
  return new BlueGreenError('INVALID_ARGUMENT', message, extra)
}

function checkNumber(value: unknown, name: string, min: number, max: number, integer = false): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalidArgument(
      `createAssigner: \`${name}\` must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}; got ${String(value)}.`,
    )
  }
}

function resolveSettings(settings: AssignerSettings): ResolvedSettings {
  const resolved: ResolvedSettings = {
    timeoutMs: settings.timeoutMs,
    allowedHosts: settings.allowedHosts,
    allowInsecure: settings.allowInsecure ?? false,
    retries: settings.retries ?? DEFAULTS.retries,
    backoffBaseMs: settings.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
    backoffCapMs: settings.backoffCapMs ?? DEFAULTS.backoffCapMs,
    maxRetryAfterMs: settings.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
  }
  checkNumber(resolved.timeoutMs, 'timeoutMs', 1, 2_147_483_647)
  checkNumber(resolved.retries, 'retries', 0, 10, true)
  checkNumber(resolved.backoffBaseMs, 'backoffBaseMs', 0, 600_000)
  checkNumber(resolved.backoffCapMs, 'backoffCapMs', 0, 600_000)
  checkNumber(resolved.maxRetryAfterMs, 'maxRetryAfterMs', 0, 600_000)
  if (resolved.allowedHosts !== undefined && !Array.isArray(resolved.allowedHosts)) {
    throw invalidArgument('createAssigner: `allowedHosts` must be an array of host patterns.')
  }
  return resolved
}

function optionalString(value: unknown, name: string, environment: string): string | undefined {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'string' || value.trim() === '' || /\p{Cc}/u.test(value)) {
    throw invalidArgument(
      `resolve(): \`${name}\` must be a non-empty string without control characters when given.`,
      { environment },
    )
  }
  return value
}

function checkOptions(options: ResolveOptions, environment: string): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('resolve(): `options` must be an object when given.', { environment })
  }
  optionalString(options.region, 'region', environment)
  optionalString(options.nodeGroup, 'nodeGroup', environment)
  if (
    options.token !== undefined &&
    (typeof options.token !== 'string' || !/^[\x21-\x7e]+$/.test(options.token))
  ) {
    throw invalidArgument(
      'resolve(): `token` must be a non-empty string of visible ASCII characters (it is sent as `Authorization: Bearer <token>`).',
      { environment },
    )
  }
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw invalidArgument('resolve(): `strict` must be a boolean when given.', { environment })
  }
  const signal = options.signal as Partial<AbortSignal> | undefined
  // Duck-typed: a signal from another realm (an iframe, a DOM shim) is still a signal.
  if (
    signal !== undefined &&
    (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')
  ) {
    throw invalidArgument('resolve(): `signal` must be an AbortSignal when given.', { environment })
  }
}

const CONFIG_HINT =
  "Check that the environment's `streamManager` is the Stream Manager base URL (path prefix included) and that `api` matches it " +
  '("sm1" = REST API 4.0 under /streammanager/api/4.0, "sm2" = Stream Manager 2.0 under /as/v1).'

const CAPACITY =
  /capacity|overload|maximum|max(?:imum)?\s*(?:number of\s*)?(?:publishers|subscribers)|limit (?:reached|exceeded)/i
const NODE_GROUP_MISSING = /node\s*group/i
const MISSING = /not found|does not exist|unknown|no such/i

function where(ctx: RequestContext, status?: number): string {
  return `GET ${ctx.url}${status === undefined ? '' : ` -> ${status}`}, environment "${ctx.environment}"`
}

function decodeJson(decoder: TextDecoder, body: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(body)) as unknown }
  } catch {
    return { ok: false }
  }
}

/** Turns one HTTP answer into a node, or the error a user can act on. */
function interpret(
  ctx: RequestContext,
  response: LimitedResponse,
  now: number,
  decoder: TextDecoder,
): NodeAnswer {
  const { status } = response
  const type = mediaType(response.headers)
  const json = isJsonMediaType(type) ? decodeJson(decoder, response.body) : { ok: false as const }
  const context = { url: ctx.url, status, environment: ctx.environment, streamName: ctx.streamName }
  const invalidResponse = (what: string, hint = CONFIG_HINT): BlueGreenError =>
    new BlueGreenError(
      'STREAM_MANAGER_INVALID_RESPONSE',
      `${ctx.client.label} ${what} (${where(ctx, status)}). ${hint}`,
      context,
    )

  if (status >= 200 && status < 300) {
    if (!isJsonMediaType(type)) {
      throw invalidResponse(
        `answered with ${type === '' ? 'no content type' : `content type "${type}"`} instead of JSON`,
      )
    }
    if (!json.ok) {
      throw invalidResponse('answered with a body that is not valid JSON')
    }
    const reading = ctx.client.readAnswer(json.value, ctx.request)
    if (!reading.ok) {
      throw invalidResponse(`answered ${status}, but ${reading.problem}`)
    }
    const { serverAddress, nodeRole, region } = reading.answer
    const node = parseServerAddress(serverAddress)
    if (!node) {
      throw invalidResponse(
        `answered with a \`serverAddress\` that is not a host or IP address (optionally with :port): ${quote(serverAddress)}`,
        "Node addresses must be bare hosts (no scheme, path or spaces); check the Stream Manager's node configuration.",
      )
    }
    const wanted = ctx.request.region
    if (ctx.request.strict && wanted !== undefined && region !== undefined) {
      const accepted = wanted.split(',').map((part) => part.trim().toLowerCase())
      if (!accepted.includes(region.toLowerCase())) {
        throw invalidResponse(
          `answered with a node in region ${quote(region)} although region ${quote(wanted)} was asked for strictly`,
          'The Stream Manager ignored the region request; check the region name (and, for "sm2", that it supports the `subgroup` parameter).',
        )
      }
    }
    return { serverAddress, node, nodeRole }
  }

  const serverText = json.ok ? ctx.client.errorText(json.value) : undefined
  const said = serverText === undefined ? '' : `: ${quote(serverText)}`
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now)
  const retryContext = retryAfterMs === undefined ? context : { ...context, retryAfterMs }
  const fail = (code: BlueGreenErrorCode, message: string, extra = context): BlueGreenError =>
    new BlueGreenError(code, message, extra)
  const kindText = ctx.request.kind === 'publish' ? 'publish' : 'subscribe to'

  if (status === 400 || status === 404) {
    if (!json.ok) {
      throw invalidResponse(
        `answered ${status} with ${type === '' ? 'no content type' : `"${type}"`}, not a Stream Manager error body: the URL is probably not a ${ctx.client.label} endpoint`,
      )
    }
    if (
      ctx.client.api === 'sm2' &&
      serverText !== undefined &&
      NODE_GROUP_MISSING.test(serverText) &&
      MISSING.test(serverText)
    ) {
      throw fail(
        'STREAM_MANAGER_UNAVAILABLE',
        `${ctx.client.label} has no node group "${ctx.request.nodeGroup}"${said} (${where(ctx, status)}). ` +
          'Set `nodeGroup` in the manifest (or ResolveOptions.nodeGroup) to an existing node group; "default" works only when there is exactly one.',
      )
    }
    if (serverText !== undefined && CAPACITY.test(serverText)) {
      throw fail(
        'NO_CAPACITY',
        `No node can take this stream right now${said} (${where(ctx, status)}). Retry later, or add capacity to environment "${ctx.environment}".`,
      )
    }
    if (ctx.request.kind === 'subscribe') {
      throw fail(
        'STREAM_NOT_FOUND',
        `Stream "${ctx.streamName}" is not published on environment "${ctx.environment}"${said} (${where(ctx, status)}). ` +
          'Start the publisher first, or retry: a stream being moved appears on the new environment once its publisher has moved.',
        retryContext,
      )
    }
    throw fail(
      'NO_CAPACITY',
      `No node is available to publish "${ctx.streamName}"${said} (${where(ctx, status)}). ` +
        `Retry later, check the region/strict options, or add origin capacity to environment "${ctx.environment}".`,
    )
  }
  if (status === 401 || status === 403 || status === 407) {
    throw fail(
      'STREAM_MANAGER_UNAVAILABLE',
      `The Stream Manager refused the request (${status})${said} (${where(ctx, status)}). ` +
        'Pass a valid `token` (sent as `Authorization: Bearer <token>`) if this Stream Manager requires one, ' +
        'or allow unauthenticated assignment calls on it. Not retried.',
    )
  }
  if (status === 409) {
    throw fail(
      'STREAM_MANAGER_UNAVAILABLE',
      `The Stream Manager refused to ${kindText} "${ctx.streamName}" (409 Conflict)${said} (${where(ctx, status)}). ` +
        'The name may already be in use on this environment: stop the other publisher or pick another name. Not retried.',
    )
  }
  if (status === 408 || status === 429 || status >= 500) {
    if (serverText !== undefined && CAPACITY.test(serverText)) {
      throw fail(
        'NO_CAPACITY',
        `The Stream Manager is at capacity${said} (${where(ctx, status)}, ${ctx.attempts} attempts). Retry later, or add capacity to environment "${ctx.environment}".`,
        retryContext,
      )
    }
    throw fail(
      'STREAM_MANAGER_UNAVAILABLE',
      `The Stream Manager kept failing (${status})${said} (${where(ctx, status)}, ${ctx.attempts} attempts with backoff). ` +
        `Retry later${retryAfterMs === undefined ? '' : ` (it asked for ${Math.ceil(retryAfterMs / 1000)} s)`}; if it persists, check the Stream Manager of environment "${ctx.environment}".`,
      retryContext,
    )
  }
  if (status >= 400) {
    throw fail(
      'STREAM_MANAGER_UNAVAILABLE',
      `The Stream Manager refused the request (${status})${said} (${where(ctx, status)}). ${CONFIG_HINT} Not retried.`,
    )
  }
  throw invalidResponse(`answered with unexpected status ${status}`)
}

/** Rewrites transport failures from the HTTP layer with the environment, stream and a remedy. */
function explainTransport(
  error: unknown,
  ctx: RequestContext,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): BlueGreenError {
  if (signal?.aborted) {
    return abortedError(`Resolving "${ctx.streamName}" on environment "${ctx.environment}"`, signal.reason)
  }
  const context = { url: ctx.url, environment: ctx.environment, streamName: ctx.streamName }
  if (!isBlueGreenError(error)) {
    return new BlueGreenError(
      'STREAM_MANAGER_UNAVAILABLE',
      `Could not reach the Stream Manager (${where(ctx)}).`,
      {
        ...context,
        cause: error,
      },
    )
  }
  switch (error.code) {
    case 'TIMEOUT':
      return new BlueGreenError(
        'TIMEOUT',
        `The Stream Manager did not answer within ${timeoutMs} ms (${where(ctx)}). Check that it is up and reachable, or raise timeoutMs.`,
        { ...context, cause: error },
      )
    case 'STREAM_MANAGER_UNAVAILABLE':
      return new BlueGreenError(
        'STREAM_MANAGER_UNAVAILABLE',
        `Could not reach the Stream Manager (${where(ctx)}, ${ctx.attempts} attempts with backoff): ${networkDetail(error)}. ` +
          'Check that it is up and reachable from here (URL, DNS, network, CORS); retry later.',
        { ...context, cause: error },
      )
    case 'STREAM_MANAGER_INVALID_RESPONSE':
      return new BlueGreenError(
        'STREAM_MANAGER_INVALID_RESPONSE',
        `${ctx.client.label} sent an answer larger than ${MAX_ANSWER_BYTES} bytes (${where(ctx)}). ${CONFIG_HINT}`,
        { ...context, cause: error },
      )
    default:
      return error
  }
}

function networkDetail(error: BlueGreenError): string {
  const parts: string[] = []
  let current: unknown = error.cause
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    parts.push(
      typeof code === 'string' && !current.message.includes(code)
        ? `${current.message} (${code})`
        : current.message,
    )
    current = current.cause
  }
  return parts.length === 0 ? 'network error' : parts.join(': ')
}

/**
 * Creates the assigner a client uses for every `resolve()`. Cheap; holds no connection and starts no
 * timer until `resolve()` is called.
 *
 * @param env - every side effect (fetch, clock, random, logger)
 * @param settings - timeout, host rules and retry tuning
 * @throws {BlueGreenError} `INVALID_ARGUMENT` when a setting is out of range.
 * @internal
 *
 * @example
 * ```ts
 * const assigner = createAssigner(resolveEnvironment({}), { timeoutMs: 10_000, allowedHosts: ['*.example.com'] })
 * const assignment = await assigner.resolve('green', manifest.environments.green, 'stage', 'subscribe')
 * assignment.endpoint // WHEP URL, e.g. https://green-sm.example.com/as/v1/proxy/whep/live/stage?host=10.0.0.7
 * ```
 */
export function createAssigner(env: Environment, settings: AssignerSettings): Assigner {
  const resolved = resolveSettings(settings)
  let http: KyInstance | undefined
  const inflight = new InFlight<NodeAnswer>()
  const log = env.logger
  const decoder = new TextDecoder('utf-8', { fatal: true })
  // Normalised Stream Manager base URLs by manifest value (a handful per client; bounded anyway).
  const bases = new Map<string, string | undefined>()
  const baseOf = (streamManager: string): string | undefined => {
    if (!bases.has(streamManager)) {
      if (bases.size >= 64) {
        bases.clear()
      }
      bases.set(streamManager, streamManagerBase(streamManager))
    }
    return bases.get(streamManager)
  }

  const fetchNode = async (
    ctx: RequestContext,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<NodeAnswer> => {
    http ??= createStreamManagerHttp(env, resolved)
    log.debug(`GET ${ctx.url} (${ctx.request.kind} "${ctx.streamName}" on environment "${ctx.environment}")`)
    let response: LimitedResponse
    try {
      response = await getLimited(http, ctx.url, {
        what: `the Stream Manager of environment "${ctx.environment}"`,
        unavailableCode: 'STREAM_MANAGER_UNAVAILABLE',
        maxBytes: MAX_ANSWER_BYTES,
        tooLarge: answerTooLarge,
        headers: {
          accept: 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        signal,
      })
    } catch (error) {
      throw explainTransport(error, ctx, signal, resolved.timeoutMs)
    }
    const answer = interpret(ctx, response, env.clock.now(), decoder)
    log.debug(
      `${ctx.request.kind} "${ctx.streamName}" on "${ctx.environment}" -> ${answer.serverAddress} (${answer.nodeRole})`,
    )
    return answer
  }

  return {
    async resolve(name, environment, streamName, kind, options = {}) {
      validateStreamName(streamName)
      if (kind !== 'publish' && kind !== 'subscribe') {
        throw invalidArgument(
          `resolve(): \`kind\` must be "publish" or "subscribe"; got ${quote(String(kind))}.`,
          {
            environment: name,
            streamName,
          },
        )
      }
      checkOptions(options, name)
      const client = CLIENTS[environment.api]
      if (!client) {
        throw invalidArgument(
          `Environment "${name}" has \`api\` ${quote(String(environment.api))}; expected "sm1" (Stream Manager 1.x) or "sm2" (Stream Manager 2.0).`,
          { environment: name },
        )
      }
      if (environment.state === 'offline') {
        throw new BlueGreenError(
          'ENVIRONMENT_OFFLINE',
          `Environment "${name}" is offline in the manifest: no session starts there. Select another environment, or wait until the operator brings it back.`,
          { environment: name, streamName },
        )
      }
      const base =
        typeof environment.streamManager === 'string' ? baseOf(environment.streamManager) : undefined
      if (base === undefined) {
        throw invalidArgument(
          `Environment "${name}" has a \`streamManager\` that is not an absolute http(s) URL: ${quote(String(environment.streamManager))}.`,
          { environment: name },
        )
      }
      const region = options.region ?? environment.region
      const request: AssignmentRequest = {
        base,
        app: environment.app,
        nodeGroup: options.nodeGroup ?? environment.nodeGroup,
        streamName,
        kind,
        ...(region === undefined || region === '' ? {} : { region }),
        strict: options.strict ?? false,
      }
      const url = client.assignmentUrl(request)
      const ctx: RequestContext = {
        environment: name,
        streamName,
        request,
        client,
        url,
        attempts: resolved.retries + 1,
      }
      const token = options.token
      const key = JSON.stringify([name, url, token ?? null])
      const answer = await inflight.run(
        key,
        (signal) => fetchNode(ctx, token, signal),
        options.signal,
        (reason) => abortedError(`Resolving "${streamName}" (${kind}) on environment "${name}"`, reason),
      )

      let endpoint: string
      if (environment.transport === 'direct') {
        const patterns = resolved.allowedHosts
        // The check applies when allowedHosts is set (DESIGN 10); an empty list sets nothing.
        if (patterns !== undefined && patterns.length > 0 && !hostAllowed(answer.node.host, patterns)) {
          throw new BlueGreenError(
            'HOST_NOT_ALLOWED',
            `The Stream Manager assigned node "${answer.serverAddress}", whose host is not in allowedHosts (${where(ctx)}). ` +
              'Add a pattern for your nodes to allowedHosts, or use `transport: "proxy"` so signalling goes through the Stream Manager.',
            { host: answer.node.host, url, environment: name, streamName },
          )
        }
        endpoint = directEndpoint(answer.node, request.app, streamName, kind, resolved.allowInsecure)
      } else {
        endpoint = client.proxyEndpoint(request, answer.serverAddress)
      }
      return Object.freeze({
        environment: name,
        kind,
        streamName,
        app: request.app,
        serverAddress: answer.serverAddress,
        nodeRole: answer.nodeRole,
        endpoint,
        transport: environment.transport === 'direct' ? 'direct' : 'proxy',
        api: client.api,
        ...(client.api === 'sm2' ? { nodeGroup: request.nodeGroup } : {}),
      } satisfies Assignment)
    },
  }
}
