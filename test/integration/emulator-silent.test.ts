/**
 * `kill(environment, { mode: 'silent' })` (DESIGN 11): a network partition of an emulated environment,
 * over real loopback with the real werift media node. Its Stream Manager accepts connections and never
 * answers (the client's own timeout fires), its node sends and takes no packet while every connection
 * stays open, and `revive()` heals it: same ports, the requests held meanwhile answered, the same media
 * sessions flowing again.
 */
import { connect, type Socket } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'
import type { RTCPeerConnection } from 'werift'

import { startEmulator, type Emulator, type EmulatorEvent, type EmulatorOptions } from '../../src/emulator'
import { resolveEnvironment } from '../../src/environment'
import { createAssigner } from '../../src/streammanager'
import { weriftPeer, weriftPublisher, type Cleanups } from '../helpers/weriftMedia'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** Every event of each emulator, from its start. */
const timelines = new WeakMap<Emulator, EmulatorEvent[]>()

async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ logger: false, ...options })
  cleanups.push(() => emu.close())
  const seen: EmulatorEvent[] = []
  emu.onEvent((event) => seen.push(event))
  timelines.set(emu, seen)
  return emu
}

/** The kill and revive events so far, oldest first. */
function events(emu: Emulator): EmulatorEvent[] {
  return (timelines.get(emu) ?? []).filter((event) => event.type === 'kill' || event.type === 'revive')
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, probe: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await sleep(20)
  }
}

/** A publish assignment from green's Stream Manager, as the client asks for it (no retries). */
function assign(emu: Emulator, timeoutMs: number) {
  const assigner = createAssigner(resolveEnvironment({}, 'test'), { timeoutMs, retries: 0, backoffBaseMs: 0 })
  return assigner.resolve('green', emu.manifest.environments.green!, 'cam', 'publish')
}

/** Opens a TCP connection to `url`'s port and sends an HTTP request; records what comes back. */
async function rawRequest(
  url: string,
): Promise<{ socket: Socket; received: () => number; closed: () => boolean }> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  cleanups.push(() => socket.destroy())
  let received = 0
  let closed = false
  socket.on('data', (chunk: Buffer) => (received += chunk.length))
  socket.on('close', () => (closed = true))
  socket.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(`GET /as/v1/admin/healthcheck HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`)
  return { socket, received: () => received, closed: () => closed }
}

async function operator(emu: Emulator, path: string, body: unknown) {
  const response = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

/** A werift publisher and subscriber on green's node; counts what each receives from it. */
async function mediaThrough(emu: Emulator) {
  const node = emu.node('green')!
  const publisher = await weriftPublisher(cleanups)
  let rtcpAtPublisher = 0
  for (const sender of publisher.pc.getSenders()) {
    sender.onRtcp.subscribe(() => rtcpAtPublisher++)
  }
  const posted = await fetch(`${node.url}/live/whip/endpoint/cam`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: publisher.offer,
  })
  expect(posted.status).toBe(201)
  await publisher.pc.setRemoteDescription({ type: 'answer', sdp: await posted.text() })

  const viewer: RTCPeerConnection = weriftPeer(cleanups)
  viewer.addTransceiver('video', { direction: 'recvonly' })
  viewer.addTransceiver('audio', { direction: 'recvonly' })
  let rtpAtViewer = 0
  viewer.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => rtpAtViewer++))
  await viewer.setLocalDescription(await viewer.createOffer())
  const played = await fetch(`${node.url}/live/whep/endpoint/cam`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: viewer.localDescription?.sdp ?? '',
  })
  expect(played.status).toBe(201)
  await viewer.setRemoteDescription({ type: 'answer', sdp: await played.text() })
  return {
    publisher: publisher.pc,
    viewer,
    rtpAtViewer: () => rtpAtViewer,
    rtcpAtPublisher: () => rtcpAtPublisher,
  }
}

describe("kill(environment, { mode: 'silent' })", () => {
  it("leaves the Stream Manager accepting connections and answering nothing: the client's timeout fires (TIMEOUT); revive answers on the same port, held requests included", async () => {
    const emu = await emulator()
    const streamManager = emu.environments.green.streamManager
    expect((await assign(emu, 2_000)).serverAddress).toBe(emu.node('green')!.serverAddress)
    const revision = emu.revision

    await emu.kill('green', { mode: 'silent' })

    expect(emu.environments.green).toMatchObject({ alive: false, killed: 'silent', streamManager })
    expect(emu.state().environments.green).toMatchObject({ alive: false, killed: 'silent', publishers: 0 })
    // The TCP connection is accepted and stays open, and no byte of an answer comes.
    const raw = await rawRequest(streamManager)
    await expect(assign(emu, 400)).rejects.toMatchObject({ name: 'BlueGreenError', code: 'TIMEOUT' })
    expect(raw.received()).toBe(0)
    expect(raw.closed()).toBe(false)
    // A request that waits longer than the partition lasts is answered once it heals.
    const patient = assign(emu, 10_000)
    await sleep(200)

    await emu.revive('green')

    expect((await patient).serverAddress).toBe(emu.node('green')!.serverAddress)
    await until('the held raw request answered', () => raw.received() > 0)
    expect(emu.environments.green).toMatchObject({ alive: true, streamManager })
    expect(emu.environments.green.killed).toBeUndefined()
    expect(emu.revision).toBe(revision)
    const [kill, revive] = events(emu)
    expect(kill).toMatchObject({ type: 'kill', environment: 'green', mode: 'silent' })
    expect(kill?.message).toContain('silently')
    expect(revive).toMatchObject({ type: 'revive', environment: 'green' })
  })

  it('stops the media node sending and taking packets (no RTP to the viewer, no RTCP to the publisher) while every connection stays up; revive brings the same sessions back', async () => {
    const emu = await emulator()
    const media = await mediaThrough(emu)
    await until(
      'RTP at the viewer and RTCP at the publisher',
      () => media.rtpAtViewer() > 20 && media.rtcpAtPublisher() > 0,
    )

    await emu.kill('green', { mode: 'silent' })
    await sleep(300) // packets already on their way
    const rtp = media.rtpAtViewer()
    const rtcp = media.rtcpAtPublisher()
    await sleep(2_000) // werift sends a receiver report every 0.5 to 1.5 s

    expect(media.rtpAtViewer()).toBe(rtp)
    expect(media.rtcpAtPublisher()).toBe(rtcp)
    // Not reset: both peers still hold a connected session, and so does the node.
    expect(media.viewer.connectionState).toBe('connected')
    expect(media.publisher.connectionState).toBe('connected')
    expect(emu.node('green')!.stats()).toMatchObject({ publishers: 1, subscribers: 1 })

    await emu.revive('green')

    await until('RTP at the viewer again', () => media.rtpAtViewer() > rtp + 20)
    await until('RTCP at the publisher again', () => media.rtcpAtPublisher() > rtcp)
    expect(emu.node('green')!.stats()).toMatchObject({ publishers: 1, subscribers: 1 })
  })

  it('is asked for over the operator API; a mode other than reset or silent is INVALID_ARGUMENT (400) and changes nothing; reset after silent closes the port', async () => {
    const emu = await emulator()
    const streamManager = emu.environments.green.streamManager

    for (const mode of ['quiet', '', 1, null]) {
      expect(await operator(emu, '/api/kill', { environment: 'green', mode })).toMatchObject({
        status: 400,
        json: { code: 'INVALID_ARGUMENT', error: expect.stringMatching(/"reset".*"silent"/) },
      })
    }
    await expect(emu.kill('green', { mode: 'gentle' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(emu.environments.green.alive).toBe(true)

    const silent = await operator(emu, '/api/kill', { environment: 'green', mode: 'silent' })
    expect(silent.status).toBe(200)
    expect(silent.json.state).toMatchObject({ environments: { green: { alive: false, killed: 'silent' } } })

    await operator(emu, '/api/kill', { environment: 'green', mode: 'reset' })
    expect(emu.environments.green).toMatchObject({ alive: false, killed: 'reset' })
    await expect(rawRequest(streamManager)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(events(emu).map((event) => event.type === 'kill' && event.mode)).toEqual(['silent', 'reset'])

    const revived = await operator(emu, '/api/revive', { environment: 'green' })
    expect(revived.json.state).toMatchObject({ environments: { green: { alive: true } } })
  })

  it('sets and clears the failover role over the operator API (POST /api/role), each a new revision', async () => {
    const emu = await emulator()
    const set = await operator(emu, '/api/role', { role: 'failover', environment: 'blue' })
    expect(set.status).toBe(200)
    expect(emu.manifest.roles).toMatchObject({ failover: 'blue' })
    expect(emu.environments.blue.roles).toContain('failover')
    const cleared = await operator(emu, '/api/role', { role: 'failover', environment: null })
    expect(cleared.status).toBe(200)
    expect(emu.manifest.roles.failover).toBeUndefined()
    expect(emu.revision).toBe(3)
    expect((await operator(emu, '/api/role', { role: 7, environment: 'blue' })).status).toBe(400)
    expect((await operator(emu, '/api/role', { role: 'failover', environment: 'purple' })).status).toBe(404)
  })
})
