import { afterEach, describe, expect, it } from 'vitest'

import { FakeWorld, type ManifestSpec } from './__fixtures__/world'
import type { SessionKind } from '../types'

const STEADY: ManifestSpec = {
  revision: 1,
  roles: { production: 'green' },
  environments: { green: {}, blue: {} },
}

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) {
    await step()
  }
  cleanup = []
})

/** A stream with one real (DOM-emulated) video track per connection. */
function cameraStream(): MediaStream {
  return (document.createElement('canvas') as HTMLCanvasElement).captureStream()
}

function setup() {
  const world = new FakeWorld(STEADY, {
    mediaStream: (kind: SessionKind) => (kind === 'subscribe' ? cameraStream() : undefined),
  })
  const broadcaster = world.client()
  const audience = world.client()
  cleanup.push(
    () => broadcaster.sessions.close(),
    () => audience.sessions.close(),
  )
  return { world, broadcaster, audience }
}

async function settle<T>(world: FakeWorld, promise: Promise<T>): Promise<T> {
  await world.clock.flush()
  return promise
}

describe('media attachment', () => {
  it('a subscriber keeps ONE MediaStream on its element across a migration, swapping tracks only once the new side has media', async () => {
    const { world, broadcaster, audience } = setup()
    await settle(world, broadcaster.sessions.publish({ streamName: 'cam', mediaStream: cameraStream() }))
    const video = document.createElement('video')
    const viewer = await settle(
      world,
      audience.sessions.subscribe({ streamName: 'cam', mediaElement: video }),
    )

    const attached = viewer.mediaStream!
    expect(video.srcObject).toBe(attached)
    const [firstConnection] = world.driver.sessions.filter((s) => s.kind === 'subscribe')
    const firstTrack = firstConnection!.mediaStream!.getVideoTracks()[0]
    expect(attached.getVideoTracks()).toEqual([firstTrack])
    // The driver is not handed the element: the session owns what it shows.
    expect(firstConnection!.options.mediaElement).toBeUndefined()

    world.publish({
      revision: 2,
      roles: { production: 'blue' },
      environments: { blue: {}, green: { state: 'draining', deadlineInMs: 30_000 } },
    })
    await world.clock.flush()
    world.driver.simulateSlowConnect(1_000, 1)
    // Run until the viewer's move has started but its new connection has no media yet.
    while (viewer.state !== 'migrating') {
      await world.clock.advance(100)
    }
    expect(attached.getVideoTracks()).toEqual([firstTrack])

    await world.clock.runAll()
    expect(viewer.environment).toBe('blue')
    const secondTrack = world.driver.open({ kind: 'subscribe' })[0]!.mediaStream!.getVideoTracks()[0]
    expect(secondTrack).not.toBe(firstTrack)
    expect(video.srcObject).toBe(attached)
    expect(viewer.mediaStream).toBe(attached)
    expect(attached.getVideoTracks()).toEqual([secondTrack])
  })

  it('a publisher previews its local stream muted and sends the same tracks again when it moves', async () => {
    const { world, broadcaster } = setup()
    const local = cameraStream()
    const preview = document.createElement('video')
    const publisher = await settle(
      world,
      broadcaster.sessions.publish({ streamName: 'cam', mediaStream: local, mediaElement: preview }),
    )
    expect(preview.srcObject).toBe(local)
    expect(preview.muted).toBe(true)
    expect(publisher.mediaStream).toBe(local)

    world.publish({
      revision: 2,
      roles: { production: 'blue' },
      environments: { blue: {}, green: { state: 'draining', deadlineInMs: 30_000 } },
    })
    await world.clock.flush()
    const publishes = world.driver.sessions.filter((s) => s.kind === 'publish')
    expect(publishes.map((s) => s.target.environment)).toEqual(['green', 'blue'])
    expect(publishes.map((s) => (s.options as { mediaStream?: MediaStream }).mediaStream)).toEqual([
      local,
      local,
    ])
    expect(preview.srcObject).toBe(local)
  })
})
