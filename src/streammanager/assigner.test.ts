/**
 * The assigner against msw handlers speaking each generation's shapes: request shapes, answer
 * validation and the error mapping a user switches on.
 */
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { resolveEnvironment } from '../environment'
import { isBlueGreenError, type BlueGreenError, type BlueGreenErrorCode } from '../errors'
import type { ManifestEnvironment, StreamManagerApi } from '../types'
import { createAssigner, type AssignerSettings } from './assigner'

const BASE: Record<StreamManagerApi, string> = {
  sm1: 'https://blue-sm.example.com',
  sm2: 'https://green-sm.example.com/streaming',
}

/** Valid answers and error bodies, per generation, as the wire doc describes them. */
const WIRE = {
  sm1: {
    node: (serverAddress: unknown, region = 'us-east-1') => ({
      name: 'stage',
      scope: '/live',
      serverAddress,
      region,
    }),
    error: (message: string) => ({ errorMessage: message, timestamp: 1764151200000 }),
  },
  sm2: {
    node: (serverAddress: unknown, region = 'us-east-1', nodeRole = 'origin') => [
      {
        streamGuid: 'live/stage',
        serverAddress,
        nodeRole,
        subGroup: region,
        nodeState: 'INSERVICE',
        subscribers: 0,
      },
    ],
    error: (message: string) => ({ error: message }),
  },
} as const

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Every request the Stream Manager saw in this test. */
let seen: Request[] = []
afterEach(() => {
  seen = []
})

function answer(api: StreamManagerApi, respond: (request: Request) => Response | Promise<Response>): void {
  server.use(
    http.get(`${BASE[api]}/*`, ({ request }) => {
      seen.push(request)
      return respond(request)
    }),
  )
}

function environment(
  api: StreamManagerApi,
  overrides: Partial<ManifestEnvironment> = {},
): ManifestEnvironment {
  return {
    streamManager: BASE[api],
    api,
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
    ...overrides,
  }
}

/** random() = 0 makes every jittered backoff 0 ms, so retries cost no wall time. */
function assigner(settings: Partial<AssignerSettings> = {}) {
  return createAssigner(resolveEnvironment({ random: () => 0 }), { timeoutMs: 5000, ...settings })
}

async function failure(promise: Promise<unknown>, code: BlueGreenErrorCode): Promise<BlueGreenError> {
  try {
    await promise
  } catch (error) {
    if (!isBlueGreenError(error)) {
      throw error
    }
    expect(error.code, error.message).toBe(code)
    return error
  }
  throw new Error(`expected a ${code} rejection, but the call resolved`)
}

describe.each(['sm1', 'sm2'] as const)('resolve() on %s', (api) => {
  const wire = WIRE[api]
  const env = () => environment(api)

  it('returns the publish assignment with the proxy WHIP endpoint and no requestId', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const assignment = await assigner().resolve('blue', env(), 'stage', 'publish')
    expect(assignment).toEqual({
      environment: 'blue',
      kind: 'publish',
      streamName: 'stage',
      app: 'live',
      serverAddress: '10.0.0.5',
      nodeRole: 'origin',
      endpoint:
        api === 'sm1'
          ? 'https://blue-sm.example.com/live/whip/endpoint/stage'
          : 'https://green-sm.example.com/streaming/as/v1/proxy/whip/live/stage?host=10.0.0.5',
      transport: 'proxy',
      api,
      // Stream Manager 2.0: the node group asked, which Red5's SDK 13+ passes to the proxy
      ...(api === 'sm2' ? { nodeGroup: 'default' } : {}),
    })
    expect(assignment.endpoint).not.toMatch(/requestId/)
  })

  it('returns the subscribe assignment with the proxy WHEP endpoint', async () => {
    answer(api, () =>
      HttpResponse.json(
        api === 'sm1' ? WIRE.sm1.node('10.0.0.6') : WIRE.sm2.node('10.0.0.6', 'us-east-1', 'edge'),
      ),
    )
    const assignment = await assigner().resolve('blue', env(), 'stage', 'subscribe')
    expect(assignment.nodeRole).toBe('edge')
    expect(assignment.endpoint).toBe(
      api === 'sm1'
        ? 'https://blue-sm.example.com/live/whep/endpoint/stage'
        : 'https://green-sm.example.com/streaming/as/v1/proxy/whep/live/stage?host=10.0.0.6',
    )
  })

  it('asks at the generation-specific URL, keeping the Stream Manager path prefix', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    await assigner().resolve('blue', env(), 'stage', 'subscribe')
    expect(seen.map((r) => r.url)).toEqual([
      api === 'sm1'
        ? 'https://blue-sm.example.com/streammanager/api/4.0/event/live/stage?action=subscribe'
        : 'https://green-sm.example.com/streaming/as/v1/streams/stream/default/subscribe/live/stage',
    ])
  })

  it('percent-encodes stream names with spaces, Unicode, # and ? in the request and the endpoint', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const name = 'Stage 1 #ünï?x=1'
    const assignment = await assigner().resolve('blue', env(), name, 'publish')
    const encoded = 'Stage%201%20%23%C3%BCn%C3%AF%3Fx%3D1'
    expect(seen[0]?.url).toContain(`/live/${encoded}`)
    expect(new URL(seen[0]!.url).hash).toBe('')
    expect(assignment.endpoint).toContain(`/${encoded}`)
    expect(assignment.streamName).toBe(name)
  })

  it('sends the region and strict=true the generation understands', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5', 'eu-west-1')))
    await assigner().resolve('blue', env(), 'stage', 'publish', { region: 'eu-west-1', strict: true })
    const query = new URL(seen[0]!.url).searchParams
    expect(query.get(api === 'sm1' ? 'region' : 'subgroup')).toBe('eu-west-1')
    expect(query.get('strict')).toBe('true')
  })

  it("falls back to the manifest environment's region when the call names none", async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5', 'ap-south-1')))
    await assigner().resolve('blue', environment(api, { region: 'ap-south-1' }), 'stage', 'publish')
    expect(new URL(seen[0]!.url).searchParams.get(api === 'sm1' ? 'region' : 'subgroup')).toBe('ap-south-1')
  })

  it('fails loudly with STREAM_MANAGER_INVALID_RESPONSE when a strict region request comes back from another region', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5', 'us-east-1')))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish', { region: 'eu-west-1', strict: true }),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/region "us-east-1".*"eu-west-1"/)
  })

  it('sends the token as a bearer Authorization header, and nothing when there is no token', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const a = assigner()
    await a.resolve('blue', env(), 'stage', 'publish', { token: 'jwt.abc.def' })
    await a.resolve('blue', env(), 'stage', 'publish')
    expect(seen.map((r) => r.headers.get('authorization'))).toEqual(['Bearer jwt.abc.def', null])
  })

  it('never sends connectionParams to the Stream Manager (they are for the node)', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    await assigner().resolve('blue', env(), 'stage', 'publish', {
      connectionParams: { username: 'alice', password: 's3cret', token: 'node-token' },
    })
    const request = seen[0]!
    const everything = `${request.url} ${JSON.stringify([...request.headers])}`
    expect(everything).not.toMatch(/alice|s3cret|node-token/)
  })

  it('rejects with STREAM_NOT_FOUND when a subscriber asks for a stream that is not published (404)', async () => {
    answer(api, () => HttpResponse.json(wire.error('Stream stage is not published'), { status: 404 }))
    const error = await failure(assigner().resolve('blue', env(), 'stage', 'subscribe'), 'STREAM_NOT_FOUND')
    expect(error).toMatchObject({ status: 404, environment: 'blue', streamName: 'stage', url: seen[0]!.url })
    expect(error.message).toContain('Stream stage is not published')
    expect(seen).toHaveLength(1)
  })

  it('rejects with STREAM_NOT_FOUND for a subscriber answered 400', async () => {
    answer(api, () => HttpResponse.json(wire.error('Bad request: no such stream'), { status: 400 }))
    await failure(assigner().resolve('blue', env(), 'stage', 'subscribe'), 'STREAM_NOT_FOUND')
  })

  it('rejects with NO_CAPACITY when a publisher gets no node (404), without retrying', async () => {
    answer(api, () => HttpResponse.json(wire.error('No servers found'), { status: 404 }))
    const error = await failure(assigner().resolve('blue', env(), 'stage', 'publish'), 'NO_CAPACITY')
    expect(error).toMatchObject({ status: 404, environment: 'blue' })
    expect(seen).toHaveLength(1)
  })

  it('rejects with NO_CAPACITY for a subscriber when the Stream Manager says it is at capacity', async () => {
    answer(api, () =>
      HttpResponse.json(wire.error('Maximum subscribers reached: overloaded'), { status: 404 }),
    )
    await failure(assigner().resolve('blue', env(), 'stage', 'subscribe'), 'NO_CAPACITY')
  })

  it('retries a 503 and reports NO_CAPACITY with the status when the answer says it is overloaded', async () => {
    answer(api, () => HttpResponse.json(wire.error('Service overloaded'), { status: 503 }))
    const error = await failure(assigner().resolve('blue', env(), 'stage', 'publish'), 'NO_CAPACITY')
    expect(error.status).toBe(503)
    expect(seen).toHaveLength(3)
  })

  it('retries 5xx (3 attempts in all by default), then rejects with STREAM_MANAGER_UNAVAILABLE and the status', async () => {
    answer(api, () => HttpResponse.json(wire.error('internal error'), { status: 500 }))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error).toMatchObject({ status: 500, environment: 'blue', url: seen[0]!.url })
    expect(error.message).toMatch(/GET .* -> 500, environment "blue", 3 attempts/)
    expect(seen).toHaveLength(3)
  })

  it('retries as many times as `retries` says', async () => {
    answer(api, () => new HttpResponse(null, { status: 502 }))
    await failure(
      assigner({ retries: 4 }).resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(seen).toHaveLength(5)
  })

  it('succeeds when a retry succeeds after a 5xx', async () => {
    let calls = 0
    answer(api, () =>
      ++calls === 1 ? new HttpResponse(null, { status: 502 }) : HttpResponse.json(wire.node('10.0.0.5')),
    )
    expect((await assigner().resolve('blue', env(), 'stage', 'publish')).serverAddress).toBe('10.0.0.5')
    expect(seen).toHaveLength(2)
  })

  it('retries 429 and reports the Retry-After the server asked for on the final error', async () => {
    answer(api, () => new HttpResponse(null, { status: 429, headers: { 'retry-after': '0' } }))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error).toMatchObject({ status: 429, retryAfterMs: 0 })
    expect(seen).toHaveLength(3)
  })

  it('retries network errors, then rejects with STREAM_MANAGER_UNAVAILABLE', async () => {
    answer(api, () => HttpResponse.error())
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.url).toBe(seen[0]!.url)
    expect(error.message).toMatch(/Could not reach the Stream Manager .*3 attempts/)
    expect(seen).toHaveLength(3)
  })

  it.each([
    [401, /refused the request \(401\).*valid `token`/],
    [403, /refused the request \(403\).*valid `token`/],
    [409, /409 Conflict/],
    [405, /refused the request \(405\)/],
  ])(
    'does not retry a %i: one request, STREAM_MANAGER_UNAVAILABLE with the status',
    async (status, message) => {
      answer(api, () => HttpResponse.json(wire.error('nope'), { status }))
      const error = await failure(
        assigner().resolve('blue', env(), 'stage', 'publish', { token: 'secret-token-value' }),
        'STREAM_MANAGER_UNAVAILABLE',
      )
      expect(error.status).toBe(status)
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('secret-token-value')
      expect(seen).toHaveLength(1)
    },
  )

  it('rejects an HTML page answered with 200 as STREAM_MANAGER_INVALID_RESPONSE (url, status, environment)', async () => {
    answer(api, () => HttpResponse.html('<html><body>Welcome to nginx</body></html>'))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error).toMatchObject({ status: 200, environment: 'blue', url: seen[0]!.url })
    expect(error.message).toMatch(/content type "text\/html"/)
  })

  it('rejects JSON sent with a wrong content type as STREAM_MANAGER_INVALID_RESPONSE', async () => {
    answer(api, () => HttpResponse.text(JSON.stringify(wire.node('10.0.0.5'))))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/text\/plain/)
  })

  it('rejects invalid JSON as STREAM_MANAGER_INVALID_RESPONSE', async () => {
    answer(
      api,
      () =>
        new HttpResponse('{"serverAddress": "10.0.0.5"', { headers: { 'content-type': 'application/json' } }),
    )
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/not valid JSON/)
  })

  it('rejects an error body sent with 200 as STREAM_MANAGER_INVALID_RESPONSE, quoting it', async () => {
    answer(api, () => HttpResponse.json(wire.error('Origin lookup failed')))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toContain('Origin lookup failed')
  })

  it('rejects an HTML 404 (not a Stream Manager error body) as STREAM_MANAGER_INVALID_RESPONSE, not STREAM_NOT_FOUND', async () => {
    answer(api, () => HttpResponse.html('<h1>404 Not Found</h1>', { status: 404 }))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'subscribe'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/probably not a Stream Manager/)
    expect(error.message).toMatch(/`api`/)
  })

  it.each([
    ['a URL', 'http://10.0.0.5:5080/'],
    ['a scheme', 'javascript:alert(1)'],
    ['a path', '10.0.0.5/live'],
    ['spaces', '10.0.0.5 10.0.0.6'],
    ['an empty string', ''],
    ['a number', 1234],
    ['null', null],
  ])(
    'rejects a serverAddress that is %s as STREAM_MANAGER_INVALID_RESPONSE',
    async (_what, serverAddress) => {
      answer(api, () => HttpResponse.json(wire.node(serverAddress)))
      const error = await failure(
        assigner().resolve('blue', env(), 'stage', 'publish'),
        'STREAM_MANAGER_INVALID_RESPONSE',
      )
      expect(error).toMatchObject({ status: 200, environment: 'blue' })
      expect(error.message).toMatch(/serverAddress/)
    },
  )

  it('rejects an answer without serverAddress as STREAM_MANAGER_INVALID_RESPONSE', async () => {
    answer(api, () =>
      HttpResponse.json(api === 'sm1' ? { name: 'stage', scope: '/live' } : [{ nodeRole: 'origin' }]),
    )
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/serverAddress/)
  })

  it('rejects the other generation’s answer shape as STREAM_MANAGER_INVALID_RESPONSE (wrong `api` in the manifest)', async () => {
    answer(api, () =>
      HttpResponse.json(api === 'sm1' ? WIRE.sm2.node('10.0.0.5') : WIRE.sm1.node('10.0.0.5')),
    )
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(new RegExp(`api: "${api}"`))
  })

  it('rejects an answer over 64 KiB as STREAM_MANAGER_INVALID_RESPONSE, without retrying', async () => {
    answer(api, () => HttpResponse.json({ serverAddress: '10.0.0.5', padding: 'x'.repeat(70 * 1024) }))
    const error = await failure(
      assigner().resolve('blue', env(), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/larger than 65536 bytes/)
    expect(seen).toHaveLength(1)
  })

  it('rejects with ENVIRONMENT_OFFLINE and makes no request when the environment is offline', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const error = await failure(
      assigner().resolve('blue', environment(api, { state: 'offline' }), 'stage', 'publish'),
      'ENVIRONMENT_OFFLINE',
    )
    expect(error.environment).toBe('blue')
    expect(seen).toHaveLength(0)
  })

  it('serves a draining environment (new subscribers of a stream only there are served and move later)', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const draining = environment(api, { state: 'draining', drainDeadline: '2026-11-26T10:30:00Z' })
    expect((await assigner().resolve('blue', draining, 'stage', 'subscribe')).environment).toBe('blue')
  })

  it.each([[''], ['../admin'], ['/abs'], ['tab\there'], ['x'.repeat(256)]])(
    'rejects the stream name %j with INVALID_ARGUMENT and makes no request',
    async (name) => {
      answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
      await failure(assigner().resolve('blue', env(), name, 'publish'), 'INVALID_ARGUMENT')
      expect(seen).toHaveLength(0)
    },
  )

  it('rejects with HOST_NOT_ALLOWED when direct transport would signal to a node outside allowedHosts', async () => {
    answer(api, () => HttpResponse.json(wire.node('203.0.113.9:443')))
    const error = await failure(
      assigner({ allowedHosts: ['*.example.com'] }).resolve(
        'blue',
        environment(api, { transport: 'direct' }),
        'stage',
        'publish',
      ),
      'HOST_NOT_ALLOWED',
    )
    expect(error).toMatchObject({ host: '203.0.113.9', environment: 'blue' })
  })

  it('signals straight to an allowed node over https with direct transport', async () => {
    answer(api, () => HttpResponse.json(wire.node('node-7.nodes.example.com:8443')))
    const assignment = await assigner({ allowedHosts: ['*.example.com'] }).resolve(
      'blue',
      environment(api, { transport: 'direct' }),
      'a b',
      'subscribe',
    )
    expect(assignment.transport).toBe('direct')
    expect(assignment.endpoint).toBe('https://node-7.nodes.example.com:8443/live/whep/endpoint/a%20b')
  })

  it('does not apply allowedHosts to the node address with proxy transport (the client never contacts it)', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    const assignment = await assigner({ allowedHosts: ['*.example.com'] }).resolve(
      'blue',
      env(),
      'stage',
      'publish',
    )
    expect(assignment.serverAddress).toBe('10.0.0.5')
  })

  it('rejects with ABORTED at once when the signal is already aborted, making no request', async () => {
    answer(api, () => HttpResponse.json(wire.node('10.0.0.5')))
    await failure(
      assigner().resolve('blue', env(), 'stage', 'publish', { signal: AbortSignal.abort() }),
      'ABORTED',
    )
    expect(seen).toHaveLength(0)
  })
})

describe('resolve() on sm2 node groups', () => {
  it('asks the node group given in the call instead of the manifest one', async () => {
    answer('sm2', () => HttpResponse.json(WIRE.sm2.node('10.0.0.5')))
    await assigner().resolve('green', environment('sm2', { nodeGroup: 'group-a' }), 'stage', 'publish', {
      nodeGroup: 'group-b',
    })
    expect(new URL(seen[0]!.url).pathname).toBe('/streaming/as/v1/streams/stream/group-b/publish/live/stage')
  })

  it('explains a missing node group instead of calling it a missing stream', async () => {
    answer('sm2', () => HttpResponse.json({ error: 'Node group not found for group-x' }, { status: 404 }))
    const error = await failure(
      assigner().resolve('green', environment('sm2', { nodeGroup: 'group-x' }), 'stage', 'subscribe'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.status).toBe(404)
    expect(error.message).toMatch(/no node group "group-x".*Set `nodeGroup`/)
    expect(seen).toHaveLength(1)
  })

  it('rejects an empty array of nodes as STREAM_MANAGER_INVALID_RESPONSE', async () => {
    answer('sm2', () => HttpResponse.json([]))
    const error = await failure(
      assigner().resolve('green', environment('sm2'), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.message).toMatch(/empty list of nodes/)
  })
})

describe('resolve() arguments and settings', () => {
  it.each([
    [{ region: '' }, /`region`/],
    [{ nodeGroup: 42 }, /`nodeGroup`/],
    [{ token: 'two words' }, /`token`/],
    [{ token: 'line\nbreak' }, /`token`/],
    [{ strict: 'yes' }, /`strict`/],
    [{ signal: { aborted: 'no' } }, /`signal`/],
  ])('rejects the options %j with INVALID_ARGUMENT before any request', async (options, message) => {
    answer('sm2', () => HttpResponse.json(WIRE.sm2.node('10.0.0.5')))
    const error = await failure(
      assigner().resolve('green', environment('sm2'), 'stage', 'publish', options as never),
      'INVALID_ARGUMENT',
    )
    expect(error.message).toMatch(message)
    expect(seen).toHaveLength(0)
  })

  it('rejects an unknown kind with INVALID_ARGUMENT', async () => {
    await failure(
      assigner().resolve('green', environment('sm2'), 'stage', 'watch' as never),
      'INVALID_ARGUMENT',
    )
  })

  it('rejects an environment whose streamManager is not an http(s) URL with INVALID_ARGUMENT', async () => {
    await failure(
      assigner().resolve(
        'green',
        environment('sm2', { streamManager: 'ftp://sm.example.com' }),
        'stage',
        'publish',
      ),
      'INVALID_ARGUMENT',
    )
  })

  it.each([
    [{ timeoutMs: 0 }],
    [{ timeoutMs: 1000, retries: -1 }],
    [{ timeoutMs: 1000, retries: 1.5 }],
    [{ timeoutMs: 1000, maxRetryAfterMs: Number.NaN }],
  ])('createAssigner() rejects the settings %j with INVALID_ARGUMENT', (settings) => {
    expect(() => createAssigner(resolveEnvironment({}), settings)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})
