/**
 * Two real loopback Stream Managers (green speaks 1.x, blue 2.0) and a discovery server, where a stream
 * exists for subscribers on an environment exactly while a FakeDriver publish of it is open there, as a
 * real cluster would. For integration tests that go through `createClient` without WebRTC.
 */
import type { FakeDriver } from '../../src/testing'
import { startManifestServer, type ManifestServer } from './manifestServer'
import { manifest, type TestManifest } from './manifests'
import { startStreamManagerServer, type StreamManagerServer } from './streamManagerServer'

/** What {@link startFakeCluster} starts. */
export interface FakeCluster {
  readonly green: StreamManagerServer
  readonly blue: StreamManagerServer
  readonly discovery: ManifestServer
  /** Revision 1: green production, blue staging, both serving. */
  readonly base: TestManifest
  close(): Promise<void>
}

/** Starts the servers; `patch` changes the first manifest (ttl, roles). */
export async function startFakeCluster(
  driver: FakeDriver,
  patch: Partial<TestManifest> = {},
): Promise<FakeCluster> {
  const green = await startStreamManagerServer({ api: 'sm1' })
  const blue = await startStreamManagerServer({ api: 'sm2' })
  for (const [name, sm] of [
    ['green', green],
    ['blue', blue],
  ] as const) {
    sm.published.has = (key: string) =>
      driver
        .open({ kind: 'publish', environment: name })
        .some((s) => `${s.target.app}/${s.target.streamName}` === key)
  }
  const base = manifest({
    environments: {
      green: { streamManager: green.url, api: 'sm1', state: 'serving' },
      blue: { streamManager: blue.url, api: 'sm2', state: 'serving' },
    },
    ...patch,
  })
  const discovery = await startManifestServer(base)
  return {
    green,
    blue,
    discovery,
    base,
    close: async () => {
      await Promise.all([green.close(), blue.close(), discovery.close()])
    },
  }
}
