/**
 * DESIGN 11 through `createClient`: a real loopback discovery server and two real loopback Stream
 * Managers (green 1.x production, blue 2.0 staging and `failover`), the FakeDriver carrying media, real
 * time with short settings. "Production dies" = its Stream Manager resets every connection and the
 * sessions on it drop; "it comes back" = it answers again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MediaStream, MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift'

import { createClient, whipDriver, type BlueGreenClient } from '../../src'
import { startEmulator } from '../../src/emulator'
import type { EnvironmentChangeEvent } from '../../src/events'
import type { ClientOptions } from '../../src/options'
import type { Session } from '../../src/session/Session'
import { FakeDriver } from '../../src/testing'
import { startFakeCluster } from '../helpers/fakeCluster'
import type { ManifestServer } from '../helpers/manifestServer'
import type { TestManifest } from '../helpers/manifests'
import type { StreamManagerServer } from '../helpers/streamManagerServer'

const FAST: Partial<ClientOptions> = {
  timeoutMs: 1_000,
  reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
  migration: { windowMs: 600, leadMs: 50, marginMs: 50 },
  failover: { stableMs: 600, probeIntervalMs: 100, probeTimeoutMs: 400 },
}

let cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

interface World {
  readonly driver: FakeDriver
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly discovery: ManifestServer
  readonly base: TestManifest
  client(options?: Partial<ClientOptions>): { client: BlueGreenClient; changes: EnvironmentChangeEvent[] }
}

async function world(
  roles: Record<string, string> = { production: 'green', staging: 'blue', failover: 'blue' },
): Promise<World> {
  const driver = new FakeDriver()
  const cluster = await startFakeCluster(driver, { ttl: 1, roles })
  cleanup.push(() => cluster.close())
  const { green, blue, discovery, base } = cluster
  return {
    driver,
    green,
    blue,
    discovery,
    base,
    client(options = {}) {
      const client = createClient({ discovery: discovery.url, driver, ...FAST, ...options })
      const changes: EnvironmentChangeEvent[] = []
      // Changes only (the first selection, with no `previous`, is not one).
      client.on('environmentchange', (event) => event.previous !== undefined && changes.push(event))
      cleanup.push(() => client.close())
      return { client, changes }
    },
  }
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) {
      return value
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Production dies: its Stream Manager resets every connection, the sessions on it drop. */
function kill(w: World, environment: 'green' | 'blue'): void {
  w[environment].fail({ kind: 'reset' })
  w.driver.simulateDrop({ environment })
}

function on(session: Session): string {
  return session.state === 'live' ? session.environment : `${session.state}@${session.environment}`
}

describe('failover (DESIGN 11)', () => {
  it('moves a broadcaster and its viewer to the failover environment when production dies, and new sessions start there', async () => {
    const w = await world()
    const { client: broadcaster, changes } = w.client()
    const { client: audience } = w.client()
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    const reconnected: string[] = []
    viewer.on('reconnected', ({ environment }) => reconnected.push(environment))

    kill(w, 'green')

    await until('both sessions live on blue', () => on(publisher) === 'blue' && on(viewer) === 'blue')
    expect(reconnected).toEqual(['blue'])
    expect(changes.at(-1)).toMatchObject({
      reason: 'failover',
      previous: { name: 'green' },
      current: { name: 'blue', role: 'failover' },
    })
    expect(broadcaster.environment).toMatchObject({ name: 'blue', role: 'failover' })
    const late = await audience.subscribe({ streamName: 'cam' })
    expect(late.environment).toBe('blue')
    // One failover per client, however many sessions noticed.
    expect(changes.filter((c) => c.reason === 'failover')).toHaveLength(1)
  })

  it('fails over from a Stream Manager that stops answering (a partition) long before the call would time out', async () => {
    const w = await world()
    // The default 10 s timeout: only the hedge (an overdue call while the backup answers) can be quick.
    const { client: broadcaster, changes } = w.client({ timeoutMs: 10_000 })
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    w.green.fail({ kind: 'hang' })
    w.driver.simulateDrop({ environment: 'green' })
    const droppedAt = Date.now()
    await until('the publisher live on blue', () => on(publisher) === 'blue', 8_000)
    // Overdue = 4 x the slowest answer seen (loopback: a few ms), at least 400 ms; then one probe of blue.
    expect(Date.now() - droppedAt).toBeLessThan(3_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
  })

  it("decides the failover during a connection's grace: production does not answer the probe a quiet connection prompts, so the session goes straight to the backup", async () => {
    const w = await world()
    const { client: broadcaster, changes } = w.client({ timeoutMs: 10_000 })
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    w.green.fail({ kind: 'hang' })
    const quietAt = performance.now()
    // The liveness watch's grace starts (nothing arriving); the connection is not given up yet.
    expect(w.driver.simulateDisconnect({ environment: 'green' })).toBe(1)
    await until('the failover', () => changes.length > 0, 3_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
    const droppedAt = performance.now()
    w.driver.simulateDrop({ environment: 'green' })
    await until('the publisher live on blue', () => on(publisher) === 'blue', 3_000)
    // Production was asked once, by the probe, before the drop: no session call waited on it.
    const toGreen = w.green.requests.filter((r) => r.at >= quietAt)
    expect(toGreen.map((r) => r.method)).toEqual(['GET'])
    expect(toGreen[0]!.at).toBeLessThan(droppedAt)
  })

  it('a quiet connection whose Stream Manager answers moves nothing: one probe of each side, however many sessions are in doubt', async () => {
    const w = await world()
    const { client, changes } = w.client()
    const sessions = await Promise.all(['a', 'b', 'c'].map((streamName) => client.publish({ streamName })))
    const quietAt = performance.now()
    expect(w.driver.simulateDisconnect({ environment: 'green' })).toBe(3)
    await sleep(700)
    w.driver.simulateDisconnect({ environment: 'green' }, false)
    expect(changes).toEqual([])
    expect(sessions.map(on)).toEqual(['green', 'green', 'green'])
    expect(w.green.requests.filter((r) => r.at >= quietAt)).toHaveLength(1)
    expect(w.blue.requests.filter((r) => r.at >= quietAt)).toHaveLength(1)
  })

  it("a quiet connection prompts no failover when the backup does not answer either (the client's own network)", async () => {
    const w = await world()
    const { client, changes } = w.client({ timeoutMs: 10_000 })
    const publisher = await client.publish({ streamName: 'cam' })
    w.green.fail({ kind: 'hang' })
    w.blue.fail({ kind: 'reset' })
    w.driver.simulateDisconnect({ environment: 'green' })
    await sleep(1_000)
    expect(changes).toEqual([])
    expect(on(publisher)).toBe('green')
  })

  it('a pinned client probes nothing when a connection goes quiet', async () => {
    const w = await world()
    const { client } = w.client({ environment: 'green' })
    await client.publish({ streamName: 'cam' })
    const quietAt = performance.now()
    w.driver.simulateDisconnect({ environment: 'green' })
    await sleep(300)
    expect(w.green.requests.filter((r) => r.at >= quietAt)).toEqual([])
    expect(w.blue.requests.filter((r) => r.at >= quietAt)).toEqual([])
  })

  it('does not fail over from a Stream Manager that is merely slower than usual when the backup does not answer', async () => {
    const w = await world()
    const { client: broadcaster, changes } = w.client({ timeoutMs: 10_000 })
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    w.green.fail({ kind: 'hang' })
    w.blue.fail({ kind: 'hang' })
    w.driver.simulateDrop({ environment: 'green' })
    await sleep(1_500)
    w.green.heal()
    await until('the publisher live again', () => publisher.state === 'live', 12_000)
    expect(publisher.environment).toBe('green')
    expect(changes).toEqual([])
  })

  it('a viewer on the backup before its broadcaster looks again within a few hundred ms, whatever its backoff says', async () => {
    const w = await world()
    // The broadcaster's client reconnects late; the viewer's policy would wait 4 s after its first try.
    const { client: broadcaster } = w.client({ reconnect: { nextDelayMs: () => 1_000 } })
    const { client: audience } = w.client({
      reconnect: { nextDelayMs: ({ attempt }) => (attempt === 1 ? 20 : 4_000) },
    })
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    const attempts: number[] = []
    viewer.on('reconnecting', ({ attempt }) => attempts.push(attempt))
    kill(w, 'green')
    const killedAt = Date.now()
    await until('the broadcaster on blue', () => on(publisher) === 'blue', 5_000)
    await until('the viewer on blue', () => on(viewer) === 'blue', 5_000)
    // Back about when the broadcaster is (1 s), not after the 4 s backoff.
    expect(Date.now() - killedAt).toBeLessThan(3_000)
    expect(attempts.length).toBeGreaterThan(1)
  })

  // A viewer stalled when production dies (a node that froze before it died, still answering): the client
  // probes, fails over, and moves it after a reconnect's wait (the policy's jittered first delay), not at
  // a spread moment of the migration window.
  const stall = (driver: FakeDriver, streamName?: string): number =>
    driver.simulateStall({ environment: 'green', kind: 'subscribe', ...(streamName ? { streamName } : {}) })
  /** Failover moves of viewers with a picture are spread from 5 s on: only a stalled one's is quick. */
  const spreadLate = { migration: { windowMs: 20_000, leadMs: 5_000, marginMs: 50 } }

  it(`a viewer stalled when production dies is on the backup in about a second, not after the frozen path's 5 s`, async () => {
    const w = await world()
    const { client: broadcaster } = w.client()
    const { client: audience, changes } = w.client(spreadLate)
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    w.green.fail({ kind: 'reset' })
    w.driver.simulateDrop({ environment: 'green', kind: 'publish' })
    const toldAt = Date.now()
    expect(stall(w.driver)).toBe(1)
    await until('the viewer on blue', () => on(viewer) === 'blue', 8_000)
    expect(Date.now() - toldAt).toBeLessThan(3_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
    expect(on(publisher)).toBe('blue')
  })

  it(`a viewer stalled whose client failed over already, its move planned for later, moves within a reconnect's wait`, async () => {
    const w = await world()
    const { client: broadcaster } = w.client()
    const { client: audience, changes } = w.client(spreadLate)
    await broadcaster.publish({ streamName: 'a' })
    await broadcaster.publish({ streamName: 'b' })
    const first = await audience.subscribe({ streamName: 'a' })
    const second = await audience.subscribe({ streamName: 'b' })
    w.green.fail({ kind: 'reset' })
    w.driver.simulateDrop({ environment: 'green', kind: 'publish' })
    w.driver.simulateDrop({ environment: 'green', kind: 'subscribe', streamName: 'a' })
    await until('the first viewer on blue', () => on(first) === 'blue', 5_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
    // The second still has its picture from green's edge: planned 5-20 s from now. Then it loses it.
    await sleep(200)
    expect(on(second)).toBe('green')
    const toldAt = Date.now()
    expect(stall(w.driver, 'b')).toBe(1)
    await until('the second viewer on blue', () => on(second) === 'blue', 8_000)
    expect(Date.now() - toldAt).toBeLessThan(3_000)
  })

  it('a frozen source on a production that answers moves nothing: one probe of each side, the viewer stays', async () => {
    const w = await world()
    const { client: broadcaster } = w.client()
    const { client: audience, changes } = w.client()
    await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    const stalledAt = performance.now()
    expect(stall(w.driver)).toBe(1)
    await sleep(700)
    expect(changes).toEqual([])
    expect(on(viewer)).toBe('green')
    expect(w.green.requests.filter((r) => r.at >= stalledAt)).toHaveLength(1)
    expect(w.blue.requests.filter((r) => r.at >= stalledAt)).toHaveLength(1)
  })

  it("moves nowhere when the client's own network is down (the backup does not answer either)", async () => {
    const w = await world()
    const { client, changes } = w.client()
    const publisher = await client.publish({ streamName: 'cam' })

    w.blue.fail({ kind: 'reset' })
    kill(w, 'green')
    await sleep(1_000)

    expect(publisher.state).toBe('reconnecting')
    expect(client.environment?.name).toBe('green')
    expect(changes).toEqual([])

    // The network comes back with production: the session returns to production, nobody failed over.
    w.green.heal()
    w.blue.heal()
    await until('the publisher live again', () => on(publisher) === 'green')
    expect(changes).toEqual([])
  })

  it('never fails over a client pinned to production by name', async () => {
    const w = await world()
    const { client, changes } = w.client({ environment: 'green' })
    const publisher = await client.publish({ streamName: 'cam' })

    kill(w, 'green')
    await sleep(800)

    expect(publisher.state).toBe('reconnecting')
    expect(publisher.environment).toBe('green')
    expect(changes).toEqual([])
  })

  it('does nothing without a failover role (sessions keep reconnecting to production)', async () => {
    const w = await world({ production: 'green', staging: 'blue' })
    const { client, changes } = w.client()
    const publisher = await client.publish({ streamName: 'cam' })

    kill(w, 'green')
    await sleep(800)

    expect(publisher.state).toBe('reconnecting')
    expect(changes).toEqual([])
  })

  it('comes back once production has answered for the stable period, make-before-break, and only once', async () => {
    const w = await world()
    const { client: broadcaster, changes } = w.client()
    const { client: audience } = w.client()
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    kill(w, 'green')
    await until('both on blue', () => on(publisher) === 'blue' && on(viewer) === 'blue')
    const migrated: { to: string; interruptionMs: number }[] = []
    viewer.on('migrated', ({ to, interruptionMs }) => migrated.push({ to, interruptionMs }))

    // Production flaps for a while (up less than the stable period each time): nobody comes back.
    for (let i = 0; i < 4; i += 1) {
      w.green.heal()
      await sleep(250)
      w.green.fail({ kind: 'reset' })
      await sleep(150)
    }
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
    expect(on(viewer)).toBe('blue')

    // Then it stays up: one return, sessions move back without an interruption.
    w.green.heal()
    await until('both back on green', () => on(publisher) === 'green' && on(viewer) === 'green', 8_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover', 'recovered'])
    expect(changes.at(-1)).toMatchObject({ current: { name: 'green', role: 'production' } })
    expect(migrated).toEqual([{ to: 'green', interruptionMs: 0 }])
  })

  it('never leaves a viewer split from its broadcaster: the broadcaster came back first, the viewer finds it on production at its next attempt', async () => {
    const w = await world()
    const { client: broadcaster } = w.client()
    // The viewer's client would stay failed over for a minute: its own probes say nothing about where the
    // broadcaster went.
    const { client: audience } = w.client({
      failover: { stableMs: 60_000, probeIntervalMs: 100, probeTimeoutMs: 400 },
    })
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    kill(w, 'green')
    await until('both on blue', () => on(publisher) === 'blue' && on(viewer) === 'blue')

    w.green.heal()
    await until('the broadcaster back on green', () => on(publisher) === 'green', 8_000)
    await until(
      'its old publish on blue closed',
      () => w.driver.open({ kind: 'publish', environment: 'blue' }).length === 0,
      15_000,
    )
    // Its stream left blue: blue's node drops the viewer, whose client is still failed over to blue.
    w.driver.simulateDrop({ environment: 'blue', kind: 'subscribe' })
    const droppedAt = Date.now()
    await until('the viewer live on green', () => on(viewer) === 'green', 3_000)
    expect(audience.environment).toMatchObject({ name: 'blue', role: 'failover' })
    // Within a couple of its retries (50-200 ms backoff), not when its own client comes back a minute later.
    expect(Date.now() - droppedAt).toBeLessThan(2_000)
  })

  it('never leaves a viewer split the other way: the viewer came back first, its broadcaster is still on the backup', async () => {
    const w = await world()
    const { client: broadcaster } = w.client({
      failover: { stableMs: 60_000, probeIntervalMs: 100, probeTimeoutMs: 400 },
    })
    const { client: audience } = w.client()
    const publisher = await broadcaster.publish({ streamName: 'cam' })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    kill(w, 'green')
    await until('both on blue', () => on(publisher) === 'blue' && on(viewer) === 'blue')

    w.green.heal()
    await until('the viewer client back on green', () => audience.environment?.name === 'green', 8_000)
    // Still watching: its move waits for the stream on green (make-before-break), so it stays on blue.
    await sleep(300)
    expect(on(viewer)).toBe('blue')
    // Dropped now, it finds the broadcaster where it is (blue), not waiting on green.
    w.driver.simulateDrop({ environment: 'blue', kind: 'subscribe' })
    await sleep(50)
    await until('the viewer live again', () => viewer.state === 'live', 3_000)
    expect(on(viewer)).toBe('blue')
    expect(on(publisher)).toBe('blue')
  })

  it('serves no production viewer from the backup in quiet times (a staging stream of the same name stays staging)', async () => {
    const w = await world()
    const { client: qa } = w.client({ environment: 'blue' })
    await qa.publish({ streamName: 'cam' })
    const { client: audience } = w.client()
    await expect(audience.subscribe({ streamName: 'cam' })).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
    })
  })

  it('ends the failover when a new revision arrives (the operator promoted the backup)', async () => {
    const w = await world()
    const { client, changes } = w.client()
    const publisher = await client.publish({ streamName: 'cam' })
    kill(w, 'green')
    await until('publisher on blue', () => on(publisher) === 'blue')

    w.discovery.set({ ...w.base, revision: 2, roles: { production: 'blue', staging: 'green' } })
    await until('revision 2 accepted', () => client.manifest?.revision === 2)
    expect(client.environment).toMatchObject({ name: 'blue', role: 'production' })
    // Production answering again changes nothing now: blue is production (the same environment, so no
    // environmentchange for the revision, and no return).
    w.green.heal()
    await sleep(1_000)
    expect(changes.map((c) => c.reason)).toEqual(['failover'])
    expect(client.environment).toMatchObject({ name: 'blue', role: 'production' })
    expect(on(publisher)).toBe('blue')
  })
})

/** werift on a loopback-only machine (it gathers no loopback candidate by default). */
class LoopbackPeer extends RTCPeerConnection {
  constructor(config?: ConstructorParameters<typeof RTCPeerConnection>[0]) {
    super({ ...config, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false })
  }
}

/** A VP8-like and an Opus-like RTP packet every 20 ms, as a publisher's MediaStream. */
function testPattern(): MediaStream {
  const video = new MediaStreamTrack({ kind: 'video' })
  const audio = new MediaStreamTrack({ kind: 'audio' })
  let seq = 0
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff
    const tag = [0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, seq >> 8, seq & 0xff]
    video.writeRtp(
      new RtpPacket(
        new RtpHeader({ sequenceNumber: seq, timestamp: seq * 3000, marker: true }),
        Buffer.from(tag),
      ),
    )
    audio.writeRtp(
      new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 960 }), Buffer.from([0xfc, 1])),
    )
  }, 20)
  cleanup.push(() => clearInterval(timer))
  return new MediaStream([video, audio])
}

describe('failover through a silent kill (the emulator, whipDriver over werift, real media)', () => {
  it("moves a broadcaster and its viewer to the backup when production stops answering without resetting a thing, within the client's own timeouts", async () => {
    const emu = await startEmulator({ logger: false, failover: 'blue', ttl: 1 })
    cleanup.push(() => emu.close())
    const driver = whipDriver({ RTCPeerConnection: LoopbackPeer })
    const make = () => {
      const client = createClient({ discovery: emu.discoveryUrl, driver, ...FAST })
      const changes: EnvironmentChangeEvent[] = []
      client.on('environmentchange', (event) => event.previous !== undefined && changes.push(event))
      cleanup.push(() => client.close())
      return { client, changes }
    }
    const { client: broadcaster, changes } = make()
    const { client: audience } = make()
    const publisher = await broadcaster.publish({
      streamName: 'cam',
      mediaStream: testPattern() as unknown as globalThis.MediaStream,
    })
    const viewer = await audience.subscribe({ streamName: 'cam' })
    await until('both live on green', () => on(publisher) === 'green' && on(viewer) === 'green', 10_000)

    // A partition: nothing is reset, nothing answers; only the silence tells.
    await emu.kill('green', { mode: 'silent' })

    await until('both live on blue', () => on(publisher) === 'blue' && on(viewer) === 'blue', 20_000)
    expect(changes.map((change) => change.reason)).toEqual(['failover'])
    expect(changes[0]).toMatchObject({
      previous: { name: 'green' },
      current: { name: 'blue', role: 'failover' },
    })
    expect(emu.node('blue')!.stats()).toMatchObject({ publishers: 1, subscribers: 1 })
    // Media flows on the backup: the viewer's new video track receives the publisher's packets.
    let packets = 0
    for (const track of (viewer.mediaStream as unknown as MediaStream).getTracks()) {
      track.onReceiveRtp.subscribe(() => packets++)
    }
    await until('RTP at the viewer on blue', () => packets > 10, 5_000)
  })
})
