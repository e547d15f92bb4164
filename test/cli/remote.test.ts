/**
 * `status` and `resolve` against a real loopback discovery server and Stream Manager 2.0 stand-in,
 * through the built binary.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { generateKeyPair, signManifest } from '../../src/discovery/dsse'
import { cli, closedPortUrl, ensureCliBuilt, sendJson, startServer, type TestServer } from './helpers'

/** A Stream Manager 2.0 stand-in: origins for any stream, edges only for `published` streams. */
function streamManager(published: Set<string>) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const match = /^\/as\/v1\/streams\/stream\/default\/(publish|subscribe)\/live\/([^/?]+)/.exec(
      request.url ?? '',
    )
    if (!match) {
      response.writeHead(404, { 'content-type': 'text/html' })
      response.end('<html>not here</html>')
      return
    }
    const [, kind, stream] = match as unknown as [string, string, string]
    if (kind === 'subscribe' && !published.has(stream)) {
      sendJson(response, 404, { error: `Stream ${stream} not found` })
      return
    }
    sendJson(response, 200, [
      {
        streamGuid: `live/${stream}`,
        serverAddress: kind === 'publish' ? '10.0.0.1' : '10.0.0.2',
        nodeRole: kind === 'publish' ? 'origin' : 'edge',
        subGroup: 'local',
      },
    ])
  }
}

let green: TestServer
let blue: TestServer
let discovery: TestServer
let document: unknown
let downUrl: string

function manifest(overrides: { blueUrl?: string; blueState?: string } = {}): Record<string, unknown> {
  return {
    manifestVersion: 1,
    revision: 7,
    issuedAt: new Date(Date.now() - 60_000).toISOString(),
    ttl: 15,
    roles: { production: 'green', staging: 'blue' },
    environments: {
      green: { streamManager: green.url, api: 'sm2', state: 'serving' },
      blue: {
        streamManager: overrides.blueUrl ?? blue.url,
        api: 'sm2',
        state: overrides.blueState ?? 'serving',
      },
    },
  }
}

beforeAll(async () => {
  await ensureCliBuilt()
  green = await startServer(streamManager(new Set(['stream1'])))
  blue = await startServer(streamManager(new Set()))
  discovery = await startServer((request, response) => {
    if (request.url === '/discovery.json') {
      sendJson(response, 200, document)
    } else {
      sendJson(response, 404, { error: 'no such file' })
    }
  })
  downUrl = await closedPortUrl()
}, 120_000)
afterAll(async () => {
  await Promise.all([green, blue, discovery].filter(Boolean).map((server) => server.close()))
})
afterEach(() => {
  document = undefined
})

const discoveryUrl = (): string => `${discovery.url}/discovery.json`

describe('status', () => {
  it('--json reports roles, revision, per-environment state and whether each Stream Manager answers', async () => {
    document = manifest({ blueState: 'draining' })
    ;(document as { environments: { blue: Record<string, unknown> } }).environments.blue.drainDeadline =
      new Date(Date.now() + 600_000).toISOString()
    const result = await cli(['status', '--discovery', discoveryUrl(), '--json'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const status = JSON.parse(result.stdout)
    expect(status).toMatchObject({
      discovery: discoveryUrl(),
      revision: 7,
      ttl: 15,
      roles: { production: 'green', staging: 'blue' },
      signature: { status: 'unsigned' },
      environments: {
        green: { state: 'serving', roles: ['production'], api: 'sm2', reachable: true, httpStatus: 404 },
        blue: { state: 'draining', roles: ['staging'], reachable: true },
      },
    })
    expect(status.environments.blue.drainDeadline).toMatch(/Z$/)
    expect(typeof status.environments.green.latencyMs).toBe('number')
  })

  it('prints an aligned table for people', async () => {
    document = manifest()
    const result = await cli(['status', '--discovery', discoveryUrl()])
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    const header = lines.find((line) => line.startsWith('ENVIRONMENT'))!
    const greenRow = lines.find((line) => line.startsWith('green'))!
    expect(header).toBeDefined()
    expect(greenRow).toMatch(/^green\s+production\s+serving\s+-\s+sm2\s+http:\/\/127\.0\.0\.1:\d+\s+yes/)
    // Columns line up: the STATE heading starts where each row's state does.
    expect(greenRow.indexOf('serving')).toBe(header.indexOf('STATE'))
    expect(result.stdout).toMatch(/^revision\s+7$/m)
  })

  it('--env limits the report to one environment, chosen by role', async () => {
    document = manifest()
    const result = await cli(['status', '--discovery', discoveryUrl(), '--env', 'staging', '--json'])
    expect(result.code).toBe(0)
    const status = JSON.parse(result.stdout)
    expect(status.selected).toBe('blue')
    expect(Object.keys(status.environments)).toEqual(['blue'])
  })

  it('exits 3 when a serving environment does not answer, and 0 when that environment is offline', async () => {
    document = manifest({ blueUrl: downUrl })
    const down = await cli(['status', '--discovery', discoveryUrl(), '--json'])
    expect(down.code).toBe(3)
    expect(JSON.parse(down.stdout).environments.blue).toMatchObject({
      reachable: false,
      error: 'ECONNREFUSED',
    })
    expect(down.stderr.trim().split('\n')).toHaveLength(1)
    expect(down.stderr).toMatch(/Stream Manager of blue .* did not answer/)

    document = manifest({ blueUrl: downUrl, blueState: 'offline' })
    const retired = await cli(['status', '--discovery', discoveryUrl(), '--json'])
    expect(retired.code).toBe(0)
    expect(JSON.parse(retired.stdout).environments.blue).toMatchObject({ state: 'offline', reachable: false })
  })

  it('checks the signature with --key: who signed it, or exit 1 for the wrong key', async () => {
    const [ops, other] = [await generateKeyPair(), await generateKeyPair()]
    document = await signManifest(JSON.stringify(manifest()), [
      { keyid: 'ops-2026', privateKey: ops.privateKeyPem },
    ])
    const signed = await cli([
      'status',
      '--discovery',
      discoveryUrl(),
      '--key',
      `ops-2026=${ops.publicKey}`,
      '--json',
    ])
    expect(signed.code).toBe(0)
    expect(JSON.parse(signed.stdout).signature).toEqual({
      status: 'valid',
      signedBy: ['ops-2026'],
      threshold: 1,
    })

    const unchecked = await cli(['status', '--discovery', discoveryUrl(), '--json'])
    expect(unchecked.code).toBe(0)
    expect(JSON.parse(unchecked.stdout).signature).toEqual({ status: 'unchecked', keyids: ['ops-2026'] })

    const wrong = await cli(['status', '--discovery', discoveryUrl(), '--key', other.publicKey])
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toBe('')
    expect(wrong.stderr).toMatch(/0 valid signature/)
  })

  it('exits 1 with the JSON path when the served manifest is one clients refuse', async () => {
    document = { ...manifest(), roles: { staging: 'blue' } }
    const result = await cli(['status', '--discovery', discoveryUrl()])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/\$\.roles\.production/)
  })

  it('uses the next mirror when the first is down, and says which one failed', async () => {
    document = manifest()
    const result = await cli([
      'status',
      '--discovery',
      `${downUrl}/discovery.json`,
      '--discovery',
      discoveryUrl(),
      '--json',
    ])
    expect(result.code).toBe(0)
    const status = JSON.parse(result.stdout)
    expect(status.discovery).toBe(discoveryUrl())
    expect(status.mirrors).toMatchObject([
      { ok: false, error: { code: 'DISCOVERY_UNAVAILABLE' } },
      { ok: true, revision: 7 },
    ])
    expect(result.stderr).toMatch(/warning: mirror .* failed/)
  })

  it('exits 3 with one line when the discovery URL is unreachable', async () => {
    const result = await cli(['status', '--discovery', `${downUrl}/discovery.json`])
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/Could not reach the discovery manifest/)
  })
})

describe('resolve', () => {
  it('prints the Assignment a subscriber would get, as JSON', async () => {
    document = manifest()
    const result = await cli(['resolve', 'stream1', '--discovery', discoveryUrl(), '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      environment: 'green',
      kind: 'subscribe',
      streamName: 'stream1',
      app: 'live',
      serverAddress: '10.0.0.2',
      nodeRole: 'edge',
      endpoint: `${green.url}/as/v1/proxy/whep/live/stream1?host=10.0.0.2`,
      transport: 'proxy',
      api: 'sm2',
      nodeGroup: 'default',
    })
  })

  it('--publish --env staging asks the staging Stream Manager for an origin', async () => {
    document = manifest()
    const result = await cli([
      'resolve',
      'stream1',
      '--discovery',
      discoveryUrl(),
      '--publish',
      '--env',
      'staging',
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^environment\s+blue \(staging, serving, revision 7\)$/m)
    expect(result.stdout).toMatch(/^node\s+10\.0\.0\.1 \(origin\)$/m)
    expect(result.stdout).toContain(`${blue.url}/as/v1/proxy/whip/live/stream1?host=10.0.0.1`)
    expect(blue.requests).toContain('GET /as/v1/streams/stream/default/publish/live/stream1')
  })

  it('exits 1 when the stream is not published there', async () => {
    document = manifest()
    const result = await cli(['resolve', 'nobody-here', '--discovery', discoveryUrl()])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/nobody-here/)
  })

  it('exits 3 when the discovery URL is unreachable', async () => {
    const result = await cli(['resolve', 'stream1', '--discovery', `${downUrl}/discovery.json`])
    expect(result.code).toBe(3)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})
