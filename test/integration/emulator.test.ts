/**
 * The emulator's control plane over real loopback HTTP: discovery, both Stream Managers and their
 * signalling proxies, the operator API, kill/revive, and a clean close. Media nodes are a recording fake
 * here (so every forwarded request can be checked byte for byte), except in the tests marked "real media
 * node", which use the werift node the emulator starts by default.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createClient, isBlueGreenError, type BlueGreenClient, type BlueGreenErrorCode } from '../../src'
import { validateManifest } from '../../src/discovery/manifest'
import { readBody, startHttpServer } from '../../src/emulator/http'
import { scopedLogger } from '../../src/environment'
import type { ClientOptions } from '../../src/options'
import {
  startEmulator,
  type Emulator,
  type EmulatorEvent,
  type EmulatorMediaNode,
  type EmulatorMediaNodeOptions,
  type EmulatorOptions,
  type EmulatorState,
  type MediaNodeFactory,
} from '../../src/emulator'

// ---------------------------------------------------------------------------------------------------
// A recording fake media node: answers WHIP/WHEP like a node would (201 + Location + SDP).

interface Recorded {
  method: string
  /** Raw path and query as received. */
  url: string
  contentType: string | undefined
  body: string
}

interface FakeNode extends EmulatorMediaNode {
  readonly received: Recorded[]
  readonly options: EmulatorMediaNodeOptions
  /** How the next answers spell Location. */
  locationStyle: 'relative' | 'absolute'
  killed: boolean
  closed: boolean
}

async function startFakeNode(options: EmulatorMediaNodeOptions): Promise<FakeNode> {
  const published = new Set<string>()
  let resources = 0
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = req.url ?? '/'
    node.received.push({ method: req.method ?? '', url, contentType: req.headers['content-type'], body })
    const path = url.split('?')[0]!
    const match = /^\/([^/]+)\/(whip|whep)\/(endpoint|resource)\/(.+)$/.exec(path)
    if (!match) {
      res.writeHead(404).end()
      return
    }
    const [, app, protocol, , rest] = match as unknown as [string, string, string, string, string]
    const stream = decodeURIComponent(rest.replace(/\/r\d+$/, ''))
    switch (req.method) {
      case 'OPTIONS':
        res.writeHead(204, { Link: '<stun:stun.example.net>; rel="ice-server"' }).end()
        return
      case 'POST': {
        if (protocol === 'whep' && !published.has(`${app}/${stream}`)) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`Stream ${stream} does not exist.`)
          return
        }
        if (protocol === 'whip') {
          published.add(`${app}/${stream}`)
        }
        const resource = `/${app}/${protocol}/resource/${rest}/r${++resources}?session=s${resources}`
        res.writeHead(201, {
          'content-type': 'application/sdp',
          location: node.locationStyle === 'absolute' ? `${node.url}${resource}` : resource,
          etag: `"r${resources}"`,
        })
        res.end(`v=0\r\no=fake ${protocol} answer\r\n`)
        return
      }
      case 'PATCH':
        res.writeHead(204).end()
        return
      case 'DELETE':
        if (protocol === 'whip') {
          published.delete(`${app}/${stream}`)
        }
        res.writeHead(200).end()
        return
      default:
        res.writeHead(405).end()
    }
  }
  const server = await startHttpServer(
    async (req, res) => handle(req, res, (await readBody(req)).toString('utf8')),
    { port: options.port ?? 0, logger: scopedLogger(undefined, 'test-server'), label: 'fake node' },
  )
  const { port } = server
  const stop = (): Promise<void> => server.close()
  const node: FakeNode = {
    name: options.name,
    serverAddress: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    received: [],
    options,
    locationStyle: 'relative',
    killed: false,
    closed: false,
    streams: () => [...published],
    hasStream: (app, stream) => published.has(`${app}/${stream}`),
    stats: () => ({ publishers: published.size, subscribers: 0, requests: [] }),
    async kill() {
      node.killed = true
      published.clear()
      await stop()
    },
    async close() {
      node.closed = true
      await stop()
    },
  }
  return node
}

/** A media node factory that keeps every fake node it started, by environment. */
function fakeNodes(): { factory: MediaNodeFactory; started: FakeNode[]; latest(env: string): FakeNode } {
  const started: FakeNode[] = []
  return {
    started,
    factory: async (options) => {
      const node = await startFakeNode(options)
      started.push(node)
      return node
    },
    latest(env) {
      const node = started.filter((n) => n.name.startsWith(env)).at(-1)
      if (!node) {
        throw new Error(`no fake node for ${env}`)
      }
      return node
    },
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()))
})

let nodes: ReturnType<typeof fakeNodes>
beforeEach(() => {
  nodes = fakeNodes()
})

async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ logger: false, mediaNode: nodes.factory, ...options })
  open.push(emu)
  return emu
}

function client(options: ClientOptions): BlueGreenClient {
  const c = createClient({ timeoutMs: 2_000, ...options })
  open.push(c)
  return c
}

async function rejection(promise: Promise<unknown>): Promise<{ code: BlueGreenErrorCode; message: string }> {
  try {
    await promise
  } catch (error) {
    if (isBlueGreenError(error)) {
      return { code: error.code, message: error.message }
    }
    throw error
  }
  throw new Error('expected a rejection')
}

/** GETs the manifest and checks it with the client's own rules; returns the response and the manifest. */
async function fetchManifest(emu: Emulator, headers: Record<string, string> = {}) {
  const response = await fetch(emu.discoveryUrl, { headers })
  const text = await response.text()
  if (response.status !== 200) {
    return { response, text, manifest: undefined }
  }
  const parsed = JSON.parse(text) as Record<string, unknown>
  const payload =
    typeof parsed.payload === 'string'
      ? JSON.parse(Buffer.from(parsed.payload, 'base64').toString('utf8'))
      : parsed
  return { response, text, manifest: validateManifest(payload, { now: Date.now() }) }
}

async function operator(emu: Emulator, path: string, body?: unknown) {
  const response = await fetch(`${emu.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { state: EmulatorState },
  }
}

/** Waits for the first event matching `predicate` (no deadline: the test timeout bounds it). */
function nextEvent(emu: Emulator, predicate: (event: EmulatorEvent) => boolean): Promise<EmulatorEvent> {
  return new Promise((resolve) => {
    const off = emu.onEvent((event) => {
      if (predicate(event)) {
        off()
        resolve(event)
      }
    })
  })
}

// ---------------------------------------------------------------------------------------------------

describe('discovery', () => {
  it('serves a manifest the client accepts: production green on Stream Manager 1.x, staging blue on 2.0', async () => {
    const emu = await emulator()
    const { manifest } = await fetchManifest(emu)
    expect(manifest).toMatchObject({
      revision: 1,
      ttl: 5,
      roles: { production: 'green', staging: 'blue' },
      environments: {
        green: { api: 'sm1', state: 'serving', streamManager: emu.environments.green.streamManager },
        blue: { api: 'sm2', state: 'serving', streamManager: emu.environments.blue.streamManager },
      },
    })
    expect(emu.environments.green.streamManager).not.toBe(emu.environments.blue.streamManager)
    expect(Date.parse(manifest!.expiresAt!)).toBeGreaterThan(Date.now() + 3_600_000)

    const c = client({ discovery: emu.discoveryUrl })
    expect(await c.ready()).toMatchObject({ name: 'green', role: 'production', api: 'sm1', revision: 1 })
    expect(c.manifest?.environments.blue).toMatchObject({ api: 'sm2', state: 'serving' })
  })

  it('answers with JSON, a strong ETag, Last-Modified, a cache lifetime within the ttl and CORS for any origin', async () => {
    const emu = await emulator({ ttl: 7 })
    const { response } = await fetchManifest(emu)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('etag')).toMatch(/^"[^"]+"$/)
    expect(Number.isNaN(Date.parse(response.headers.get('last-modified') ?? ''))).toBe(false)
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1])
    expect(maxAge).toBeGreaterThanOrEqual(0)
    expect(maxAge).toBeLessThanOrEqual(7)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-expose-headers')).toMatch(/ETag/)
    expect(response.headers.get('access-control-expose-headers')).toMatch(/Last-Modified/)

    const preflight = await fetch(emu.discoveryUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://example.test',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'if-none-match',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/if-none-match/i)
  })

  it('answers 304 to the current ETag and 200 with a new ETag once the manifest changed', async () => {
    const emu = await emulator()
    const first = await fetchManifest(emu)
    const etag = first.response.headers.get('etag')!
    const lastModified = first.response.headers.get('last-modified')!
    const again = await fetch(emu.discoveryUrl, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect((await fetch(emu.discoveryUrl, { headers: { 'if-modified-since': lastModified } })).status).toBe(
      304,
    )

    await emu.promote('blue')
    const changed = await fetchManifest(emu, { 'if-none-match': etag })
    expect(changed.response.status).toBe(200)
    expect(changed.response.headers.get('etag')).not.toBe(etag)
    expect(changed.manifest?.revision).toBe(2)
    expect((await fetch(emu.discoveryUrl, { headers: { 'if-modified-since': lastModified } })).status).toBe(
      200,
    )
  })

  it('a client revalidating an unchanged manifest keeps its revision (the emulator answered 304)', async () => {
    const emu = await emulator()
    const c = client({ discovery: emu.discoveryUrl })
    await c.ready()
    await c.refresh()
    await c.refresh()
    expect(c.environment?.revision).toBe(1)
    expect(emu.state().discovery.served).toMatchObject({ ok: 1, notModified: 2 })
  })

  it('signed: a client trusting the emulator key accepts it; one without trusted keys or with another key refuses it', async () => {
    const emu = await emulator({ signed: true })
    expect(emu.keyid).toBe('emulator')
    expect(emu.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    const { text, manifest } = await fetchManifest(emu)
    expect(JSON.parse(text)).toMatchObject({ payloadType: 'application/vnd.red5pro-bluegreen.manifest+json' })
    expect(manifest?.revision).toBe(1)

    const trusting = client({
      discovery: emu.discoveryUrl,
      trustedKeys: [{ keyid: emu.keyid!, publicKey: emu.publicKey! }],
    })
    expect((await trusting.ready()).name).toBe('green')
    await emu.promote('blue')
    expect((await trusting.refresh()).name).toBe('blue')

    expect((await rejection(client({ discovery: emu.discoveryUrl }).ready())).code).toBe('MANIFEST_SIGNATURE')
    const other = await startEmulator({ logger: false, mediaNode: nodes.factory, signed: true })
    open.push(other)
    const wrongKey = client({
      discovery: emu.discoveryUrl,
      trustedKeys: [{ keyid: 'emulator', publicKey: other.publicKey! }],
    })
    expect((await rejection(wrongKey.ready())).code).toBe('MANIFEST_SIGNATURE')
  })

  it('signed with a given key: the envelope verifies with that key and its PEM form', async () => {
    const { generateKeyPair } = await import('../../src/discovery/dsse')
    const pair = await generateKeyPair()
    const emu = await emulator({ signed: { keyid: 'ops-2026', privateKey: pair.privateKeyPem } })
    expect(emu.publicKey).toBe(pair.publicKey)
    const c = client({
      discovery: emu.discoveryUrl,
      trustedKeys: [{ keyid: 'ops-2026', publicKey: emu.publicKeyPem! }],
    })
    expect((await c.ready()).revision).toBe(1)
  })

  it('failDiscovery(true) answers 503 and a client keeps its manifest and goes stale; false heals it', async () => {
    const emu = await emulator()
    const c = client({ discovery: emu.discoveryUrl })
    await c.ready()
    const stale: number[] = []
    c.on('stale', (event) => stale.push(event.revision))

    await emu.failDiscovery(true)
    expect((await fetch(emu.discoveryUrl)).status).toBe(503)
    expect((await c.refresh()).name).toBe('green')
    expect(stale).toEqual([1])

    await emu.failDiscovery(false)
    await emu.promote('blue')
    expect((await c.refresh()).name).toBe('blue')
  })
})

describe('operator actions', () => {
  it('promote("blue") makes blue production and drains green with a deadline, revision + 1', async () => {
    const emu = await emulator()
    const c = client({ discovery: emu.discoveryUrl })
    await c.ready()
    const changes: string[] = []
    c.on('environmentchange', (event) => changes.push(`${event.previous?.name}->${event.current.name}`))

    const before = Date.now()
    const manifest = await emu.promote('blue', { drainSeconds: 30 })
    expect(manifest.revision).toBe(2)
    const env = await c.refresh()
    expect(env).toMatchObject({ name: 'blue', role: 'production', state: 'serving', revision: 2 })
    expect(changes).toEqual(['green->blue'])
    expect(c.manifest?.roles).toEqual({ production: 'blue', staging: 'green' })
    const green = c.manifest!.environments.green!
    expect(green.state).toBe('draining')
    const deadline = Date.parse(green.drainDeadline!)
    expect(deadline).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 29_000)
    expect(deadline).toBeLessThanOrEqual(Date.now() + 31_000)
    expect(emu.environments.green).toMatchObject({ state: 'draining', roles: ['staging'] })
  })

  it('rollback() promotes the previous production back as a new revision', async () => {
    const emu = await emulator()
    await expect(emu.rollback()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await emu.promote('blue')
    const manifest = await emu.rollback({ drainSeconds: 10 })
    expect(manifest.revision).toBe(3)
    expect(manifest.roles).toEqual({ production: 'green', staging: 'blue' })
    expect(manifest.environments.green?.state).toBe('serving')
    expect(manifest.environments.blue).toMatchObject({ state: 'draining' })
    expect((await fetchManifest(emu)).manifest?.revision).toBe(3)
  })

  it('refuses actions that would serve an invalid manifest, and keeps the current one', async () => {
    const emu = await emulator()
    await expect(emu.promote('green')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(emu.setState('green', 'offline')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(emu.promote('purple' as 'blue')).rejects.toMatchObject({ code: 'ENVIRONMENT_UNKNOWN' })
    await expect(emu.promote('blue', { drainSeconds: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect((await fetchManifest(emu)).manifest?.revision).toBe(1)
  })

  it('setState("green", "offline") makes resolve() on a client pinned to green reject with ENVIRONMENT_OFFLINE', async () => {
    const emu = await emulator()
    await emu.promote('blue')
    const pinned = client({ discovery: emu.discoveryUrl, environment: 'green' })
    await pinned.ready()
    await emu.setState('green', 'offline')
    await pinned.refresh()
    expect(pinned.environment?.state).toBe('offline')
    expect((await rejection(pinned.resolve('stream1', 'publish'))).code).toBe('ENVIRONMENT_OFFLINE')
    expect(emu.manifest.environments.green?.drainDeadline).toBeUndefined()
  })

  it('a drain deadline that passes leaves the old environment serving, and says so', async () => {
    const emu = await emulator()
    const passed = nextEvent(emu, (event) => event.type === 'deadline')
    await emu.promote('blue', { drainSeconds: 0 })
    const event = await passed
    expect(event).toMatchObject({ environment: 'green', state: 'draining' })
    expect(event.message).toMatch(/keeps serving/)
    const pinned = client({ discovery: emu.discoveryUrl, environment: 'green' })
    expect((await pinned.resolve('late', 'publish')).environment).toBe('green')
  })

  it('kill("green") makes its Stream Manager refuse connections and drops its node; revive() brings it back', async () => {
    const emu = await emulator()
    const green = emu.environments.green.streamManager
    const node = nodes.latest('green')
    await emu.kill('green')
    const error = await fetch(`${green}/streammanager/api/4.0/event/live/s?action=broadcast`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    )
    expect(error?.cause?.code).toBe('ECONNREFUSED')
    expect(node.killed).toBe(true)
    expect(emu.environments.green.alive).toBe(false)
    expect(emu.manifest.environments.green?.state).toBe('serving')
    const c = client({ discovery: emu.discoveryUrl })
    expect((await rejection(c.resolve('s', 'publish'))).code).toBe('STREAM_MANAGER_UNAVAILABLE')

    await emu.revive('green')
    expect(emu.environments.green.alive).toBe(true)
    await c.refresh()
    const assignment = await c.resolve('s', 'publish')
    expect(assignment.serverAddress).toBe(nodes.latest('green').serverAddress)
    expect(assignment.serverAddress).not.toBe(node.serverAddress)
  })
})

describe('Stream Managers', () => {
  it("resolve() for publish on each environment points at that Stream Manager's proxy", async () => {
    const emu = await emulator()
    const production = client({ discovery: emu.discoveryUrl })
    const staging = client({ discovery: emu.discoveryUrl, environment: 'staging' })
    const green = await production.resolve('stream 1', 'publish')
    expect(green).toMatchObject({
      environment: 'green',
      api: 'sm1',
      nodeRole: 'origin',
      serverAddress: nodes.latest('green').serverAddress,
      endpoint: `${emu.environments.green.streamManager}/live/whip/endpoint/stream%201`,
    })
    const blue = await staging.resolve('stream 1', 'publish')
    expect(blue).toMatchObject({ environment: 'blue', api: 'sm2', nodeRole: 'origin' })
    const endpoint = new URL(blue.endpoint)
    expect(`${endpoint.origin}${endpoint.pathname}`).toBe(
      `${emu.environments.blue.streamManager}/as/v1/proxy/whip/live/stream%201`,
    )
    expect(endpoint.searchParams.get('host')).toBe(nodes.latest('blue').serverAddress)
  })

  it('subscribing to a stream its node does not carry is STREAM_NOT_FOUND on both generations, then found once published', async () => {
    const emu = await emulator()
    for (const environment of ['production', 'staging']) {
      const c = client({ discovery: emu.discoveryUrl, environment })
      expect((await rejection(c.resolve('show', 'subscribe'))).code).toBe('STREAM_NOT_FOUND')
      const publish = await c.resolve('show', 'publish')
      const post = await fetch(publish.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: 'v=0\r\n',
      })
      expect(post.status).toBe(201)
      const play = await c.resolve('show', 'subscribe')
      expect(play).toMatchObject({
        kind: 'subscribe',
        nodeRole: 'edge',
        serverAddress: publish.serverAddress,
      })
    }
  })

  it('answers with the documented shapes and error bodies', async () => {
    const emu = await emulator()
    const sm1 = emu.environments.green.streamManager
    const sm2 = emu.environments.blue.streamManager
    const broadcast = await fetch(`${sm1}/streammanager/api/4.0/event/live/a%2Fb?action=broadcast`)
    expect(await broadcast.json()).toEqual({
      name: 'a/b',
      scope: '/live',
      serverAddress: nodes.latest('green').serverAddress,
      region: 'local',
    })
    const missing = await fetch(`${sm1}/streammanager/api/4.0/event/live/none?action=subscribe`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({
      errorMessage: expect.any(String),
      timestamp: expect.any(Number),
    })
    expect((await fetch(`${sm1}/streammanager/api/4.0/event/live/x?action=dance`)).status).toBe(400)

    const publish = await fetch(`${sm2}/as/v1/streams/stream/default/publish/live/x`)
    expect(await publish.json()).toEqual([
      {
        streamGuid: 'live/x',
        serverAddress: nodes.latest('blue').serverAddress,
        nodeRole: 'origin',
        subGroup: 'local',
        nodeState: 'INSERVICE',
        subscribers: 0,
      },
    ])
    const none = await fetch(`${sm2}/as/v1/streams/stream/default/subscribe/live/x`)
    expect(none.status).toBe(404)
    expect(await none.json()).toEqual({ error: expect.any(String) })
    expect((await fetch(`${sm2}/as/v1/streams/stream/elsewhere/publish/live/x`)).status).toBe(404)
    expect(publish.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('signalling proxies', () => {
  it('Stream Manager 1.x forwards OPTIONS, POST, PATCH and DELETE to the node, and rewrites an absolute Location onto itself', async () => {
    const emu = await emulator()
    const sm = emu.environments.green.streamManager
    const node = nodes.latest('green')
    node.locationStyle = 'absolute'
    const endpoint = `${sm}/live/whip/endpoint/cam%201?token=abc`

    const options = await fetch(`${endpoint}&signal=true`, { method: 'OPTIONS' })
    expect(options.status).toBe(204)
    expect(options.headers.get('link')).toMatch(/ice-server/)
    const post = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\noffer',
    })
    expect(post.status).toBe(201)
    expect(await post.text()).toMatch(/^v=0/)
    expect(post.headers.get('content-type')).toBe('application/sdp')
    expect(post.headers.get('access-control-allow-origin')).toBe('*')
    expect(post.headers.get('access-control-expose-headers')).toMatch(/Location/)
    const location = post.headers.get('location')!
    expect(location).toBe(`${sm}/live/whip/resource/cam%201/r1?session=s1`)
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
      body: 'a=candidate',
    })
    expect(patch.status).toBe(204)
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(200)

    expect(node.received).toEqual([
      {
        method: 'OPTIONS',
        url: '/live/whip/endpoint/cam%201?token=abc&signal=true',
        contentType: undefined,
        body: '',
      },
      {
        method: 'POST',
        url: '/live/whip/endpoint/cam%201?token=abc',
        contentType: 'application/sdp',
        body: 'v=0\r\noffer',
      },
      {
        method: 'PATCH',
        url: '/live/whip/resource/cam%201/r1?session=s1',
        contentType: 'application/trickle-ice-sdpfrag',
        body: 'a=candidate',
      },
      {
        method: 'DELETE',
        url: '/live/whip/resource/cam%201/r1?session=s1',
        contentType: undefined,
        body: '',
      },
    ])
  })

  it('Stream Manager 1.x keeps a relative Location and routes both /endpoint/ and /resource/ paths to the node', async () => {
    const emu = await emulator()
    const sm = emu.environments.green.streamManager
    const node = nodes.latest('green')
    await fetch(`${sm}/live/whip/endpoint/s`, { method: 'POST', body: 'v=0' })
    const post = await fetch(`${sm}/live/whep/endpoint/s?requestId=v1`, { method: 'POST', body: 'v=0' })
    expect(post.status).toBe(201)
    expect(post.headers.get('location')).toBe('/live/whep/resource/s/r2?session=s2')
    // red5pro-webrtc-sdk 11 PATCHes the /endpoint/ spelling of a relative Location as /resource/, and vice versa.
    expect(
      (await fetch(new URL('/live/whep/endpoint/s/r2?session=s2', sm), { method: 'PATCH', body: 'v=0' }))
        .status,
    ).toBe(204)
    expect((await fetch(new URL(post.headers.get('location')!, sm), { method: 'DELETE' })).status).toBe(200)
    expect(node.received.map((r) => `${r.method} ${r.url}`).slice(1)).toEqual([
      'POST /live/whep/endpoint/s?requestId=v1',
      'PATCH /live/whep/endpoint/s/r2?session=s2',
      'DELETE /live/whep/resource/s/r2?session=s2',
    ])
  })

  it('Stream Manager 2.0 proxy needs a host of its own nodes, forwards without it, and brings PATCH/DELETE back through itself', async () => {
    const emu = await emulator()
    const sm = emu.environments.blue.streamManager
    const node = nodes.latest('blue')
    const host = encodeURIComponent(node.serverAddress)
    const base = `${sm}/as/v1/proxy/whip/live/cam%201`

    const noHost = await fetch(base, { method: 'POST', body: 'v=0' })
    expect(noHost.status).toBe(400)
    expect(await noHost.json()).toEqual({ error: expect.stringMatching(/host/) })
    const foreign = await fetch(`${base}?host=${encodeURIComponent(nodes.latest('green').serverAddress)}`, {
      method: 'POST',
      body: 'v=0',
    })
    expect(foreign.status).toBe(400)
    expect(node.received).toEqual([])

    expect((await fetch(`${base}?nodeGroup=default`, { method: 'OPTIONS' })).status).toBe(204)
    const post = await fetch(`${base}?host=${host}&token=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\noffer',
    })
    expect(post.status).toBe(201)
    expect(await post.text()).toMatch(/^v=0/)
    expect(post.headers.get('session-host')).toBe(node.serverAddress)
    const location = new URL(post.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(base)
    expect(location.searchParams.get('host')).toBe(node.serverAddress)

    expect(
      (
        await fetch(location, {
          method: 'PATCH',
          headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
          body: 'a=end-of-candidates',
        })
      ).status,
    ).toBe(204)
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(200)
    expect(node.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'OPTIONS /live/whip/endpoint/cam%201?nodeGroup=default ',
      'POST /live/whip/endpoint/cam%201?token=abc v=0\r\noffer',
      'PATCH /live/whip/resource/cam%201/r1?session=s1 a=end-of-candidates',
      'DELETE /live/whip/resource/cam%201/r1?session=s1 ',
    ])
    expect(node.hasStream('live', 'cam 1')).toBe(false)
  })

  it('Stream Manager 2.0 WHEP proxy requires a requestId and keeps it on the Location', async () => {
    const emu = await emulator()
    const sm = emu.environments.blue.streamManager
    const node = nodes.latest('blue')
    const host = encodeURIComponent(node.serverAddress)
    await fetch(`${sm}/as/v1/proxy/whip/live/show?host=${host}`, { method: 'POST', body: 'v=0' })
    expect(
      (await fetch(`${sm}/as/v1/proxy/whep/live/show?host=${host}`, { method: 'POST', body: 'v=0' })).status,
    ).toBe(400)
    const post = await fetch(`${sm}/as/v1/proxy/whep/live/show?host=${host}&requestId=viewer-7`, {
      method: 'POST',
      body: '',
    })
    expect(post.status).toBe(201)
    const location = new URL(post.headers.get('location')!)
    expect(location.searchParams.get('requestId')).toBe('viewer-7')
    expect(location.searchParams.get('host')).toBe(node.serverAddress)
    expect(node.received.at(-1)?.url).toBe('/live/whep/endpoint/show?requestId=viewer-7')
  })

  it('answers CORS preflights itself and exposes Location to the page', async () => {
    const emu = await emulator()
    for (const url of [
      `${emu.environments.green.streamManager}/live/whip/endpoint/s`,
      `${emu.environments.blue.streamManager}/as/v1/proxy/whip/live/s?host=x`,
    ]) {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://demo.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/PATCH/)
      expect(preflight.headers.get('access-control-expose-headers')).toMatch(/Location/)
    }
    expect(nodes.started.flatMap((n) => n.received)).toEqual([])
  })

  it("a node that is gone is a 502 with the generation's error body", async () => {
    const emu = await emulator()
    await nodes.latest('green').kill()
    const answer = await fetch(`${emu.environments.green.streamManager}/live/whip/endpoint/s`, {
      method: 'POST',
      body: 'v=0',
    })
    expect(answer.status).toBe(502)
    expect(await answer.json()).toMatchObject({ errorMessage: expect.stringMatching(/unreachable/) })
  })
})

describe('operator API over HTTP', () => {
  it('GET /api/state reports the manifest, both environments and their sessions', async () => {
    const emu = await emulator({ signed: true })
    await fetch(`${emu.environments.green.streamManager}/live/whip/endpoint/s1`, {
      method: 'POST',
      body: 'v=0',
    })
    const { status, json } = await operator(emu, '/api/state')
    expect(status).toBe(200)
    expect(json).toMatchObject({
      revision: 1,
      discoveryUrl: emu.discoveryUrl,
      discovery: { failing: false },
      signing: { keyid: 'emulator', publicKey: emu.publicKey },
      manifest: { roles: { production: 'green' } },
      environments: {
        green: {
          api: 'sm1',
          alive: true,
          roles: ['production'],
          streams: ['live/s1'],
          publishers: 1,
          subscribers: 0,
        },
        blue: { api: 'sm2', alive: true, roles: ['staging'], streams: [], publishers: 0 },
      },
    })
  })

  it('POST endpoints promote, roll back, set state, fail discovery, kill and revive', async () => {
    const emu = await emulator()
    let answer = await operator(emu, '/api/promote', { environment: 'blue', drainSeconds: 60 })
    expect(answer.status).toBe(200)
    expect(answer.json.state.manifest).toMatchObject({ revision: 2, roles: { production: 'blue' } })
    answer = await operator(emu, '/api/rollback', {})
    expect(answer.json.state.manifest).toMatchObject({ revision: 3, roles: { production: 'green' } })
    answer = await operator(emu, '/api/state', { environment: 'blue', state: 'offline' })
    expect(answer.json.state.environments.blue.state).toBe('offline')
    answer = await operator(emu, '/api/discovery', { fail: true })
    expect(answer.json.state.discovery.failing).toBe(true)
    expect((await fetch(emu.discoveryUrl)).status).toBe(503)
    await operator(emu, '/api/discovery', { fail: false })
    answer = await operator(emu, '/api/kill', { environment: 'blue' })
    expect(answer.json.state.environments.blue.alive).toBe(false)
    answer = await operator(emu, '/api/revive', { environment: 'blue' })
    expect(answer.json.state.environments.blue.alive).toBe(true)
    expect((await fetchManifest(emu)).manifest?.revision).toBe(emu.revision)
  })

  it('bad requests get clear errors and change nothing', async () => {
    const emu = await emulator()
    expect(await operator(emu, '/api/promote', { environment: 'purple' })).toMatchObject({
      status: 404,
      json: { code: 'ENVIRONMENT_UNKNOWN' },
    })
    expect(await operator(emu, '/api/promote', { environment: 'green' })).toMatchObject({
      status: 400,
      json: { code: 'INVALID_ARGUMENT', error: expect.stringMatching(/already production/) },
    })
    expect((await operator(emu, '/api/state', { environment: 'blue', state: 'gone' })).status).toBe(400)
    expect((await operator(emu, '/api/nothing', {})).status).toBe(404)
    const plain = await fetch(`${emu.url}/api/promote`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"environment":"blue"}',
    })
    expect(plain.status).toBe(415)
    const broken = await fetch(`${emu.url}/api/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(broken.status).toBe(400)
    expect(emu.revision).toBe(1)
  })

  it('GET /api/events streams every action as Server-Sent Events', async () => {
    const emu = await emulator()
    const abort = new AbortController()
    const response = await fetch(`${emu.url}/api/events`, { signal: abort.signal })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    await emu.promote('blue')
    await emu.kill('green')
    let text = ''
    while (!text.includes('event: kill')) {
      const { value, done } = await reader.read()
      if (done) {
        break
      }
      text += value
    }
    abort.abort()
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])
    expect(types).toEqual(['start', 'manifest', 'promote', 'kill'])
    const promote = /event: promote\ndata: (.*)\n/.exec(text)![1]!
    expect(JSON.parse(promote)).toMatchObject({ type: 'promote', environment: 'blue', revision: 2 })
  })
})

describe('demo page', () => {
  it('serves a page at demoUrl and refuses paths that leave the package', async () => {
    const emu = await emulator()
    const page = await fetch(emu.demoUrl)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect((await fetch(`${emu.url}/dist/..%2Fpackage.json`)).status).toBe(404)
    expect((await fetch(`${emu.url}/..%2F..%2Fpackage.json`)).status).toBe(404)
    expect((await fetch(`${emu.url}/dist/no-such-file.js`)).status).toBe(404)
  })
})

describe('close()', () => {
  it('closes every server and node: every port refuses connections afterwards', async () => {
    const emu = await emulator()
    await emu.promote('blue', { drainSeconds: 3600 })
    const sse = new AbortController()
    await fetch(`${emu.url}/api/events`, { signal: sse.signal })
    const urls = [
      emu.url,
      emu.environments.green.streamManager,
      emu.environments.blue.streamManager,
      ...nodes.started.map((n) => n.url),
    ]
    await emu.close()
    await emu.close()
    for (const url of urls) {
      await expect(fetch(url)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    }
    expect(nodes.started.every((n) => n.closed)).toBe(true)
    await expect(emu.promote('green')).rejects.toMatchObject({ code: 'CLOSED' })
    sse.abort()
  })

  it('a public port already in use is INVALID_ARGUMENT, and whatever had started is closed again', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    open.push({ close: () => new Promise<void>((resolve) => blocker.close(() => resolve())) })
    const { port } = blocker.address() as AddressInfo
    await expect(startEmulator({ logger: false, mediaNode: nodes.factory, port })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/in use/),
    })
    expect(nodes.started).toHaveLength(2)
    expect(nodes.started.every((n) => n.closed)).toBe(true)
  })

  it('a process that starts the emulator with real media nodes, publishes, and closes it exits on its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-exit-'))
    const entry = fileURLToPath(new URL('../../src/emulator/index.ts', import.meta.url))
    const script = join(dir, 'run.mts')
    await writeFile(
      script,
      `import { createRequire } from 'node:module'
import { startEmulator } from ${JSON.stringify(entry)}
const { RTCPeerConnection } = createRequire(${JSON.stringify(entry)})('werift') as typeof import('werift')
const emu = await startEmulator({ logger: false, signed: true })
await fetch(emu.discoveryUrl).then((r) => r.text())
// max-bundle: werift 0.24 leaks the sockets of the transports a BUNDLE answer makes redundant.
const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false, bundlePolicy: 'max-bundle' })
pc.addTransceiver('video', { direction: 'sendonly' })
const channel = pc.createDataChannel('red5pro')
await pc.setLocalDescription(await pc.createOffer())
const post = await fetch(emu.environments.green.streamManager + '/live/whip/endpoint/cam', {
  method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp })
await pc.setRemoteDescription({ type: 'answer', sdp: await post.text() })
// The session is live on the node once the red5pro channel is open.
await new Promise<void>((resolve) => {
  const check = () => { if (channel.readyState === 'open') resolve() }
  channel.stateChanged.subscribe(check)
  check()
})
const live = emu.state().environments.green.publishers
const events = await fetch(emu.url + '/api/events')
void events
await emu.promote('blue', { drainSeconds: 3600 })
await emu.kill('green')
await pc.close()
await emu.close()
process.stdout.write(post.status + ' ' + live + ' closed\\n')
`,
    )
    try {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', script],
          { cwd: fileURLToPath(new URL('../../', import.meta.url)), timeout: 20_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        )
      })
      expect(output.trim()).toBe('201 1 closed')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('with the real werift media node', () => {
  it('a werift WHIP offer through each Stream Manager proxy gets a 201 with an SDP answer; DELETE through the proxy ends it', async () => {
    const emu = await startEmulator({ logger: false })
    open.push(emu)
    const { RTCPeerConnection } = await import('werift')
    for (const environment of ['production', 'staging']) {
      const c = client({ discovery: emu.discoveryUrl, environment })
      const assignment = await c.resolve('cam 1', 'publish')
      const node = emu.node(assignment.environment as 'blue' | 'green')!
      const pc = new RTCPeerConnection({
        iceAdditionalHostAddresses: ['127.0.0.1'],
        iceUseIpv6: false,
        bundlePolicy: 'max-bundle',
      })
      try {
        pc.addTransceiver('video', { direction: 'sendonly' })
        pc.addTransceiver('audio', { direction: 'sendonly' })
        await pc.setLocalDescription(await pc.createOffer())
        const post = await fetch(assignment.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/sdp' },
          body: pc.localDescription!.sdp,
        })
        expect(post.status).toBe(201)
        expect(post.headers.get('content-type')).toBe('application/sdp')
        const answer = await post.text()
        expect(answer).toMatch(/^v=0/)
        expect(answer).toMatch(/^m=video /m)
        await pc.setRemoteDescription({ type: 'answer', sdp: answer })
        const location = new URL(post.headers.get('location')!, assignment.endpoint)
        expect(location.origin).toBe(new URL(assignment.endpoint).origin)
        expect(node.hasStream('live', 'cam 1')).toBe(true)
        expect((await c.resolve('cam 1', 'subscribe')).serverAddress).toBe(node.serverAddress)

        expect((await fetch(location, { method: 'DELETE' })).status).toBe(200)
        expect(node.hasStream('live', 'cam 1')).toBe(false)
        expect(node.stats().requests.map((r) => `${r.method} ${r.path}`)).toEqual([
          'POST /live/whip/endpoint/cam%201',
          expect.stringMatching(/^DELETE \/live\/whip\/resource\/cam%201\/[\w-]+$/),
        ])
      } finally {
        await pc.close()
      }
    }
  })

  it('kill() drops the live session with its node; the revived environment no longer carries the stream', async () => {
    const emu = await startEmulator({ logger: false })
    open.push(emu)
    const { RTCPeerConnection } = await import('werift')
    const pc = new RTCPeerConnection({
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    })
    open.push(pc)
    pc.addTransceiver('video', { direction: 'sendonly' })
    const channel = pc.createDataChannel('red5pro')
    await pc.setLocalDescription(await pc.createOffer())
    const post = await fetch(`${emu.environments.green.streamManager}/live/whip/endpoint/cam`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    })
    await pc.setRemoteDescription({ type: 'answer', sdp: await post.text() })
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (channel.readyState === 'open') {
          resolve()
        }
      }
      channel.stateChanged.subscribe(check)
      check()
    })
    expect(emu.state().environments.green).toMatchObject({ publishers: 1, streams: ['live/cam'] })
    const oldNode = emu.node('green')!.url

    await emu.kill('green')
    expect(emu.state().environments.green).toMatchObject({ alive: false, publishers: 0, streams: [] })
    await expect(fetch(`${oldNode}/live/whip/endpoint/cam`, { method: 'OPTIONS' })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    })

    await emu.revive('green')
    const c = client({ discovery: emu.discoveryUrl })
    expect((await rejection(c.resolve('cam', 'subscribe'))).code).toBe('STREAM_NOT_FOUND')
  })
})
