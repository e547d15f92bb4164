/**
 * The assigner's settings, options and error mapping at their edges, against a real loopback Stream
 * Manager told to misbehave: what a user switches on (code, status, retryAfterMs) and what the message
 * tells them to do.
 */
import { afterEach, describe, expect, it } from 'vitest'

import { resolveEnvironment } from '../../src/environment'
import { isBlueGreenError, type BlueGreenError } from '../../src/errors'
import { createAssigner, type AssignerSettings } from '../../src/streammanager'
import type { ManifestEnvironment, StreamManagerApi } from '../../src/types'
import {
  closedPort,
  startStreamManagerServer,
  type StreamManagerServer,
  type StreamManagerServerOptions,
} from '../helpers/streamManagerServer'

const open: StreamManagerServer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

async function sm(
  options: Partial<StreamManagerServerOptions> & { api: StreamManagerApi },
): Promise<StreamManagerServer> {
  const s = await startStreamManagerServer(options)
  open.push(s)
  return s
}

function environment(
  s: { url: string },
  api: StreamManagerApi,
  extra: Partial<ManifestEnvironment> = {},
): ManifestEnvironment {
  return {
    streamManager: s.url,
    api,
    nodeGroup: 'default',
    app: 'live',
    transport: 'proxy',
    state: 'serving',
    ...extra,
  }
}

const env = resolveEnvironment({ random: () => 0 }, 'test')
const assigner = (settings: Partial<AssignerSettings> = {}) =>
  createAssigner(env, { timeoutMs: 2_000, retries: 0, backoffBaseMs: 0, ...settings })

async function failure(promise: Promise<unknown>): Promise<BlueGreenError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (isBlueGreenError(error)) {
    return error
  }
  throw error
}

describe('createAssigner() settings', () => {
  it.each([
    ['retries', 2.5],
    ['retries', 11],
    ['timeoutMs', 0],
    ['timeoutMs', '1000'],
    ['maxRetryAfterMs', 600_001],
    ['backoffBaseMs', Number.NaN],
    ['allowedHosts', '*.example.com'],
  ])('%s: %j is INVALID_ARGUMENT', (name, value) => {
    expect(() => createAssigner(env, { timeoutMs: 1000, [name]: value } as AssignerSettings)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(name) }),
    )
  })

  it('accepts the range ends', () => {
    expect(() => createAssigner(env, { timeoutMs: 1, retries: 10, maxRetryAfterMs: 600_000 })).not.toThrow()
    expect(() => createAssigner(env, { timeoutMs: 1, retries: 0, backoffCapMs: 0 })).not.toThrow()
  })
})

describe('resolve() options', () => {
  it.each([
    ['options that are not an object', null],
    ['a blank region', { region: '  ' }],
    ['a region with a control character', { region: 'eu\n' }],
    ['a token with a space', { token: 'a b' }],
    ['a numeric token', { token: 7 }],
    ['a non-boolean strict', { strict: 'yes' }],
    ['a signal that is not one', { signal: {} }],
    ['a signal without addEventListener', { signal: { aborted: false } }],
  ])('%s is INVALID_ARGUMENT naming the environment, before any request', async (_label, options) => {
    const s = await sm({ api: 'sm2' })
    const error = await failure(
      assigner().resolve('blue', environment(s, 'sm2'), 'cam', 'publish', options as never),
    )
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', environment: 'blue' })
    expect(s.requests).toHaveLength(0)
  })
})

describe('environments the assigner cannot use', () => {
  it.each([
    ['an unknown api', { api: 'sm3' }],
    ['a streamManager that is not a string', { streamManager: 42 }],
    ['a streamManager that is not an http(s) URL', { streamManager: 'ftp://sm.example.com' }],
  ])('%s is INVALID_ARGUMENT naming the environment, before any request', async (_label, patch) => {
    const s = await sm({ api: 'sm2' })
    const error = await failure(
      assigner().resolve(
        'blue',
        { ...environment(s, 'sm2'), ...patch } as ManifestEnvironment,
        'cam',
        'publish',
      ),
    )
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', environment: 'blue' })
    expect(s.requests).toHaveLength(0)
  })

  it('an empty region asks for no region at all', async () => {
    const s = await sm({ api: 'sm2' })
    await assigner().resolve('blue', environment(s, 'sm2', { region: '' }), 'cam', 'publish')
    expect(s.requests[0]?.path).not.toContain('subgroup')
    await assigner().resolve('blue', environment(s, 'sm2', { region: 'eu' }), 'cam', 'publish')
    expect(s.requests[1]?.path).toContain('subgroup=eu')
  })
})

describe('answers a user acts on', () => {
  const resolveWith = async (
    api: StreamManagerApi,
    fault: Parameters<StreamManagerServer['fail']>[0],
    kind: 'publish' | 'subscribe' = 'publish',
  ) => {
    const s = await sm({ api })
    s.fail(fault)
    return { error: await failure(assigner().resolve('blue', environment(s, api), 'cam', kind)), s }
  }

  it('401 asks for a token and is not retried', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'status', status: 401, body: { error: 'Unauthorized' } })
    const error = await failure(
      assigner({ retries: 2 }).resolve('blue', environment(s, 'sm2'), 'cam', 'publish'),
    )
    expect(error).toMatchObject({ code: 'STREAM_MANAGER_UNAVAILABLE', status: 401 })
    expect(error.message).toContain('Pass a valid `token`')
    expect(s.requests).toHaveLength(1)
  })

  it.each([403])('%i asks for a token too', async (status) => {
    const { error } = await resolveWith('sm2', { kind: 'status', status, body: { error: 'no' } })
    expect(error.message).toContain('Pass a valid `token`')
  })

  it.each([
    ['publish', 'refused to publish "cam"'],
    ['subscribe', 'refused to subscribe to "cam"'],
  ] as const)('409 on %s says what was refused', async (kind, text) => {
    const { error } = await resolveWith(
      'sm2',
      { kind: 'status', status: 409, body: { error: 'taken' } },
      kind,
    )
    expect(error).toMatchObject({ code: 'STREAM_MANAGER_UNAVAILABLE', status: 409 })
    expect(error.message).toContain(text)
    expect(error.message).toContain('"taken"')
  })

  it('a 503 after the retries says how long the server asked to wait, and carries retryAfterMs', async () => {
    const { error } = await resolveWith('sm2', {
      kind: 'status',
      status: 503,
      body: { error: 'busy' },
      headers: { 'retry-after': '2' },
    })
    expect(error).toMatchObject({ code: 'STREAM_MANAGER_UNAVAILABLE', status: 503, retryAfterMs: 2_000 })
    expect(error.message).toContain('(it asked for 2 s)')
    expect(error.message).toContain('1 attempts with backoff')
    const plain = await resolveWith('sm2', { kind: 'status', status: 503, body: { error: 'busy' } })
    expect(plain.error.message).not.toContain('asked for')
    expect(Object.hasOwn(plain.error, 'retryAfterMs')).toBe(false)
  })

  it('a 503 naming capacity is NO_CAPACITY with retryAfterMs', async () => {
    const { error } = await resolveWith('sm2', {
      kind: 'status',
      status: 503,
      body: { error: 'Server overloaded' },
      headers: { 'retry-after': '3' },
    })
    expect(error).toMatchObject({ code: 'NO_CAPACITY', retryAfterMs: 3_000 })
    expect(error.message).toContain('at capacity')
  })

  it.each([
    'max publishers reached',
    'maxsubscribers exceeded',
    'Maximum number of subscribers',
    'limit reached',
  ])('a 400 saying %j is NO_CAPACITY', async (text) => {
    const { error } = await resolveWith(
      'sm2',
      { kind: 'status', status: 400, body: { error: text } },
      'subscribe',
    )
    expect(error.code).toBe('NO_CAPACITY')
  })

  it.each(['Node group x not found', 'nodegroup x does not exist'])(
    'an sm2 400 saying %j names the missing node group',
    async (text) => {
      const { error } = await resolveWith(
        'sm2',
        { kind: 'status', status: 400, body: { error: text } },
        'subscribe',
      )
      expect(error.code).toBe('STREAM_MANAGER_UNAVAILABLE')
      expect(error.message).toContain('has no node group "default"')
    },
  )

  it('the same text from sm1 is just a missing stream (sm1 has no node groups)', async () => {
    const { error } = await resolveWith(
      'sm1',
      { kind: 'status', status: 404, body: { errorMessage: 'Node group x not found' } },
      'subscribe',
    )
    expect(error).toMatchObject({ code: 'STREAM_NOT_FOUND', status: 404 })
  })

  it('a 404 that is an HTML page (not the Stream Manager) is INVALID_RESPONSE naming the type', async () => {
    const { error } = await resolveWith('sm2', {
      kind: 'status',
      status: 404,
      body: '<html>',
      contentType: 'text/html',
    })
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('404 with "text/html", not a Stream Manager error body')
  })

  it('a 200 in another content type, or none, is INVALID_RESPONSE saying which', async () => {
    const plain = await resolveWith('sm2', {
      kind: 'status',
      status: 200,
      body: '[]',
      contentType: 'text/plain',
    })
    expect(plain.error.message).toContain('content type "text/plain" instead of JSON')
    const none = await resolveWith('sm2', { kind: 'status', status: 200, body: '[]', contentType: '' })
    expect(none.error.message).toContain('no content type instead of JSON')
  })

  it('418 is refused with the configuration hint, not retried', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'status', status: 418, body: { error: 'teapot' } })
    const error = await failure(
      assigner({ retries: 2 }).resolve('blue', environment(s, 'sm2'), 'cam', 'publish'),
    )
    expect(error).toMatchObject({ code: 'STREAM_MANAGER_UNAVAILABLE', status: 418 })
    expect(error.message).toContain('Not retried')
    expect(error.message).toContain('-> 418')
    expect(s.requests).toHaveLength(1)
  })

  it('a 2xx other than 200 with a node is an assignment', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'status', status: 299, body: [{ serverAddress: '10.0.0.9', nodeRole: 'origin' }] }, 1)
    const assignment = await assigner().resolve('blue', environment(s, 'sm2'), 'cam', 'publish')
    expect(assignment.serverAddress).toBe('10.0.0.9')
  })

  it('a 3xx without a Location is an unexpected status', async () => {
    const { error } = await resolveWith('sm2', { kind: 'status', status: 300, body: { error: 'choices' } })
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('unexpected status 300')
  })
})

describe('strict regions', () => {
  it('a node in any one of the comma-separated regions asked for strictly is accepted, whatever the case', async () => {
    const s = await sm({ api: 'sm1', region: 'EU-West-1' })
    s.fail({ kind: 'status', status: 200, body: { serverAddress: '10.0.0.1', region: 'EU-West-1' } }, 1)
    const assignment = await assigner().resolve('blue', environment(s, 'sm1'), 'cam', 'publish', {
      region: 'us-east-1, eu-west-1',
      strict: true,
    })
    expect(assignment.serverAddress).toBe('10.0.0.1')
  })

  it('without strict, a node in another region is accepted', async () => {
    const s = await sm({ api: 'sm1' })
    s.fail({ kind: 'status', status: 200, body: { serverAddress: '10.0.0.1', region: 'ap-south-1' } }, 1)
    const assignment = await assigner().resolve('blue', environment(s, 'sm1'), 'cam', 'publish', {
      region: 'eu-west-1',
    })
    expect(assignment.serverAddress).toBe('10.0.0.1')
  })

  it('strictly, a node elsewhere is INVALID_RESPONSE naming both regions', async () => {
    const s = await sm({ api: 'sm1' })
    s.fail({ kind: 'status', status: 200, body: { serverAddress: '10.0.0.1', region: 'ap-south-1' } }, 1)
    const error = await failure(
      assigner().resolve('blue', environment(s, 'sm1'), 'cam', 'publish', {
        region: 'eu-west-1',
        strict: true,
      }),
    )
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('"ap-south-1"')
  })
})

describe('transport failures', () => {
  it('a refused connection names the network error and the attempts', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const error = await failure(
      assigner({ retries: 1 }).resolve('blue', environment({ url }, 'sm2'), 'cam', 'publish'),
    )
    expect(error).toMatchObject({
      code: 'STREAM_MANAGER_UNAVAILABLE',
      environment: 'blue',
      streamName: 'cam',
    })
    expect(error.message).toContain('2 attempts with backoff')
    expect(error.message).toContain('ECONNREFUSED')
  })

  it('no answer within timeoutMs is TIMEOUT naming the bound', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'hang' })
    const error = await failure(
      assigner({ timeoutMs: 300 }).resolve('blue', environment(s, 'sm2'), 'cam', 'publish'),
    )
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toContain('within 300 ms')
  })

  it('an answer over the limit is INVALID_RESPONSE naming the limit', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'huge', bytes: 1024 * 1024 })
    const error = await failure(assigner().resolve('blue', environment(s, 'sm2'), 'cam', 'publish'))
    expect(error.code).toBe('STREAM_MANAGER_INVALID_RESPONSE')
    expect(error.message).toContain('larger than 65536 bytes')
  })

  it('an abort is ABORTED with the caller’s reason', async () => {
    const s = await sm({ api: 'sm2' })
    s.fail({ kind: 'hang' })
    const controller = new AbortController()
    const pending = failure(
      assigner().resolve('blue', environment(s, 'sm2'), 'cam', 'publish', { signal: controller.signal }),
    )
    setTimeout(() => controller.abort(new Error('user left')), 50)
    const error = await pending
    expect(error.code).toBe('ABORTED')
    expect((error.cause as Error).message).toBe('user left')
  })
})
