/**
 * The assigner over real HTTP (ky over undici) against a real loopback Stream Manager on 127.0.0.1
 * speaking each generation's shapes: happy paths, faults a network really produces (refused, reset,
 * reset mid-body, hang, stalled body, oversized body), retries, Retry-After, abort and in-flight sharing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

import { resolveEnvironment, type FetchLike } from '../../src/environment'
import { isBlueGreenError, type BlueGreenError, type BlueGreenErrorCode } from '../../src/errors'
import { createAssigner, type AssignerSettings } from '../../src/streammanager'
import type { ManifestEnvironment, StreamManagerApi } from '../../src/types'
import {
  closedPort,
  startStreamManagerServer,
  type StreamManagerServer,
  type StreamManagerServerOptions,
} from '../helpers/streamManagerServer'

const servers: StreamManagerServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(options: StreamManagerServerOptions): Promise<StreamManagerServer> {
  const server = await startStreamManagerServer(options)
  servers.push(server)
  return server
}

function environment(
  api: StreamManagerApi,
  streamManager: string,
  overrides: Partial<ManifestEnvironment> = {},
) {
  return {
    streamManager,
    api,
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
    ...overrides,
  } satisfies ManifestEnvironment
}

/** random() = 0: every jittered backoff is 0 ms, so a delay between attempts can only come from Retry-After. */
function assigner(settings: Partial<AssignerSettings> = {}, fetch?: FetchLike) {
  return createAssigner(resolveEnvironment({ random: () => 0, ...(fetch ? { fetch } : {}) }), {
    timeoutMs: 5000,
    ...settings,
  })
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

describe.each(['sm1', 'sm2'] as const)('assignments from a loopback %s Stream Manager', (api) => {
  it('assigns an origin to a publisher and an edge to a subscriber once the stream is published', async () => {
    const sm = await start({ api, prefix: '/sm', origin: '10.1.0.1', edge: '10.1.0.2' })
    const a = assigner()
    const env = environment(api, sm.url)
    const publish = await a.resolve('blue', env, 'stage', 'publish')
    expect(publish).toMatchObject({ serverAddress: '10.1.0.1', nodeRole: 'origin', api, transport: 'proxy' })
    expect(publish.endpoint).toBe(
      api === 'sm1'
        ? `${sm.url}/live/whip/endpoint/stage`
        : `${sm.url}/as/v1/proxy/whip/live/stage?host=10.1.0.1`,
    )

    await failure(a.resolve('blue', env, 'stage', 'subscribe'), 'STREAM_NOT_FOUND')
    sm.published.add('live/stage')
    const subscribe = await a.resolve('blue', env, 'stage', 'subscribe')
    expect(subscribe).toMatchObject({ serverAddress: '10.1.0.2', nodeRole: 'edge', kind: 'subscribe' })
    expect(sm.requests.every((r) => r.path.startsWith('/sm/'))).toBe(true)
  })

  it('percent-encodes names with spaces, Unicode, # and ? so the Stream Manager sees the exact name', async () => {
    const sm = await start({ api })
    const name = 'room 1/cam #2?ünï'
    sm.published.add(`live/${name}`)
    const assignment = await assigner().resolve('blue', environment(api, sm.url), name, 'subscribe')
    expect(assignment.streamName).toBe(name)
    expect(sm.requests[0]?.path).toContain('/live/room%201/cam%20%232%3F%C3%BCn%C3%AF')
  })

  it('signals straight to a loopback node over http with direct transport', async () => {
    const sm = await start({ api, origin: '127.0.0.1:5080' })
    const assignment = await assigner().resolve(
      'blue',
      environment(api, sm.url, { transport: 'direct' }),
      'stage',
      'publish',
    )
    expect(assignment.endpoint).toBe('http://127.0.0.1:5080/live/whip/endpoint/stage')
  })

  it('refuses a node outside allowedHosts with HOST_NOT_ALLOWED for direct transport', async () => {
    const sm = await start({ api, origin: '10.9.9.9:5080' })
    const error = await failure(
      assigner({ allowedHosts: ['127.0.0.1', '*.example.com'] }).resolve(
        'blue',
        environment(api, sm.url, { transport: 'direct' }),
        'stage',
        'publish',
      ),
      'HOST_NOT_ALLOWED',
    )
    expect(error.host).toBe('10.9.9.9')
  })

  it('sends the bearer token a protected Stream Manager needs; without it: one request, STREAM_MANAGER_UNAVAILABLE 401', async () => {
    const sm = await start({ api, token: 'jwt-123' })
    const env = environment(api, sm.url)
    const error = await failure(
      assigner().resolve('blue', env, 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.status).toBe(401)
    expect(sm.requests).toHaveLength(1)
    const assignment = await assigner().resolve('blue', env, 'stage', 'publish', { token: 'jwt-123' })
    expect(assignment.serverAddress).toBe('10.0.0.1')
  })

  it('reports NO_CAPACITY when a strict region request finds no node there', async () => {
    const sm = await start({ api, region: 'us-east-1' })
    await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish', {
        region: 'eu-west-1',
        strict: true,
      }),
      'NO_CAPACITY',
    )
    expect(sm.requests).toHaveLength(1)
  })

  it('retries 5xx with backoff (3 attempts by default), then reports STREAM_MANAGER_UNAVAILABLE with the status', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'status', status: 503, body: { error: 'maintenance' } })
    const error = await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error).toMatchObject({ status: 503, environment: 'blue' })
    expect(sm.requests).toHaveLength(3)
  })

  it('recovers when the Stream Manager comes back within the retries', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'status', status: 502 }, 2)
    const assignment = await assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish')
    expect(assignment.serverAddress).toBe('10.0.0.1')
    expect(sm.requests).toHaveLength(3)
  })

  it('does not retry a 4xx refusal: exactly one request', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'status', status: 403, body: { error: 'forbidden' } })
    const error = await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.status).toBe(403)
    expect(sm.requests).toHaveLength(1)
  })

  it('retries a connection reset before the answer and succeeds when the next attempt gets through', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'reset' }, 1)
    expect(
      (await assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish')).serverAddress,
    ).toBe('10.0.0.1')
    expect(sm.requests).toHaveLength(2)
  })

  it('retries a connection reset in the middle of the answer and succeeds on the next attempt', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'reset-mid-body' }, 1)
    expect(
      (await assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish')).serverAddress,
    ).toBe('10.0.0.1')
    expect(sm.requests).toHaveLength(2)
  })

  it('reports STREAM_MANAGER_UNAVAILABLE after every attempt was reset in the middle of the answer', async () => {
    const sm = await start({ api })
    sm.fail({ kind: 'reset-mid-body' })
    const error = await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.message).toMatch(/broke in the middle of the answer/)
    expect(sm.requests).toHaveLength(3)
  })

  it('rejects an HTML page with STREAM_MANAGER_INVALID_RESPONSE naming the URL and status', async () => {
    const sm = await start({ api })
    sm.fail({
      kind: 'status',
      status: 200,
      body: '<html><body>Login</body></html>',
      contentType: 'text/html',
    })
    const error = await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error).toMatchObject({ status: 200, url: expect.stringContaining(sm.url) })
  })

  it('rejects a Stream Manager of the other generation (HTML 404 on this path) with STREAM_MANAGER_INVALID_RESPONSE', async () => {
    const sm = await start({ api: api === 'sm1' ? 'sm2' : 'sm1' })
    const error = await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'subscribe'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
    expect(error.status).toBe(404)
  })

  it.each([
    ['empty', []],
    ['an error body', { error: 'lookup failed', errorMessage: 'lookup failed' }],
    [
      'a garbage serverAddress',
      api === 'sm1' ? { serverAddress: 'http://x/y' } : [{ serverAddress: 'http://x/y', nodeRole: 'origin' }],
    ],
    ['no serverAddress', api === 'sm1' ? { name: 'stage' } : [{ nodeRole: 'origin' }]],
  ])('rejects a 200 answer that is %s with STREAM_MANAGER_INVALID_RESPONSE', async (_what, body) => {
    const sm = await start({ api })
    sm.fail({ kind: 'status', status: 200, body })
    await failure(
      assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_INVALID_RESPONSE',
    )
  })

  it.each([[true], [false]])(
    'stops reading an answer over 64 KiB (Content-Length declared: %s): STREAM_MANAGER_INVALID_RESPONSE, one request',
    async (declareLength) => {
      const sm = await start({ api })
      sm.fail({ kind: 'huge', bytes: 4 * 1024 * 1024, declareLength })
      const error = await failure(
        assigner().resolve('blue', environment(api, sm.url), 'stage', 'publish'),
        'STREAM_MANAGER_INVALID_RESPONSE',
      )
      expect(error.message).toMatch(/larger than 65536 bytes/)
      expect(sm.requests).toHaveLength(1)
    },
  )

  it('makes no request for an invalid stream name', async () => {
    const sm = await start({ api })
    for (const name of ['', 'a/../b', '/x', 'x/', 'bell\u0007']) {
      await failure(assigner().resolve('blue', environment(api, sm.url), name, 'publish'), 'INVALID_ARGUMENT')
    }
    expect(sm.requests).toHaveLength(0)
  })
})

describe('transport failures against a loopback Stream Manager', () => {
  it('retries a refused connection (3 attempts), then reports STREAM_MANAGER_UNAVAILABLE saying so', async () => {
    const port = await closedPort()
    const attempts: string[] = []
    const counting: FetchLike = (input, init) => {
      attempts.push(input instanceof Request ? input.url : String(input))
      return globalThis.fetch(input, init)
    }
    const error = await failure(
      assigner({}, counting).resolve(
        'blue',
        environment('sm2', `http://127.0.0.1:${port}`),
        'stage',
        'publish',
      ),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error.message).toMatch(/ECONNREFUSED/)
    expect(error.url).toBe(`http://127.0.0.1:${port}/as/v1/streams/stream/default/publish/live/stage`)
    expect(attempts).toHaveLength(3)
  })

  it('reports TIMEOUT when the Stream Manager never answers', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'hang' })
    const error = await failure(
      assigner({ timeoutMs: 200 }).resolve('blue', environment('sm2', sm.url), 'stage', 'publish'),
      'TIMEOUT',
    )
    expect(error.message).toMatch(/did not answer within 200 ms/)
    expect(error.url).toContain(sm.url)
  })

  it('reports TIMEOUT when the answer starts but its body stalls', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'stall-body' })
    await failure(
      assigner({ timeoutMs: 200 }).resolve('blue', environment('sm2', sm.url), 'stage', 'publish'),
      'TIMEOUT',
    )
  })

  it('rejects with ABORTED when the signal aborts mid-request, and the HTTP request is cancelled', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'hang' })
    const controller = new AbortController()
    const call = assigner().resolve('blue', environment('sm2', sm.url), 'stage', 'publish', {
      signal: controller.signal,
    })
    await vi.waitFor(() => expect(sm.requests).toHaveLength(1))
    controller.abort()
    await failure(call, 'ABORTED')
    await vi.waitFor(() => expect(sm.abandoned).toBe(1))
    expect(sm.requests).toHaveLength(1)
  })

  it('rejects with ABORTED during a Retry-After wait instead of waiting it out', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'status', status: 503, headers: { 'retry-after': '30' } })
    const controller = new AbortController()
    const call = assigner({ maxRetryAfterMs: 30_000 }).resolve(
      'blue',
      environment('sm2', sm.url),
      'stage',
      'publish',
      {
        signal: controller.signal,
      },
    )
    await vi.waitFor(() => expect(sm.requests).toHaveLength(1))
    controller.abort()
    await failure(call, 'ABORTED')
    expect(sm.requests).toHaveLength(1)
  }, 8000)
})

describe('Retry-After from a loopback Stream Manager', () => {
  it('waits at least the Retry-After the server asked for before the next attempt', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'status', status: 503, headers: { 'retry-after': '1' } }, 1)
    const assignment = await assigner().resolve('blue', environment('sm2', sm.url), 'stage', 'publish')
    expect(assignment.serverAddress).toBe('10.0.0.1')
    expect(sm.requests).toHaveLength(2)
    // With random() = 0 the jittered backoff is 0 ms: only Retry-After can put 1 s between the attempts.
    expect(sm.requests[1]!.at - sm.requests[0]!.at).toBeGreaterThanOrEqual(950)
  })

  it('caps a long Retry-After at maxRetryAfterMs instead of giving up or hanging', async () => {
    const sm = await start({ api: 'sm1' })
    sm.fail({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, 1)
    const assignment = await assigner({ maxRetryAfterMs: 50 }).resolve(
      'blue',
      environment('sm1', sm.url),
      'stage',
      'publish',
    )
    expect(assignment.serverAddress).toBe('10.0.0.1')
    expect(sm.requests).toHaveLength(2)
  })

  it('reports the Retry-After on the final STREAM_MANAGER_UNAVAILABLE so callers can wait that long', async () => {
    const sm = await start({ api: 'sm2' })
    sm.fail({ kind: 'status', status: 503, headers: { 'retry-after': '7' } })
    const error = await failure(
      assigner({ maxRetryAfterMs: 0 }).resolve('blue', environment('sm2', sm.url), 'stage', 'publish'),
      'STREAM_MANAGER_UNAVAILABLE',
    )
    expect(error).toMatchObject({ status: 503, retryAfterMs: 7000 })
    expect(error.message).toMatch(/asked for 7 s/)
    expect(sm.requests).toHaveLength(3)
  })
})

describe('in-flight sharing against a loopback Stream Manager', () => {
  it('sends one request for ten identical resolves that start together (a page opening ten players)', async () => {
    const sm = await start({ api: 'sm2' })
    sm.published.add('live/stage')
    sm.answerDelayMs = 50
    const a = assigner()
    const env = environment('sm2', sm.url)
    const assignments = await Promise.all(
      Array.from({ length: 10 }, () => a.resolve('blue', env, 'stage', 'subscribe')),
    )
    expect(sm.requests).toHaveLength(1)
    expect(new Set(assignments.map((x) => x.endpoint)).size).toBe(1)
    expect(assignments.every((x) => x.serverAddress === '10.0.0.2')).toBe(true)
  })

  it('sends one request per kind when publish and subscribe resolves start together', async () => {
    const sm = await start({ api: 'sm1' })
    sm.published.add('live/stage')
    sm.answerDelayMs = 50
    const a = assigner()
    const env = environment('sm1', sm.url)
    const [p1, s1, p2, s2] = await Promise.all([
      a.resolve('blue', env, 'stage', 'publish'),
      a.resolve('blue', env, 'stage', 'subscribe'),
      a.resolve('blue', env, 'stage', 'publish'),
      a.resolve('blue', env, 'stage', 'subscribe'),
    ])
    expect(sm.requests).toHaveLength(2)
    expect([p1?.nodeRole, p2?.nodeRole, s1?.nodeRole, s2?.nodeRole]).toEqual([
      'origin',
      'origin',
      'edge',
      'edge',
    ])
  })

  it('keeps the shared request going for the others when one caller aborts', async () => {
    const sm = await start({ api: 'sm2' })
    const release = sm.hold()
    const a = assigner()
    const env = environment('sm2', sm.url)
    const quitter = new AbortController()
    const first = a.resolve('blue', env, 'stage', 'publish', { signal: quitter.signal })
    const others = Array.from({ length: 4 }, () => a.resolve('blue', env, 'stage', 'publish'))
    await vi.waitFor(() => expect(sm.requests).toHaveLength(1))
    quitter.abort()
    await failure(first, 'ABORTED')
    release()
    const assignments = await Promise.all(others)
    expect(assignments.map((x) => x.serverAddress)).toEqual(Array(4).fill('10.0.0.1'))
    expect(sm.requests).toHaveLength(1)
    expect(sm.abandoned).toBe(0)
  })

  it('keeps no result once a request has settled: the next resolve asks again', async () => {
    const sm = await start({ api: 'sm2' })
    const a = assigner()
    const env = environment('sm2', sm.url)
    await a.resolve('blue', env, 'stage', 'publish')
    await a.resolve('blue', env, 'stage', 'publish')
    expect(sm.requests).toHaveLength(2)
  })

  it('does not share between calls that differ in region or token', async () => {
    const sm = await start({ api: 'sm2', region: 'r1' })
    sm.answerDelayMs = 50
    const a = assigner()
    const env = environment('sm2', sm.url)
    await Promise.all([
      a.resolve('blue', env, 'stage', 'publish'),
      a.resolve('blue', env, 'stage', 'publish', { region: 'r1' }),
      a.resolve('blue', env, 'stage', 'publish', { token: 't1' }),
      a.resolve('blue', env, 'stage', 'publish', { token: 't2' }),
    ])
    expect(sm.requests).toHaveLength(4)
  })
})
