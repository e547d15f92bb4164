/**
 * The TypeScript a consumer app writes, compiled by consumer-types.test.ts in throwaway apps (one per module
 * resolution mode) against the packed package. Kept as strings: this repository's own tsc must not
 * compile them (they import the package by its published name).
 *
 * Every public event is listened to and every payload field is checked for its exact type, so a listener
 * API that went missing, or one that went `any`, fails the compile (`@ts-expect-error` lines turn unused
 * when a type is `any`).
 */

/** Type-level assertions shared by the sources below. */
const ASSERT = `
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T>() {
  return <V>(_value: V & (Equal<V, T> extends true ? unknown : never)): void => undefined
}
`

/** The core entry: createClient, resolve, publish, subscribe and every client and session event. */
export const CORE_SOURCE = `
import {
  BlueGreenClient,
  BlueGreenError,
  createClient,
  isBlueGreenError,
  whipDriver,
  type Assignment,
  type BlueGreenErrorCode,
  type ClientEvents,
  type EnvironmentChangeEvent,
  type EnvironmentInfo,
  type Manifest,
  type ManifestEvent,
  type PendingSubscribe,
  type PublishSession,
  type Session,
  type SessionEventMap,
  type SessionState,
  type StaleEvent,
  type SubscribeSession,
} from 'red5pro-bluegreen'
${ASSERT}
export async function main(video: HTMLVideoElement, camera: MediaStream): Promise<void> {
  const client = createClient({
    discovery: ['https://cdn-a.example.com/discovery.json', 'https://cdn-b.example.com/discovery.json'],
    trustedKeys: [{ keyid: 'ops-2026', publicKey: 'MCowBQYDK2VwAyEA' }],
    allowedHosts: ['*.example.com'],
    environment: 'staging',
    reconnect: { initialDelayMs: 500, maxDelayMs: 15_000 },
    migration: { windowMs: 60_000 },
    driver: whipDriver(),
  })
  expectType<BlueGreenClient>()(client)
  // @ts-expect-error: the class is public for instanceof and types; createClient() is the way to make one
  void new BlueGreenClient({ discovery: 'https://cdn.example.com/discovery.json' })
  expectType<boolean>()(client instanceof BlueGreenClient)

  const env = await client.ready()
  expectType<EnvironmentInfo>()(env)
  expectType<string>()(env.name)
  expectType<string | undefined>()(env.role)
  expectType<'serving' | 'draining' | 'offline'>()(env.state)
  expectType<'sm1' | 'sm2'>()(env.api)
  expectType<number>()(env.revision)
  expectType<string>()(env.streamManager)
  expectType<EnvironmentInfo>()(await client.refresh())
  expectType<EnvironmentInfo | undefined>()(client.environment)
  expectType<Manifest | undefined>()(client.manifest)

  const assignment = await client.resolve('stream1', 'subscribe')
  expectType<Assignment>()(assignment)
  expectType<string>()(assignment.endpoint)
  expectType<string>()(assignment.environment)
  expectType<'publish' | 'subscribe'>()(assignment.kind)
  expectType<string>()(assignment.streamName)
  expectType<string>()(assignment.app)
  expectType<string>()(assignment.serverAddress)
  expectType<string>()(assignment.nodeRole)
  // @ts-expect-error: only 'publish' and 'subscribe'
  void client.resolve('stream1', 'play')

  const onManifest: ClientEvents['manifest'] = (event) => expectType<ManifestEvent>()(event)
  client.on('manifest', onManifest)
  client.on('manifest', ({ manifest, revision }) => {
    expectType<Manifest>()(manifest)
    expectType<number>()(revision)
    expectType<number>()(manifest.ttl)
  })
  client.on('environmentchange', (event) => {
    expectType<EnvironmentChangeEvent>()(event)
    expectType<EnvironmentInfo | undefined>()(event.previous)
    expectType<EnvironmentInfo>()(event.current)
    expectType<string>()(event.current.name)
    const reason: string = event.reason
    void reason
    // @ts-expect-error: a reason is one of a few words, not any string
    expectType<string>()(event.reason)
  })
  client.once('stale', (event) => {
    expectType<StaleEvent>()(event)
    expectType<BlueGreenError>()(event.error)
    expectType<BlueGreenErrorCode>()(event.error.code)
    expectType<number>()(event.revision)
  })
  const onError = (error: BlueGreenError): void => {
    expectType<BlueGreenErrorCode>()(error.code)
  }
  client.on('error', onError)
  client.off('error', onError)
  // @ts-expect-error: no such client event
  client.on('statechange', () => undefined)
  // @ts-expect-error: the payload has no such field
  client.on('manifest', (event) => event.nope)

  const publisher = await client.publish({ streamName: 'stream1', mediaStream: camera })
  expectType<PublishSession>()(publisher)
  expectType<'publish'>()(publisher.kind)
  const viewer = await client.subscribe({ streamName: 'stream1', mediaElement: video, waitForStream: true })
  expectType<SubscribeSession>()(viewer)
  expectType<'subscribe'>()(viewer.kind)
  expectType<readonly Session[]>()(client.sessions)

  // The session from the first click: the promise carries it as .session, and is still a Promise.
  const pending = client.subscribe({ streamName: 'stream1', waitForStream: true })
  expectType<PendingSubscribe>()(pending)
  expectType<SubscribeSession>()(pending.session)
  const asPromise: Promise<SubscribeSession> = pending
  expectType<SubscribeSession>()(await asPromise)
  pending.session.on('waiting', ({ attempt, delayMs, environment, error }) => {
    expectType<number>()(attempt)
    expectType<number>()(delayMs)
    expectType<string>()(environment)
    expectType<BlueGreenErrorCode>()(error.code)
  })
  expectType<PublishSession>()(client.publish({ streamName: 'stream2' }).session)
  await pending.session.close()

  const session: Session = viewer
  expectType<string>()(session.id)
  expectType<string>()(session.streamName)
  expectType<string>()(session.environment)
  expectType<Assignment>()(session.assignment)
  expectType<SessionState>()(session.state)
  expectType<MediaStream | undefined>()(session.mediaStream)
  session.on('statechange', ({ from, to, reason }) => {
    expectType<SessionState>()(from)
    expectType<SessionState>()(to)
    expectType<string | undefined>()(reason)
  })
  session.on('reconnecting', ({ attempt, delayMs, error }) => {
    expectType<number>()(attempt)
    expectType<number>()(delayMs)
    expectType<BlueGreenError>()(error)
  })
  session.on('reconnected', ({ attempt, environment, downtimeMs }) => {
    expectType<number>()(attempt)
    expectType<string>()(environment)
    expectType<number>()(downtimeMs)
  })
  session.on('migrating', ({ from, to }) => {
    expectType<string>()(from)
    expectType<string>()(to)
  })
  publisher.once('migrated', ({ from, to, interruptionMs }) => {
    expectType<string>()(from)
    expectType<string>()(to)
    expectType<number>()(interruptionMs)
  })
  const onFailed = (error: SessionEventMap['failed'][0]): void => {
    expectType<BlueGreenError>()(error)
    if (isBlueGreenError(error)) {
      expectType<BlueGreenErrorCode>()(error.code)
    }
  }
  viewer.on('failed', onFailed)
  viewer.off('failed', onFailed)
  viewer.once('closed', (...args) => expectType<[]>()(args))
  // @ts-expect-error: no such session event
  viewer.on('manifest', () => undefined)
  // @ts-expect-error: the payload has no such field
  viewer.on('migrated', (event) => event.nope)

  await viewer.migrate()
  await publisher.close()
  await client.close()
}
`

/** The `red5pro-bluegreen/testing` entry. */
export const TESTING_SOURCE = `
import { createClient, type Session } from 'red5pro-bluegreen'
import { FakeDriver, ManualClock, recordEvents, SESSION_EVENT_NAMES } from 'red5pro-bluegreen/testing'
${ASSERT}
export async function main(): Promise<void> {
  const clock = new ManualClock()
  const driver = new FakeDriver({ clock })
  const client = createClient({ manifest: {} as never, driver, clock })
  const session: Session = await client.subscribe({ streamName: 'stream1' })
  const recorder = recordEvents(session, SESSION_EVENT_NAMES)
  driver.simulateDrop({ environment: 'green' })
  expectType<number>()(driver.openCount())
  expectType<string[]>()(recorder.names())
  recorder.stop()
  await client.close()
}
`

/** The `red5pro-bluegreen/emulator` entry (Node only). */
export const EMULATOR_SOURCE = `
import { startEmulator, type Emulator } from 'red5pro-bluegreen/emulator'
${ASSERT}
export async function main(): Promise<void> {
  const emu = await startEmulator({ port: 0 })
  expectType<Emulator>()(emu)
  expectType<string>()(emu.discoveryUrl)
  expectType<string>()(emu.demoUrl)
  await emu.promote('blue', { drainSeconds: 30 })
  await emu.setState('green', 'offline')
  await emu.kill('green')
  await emu.close()
}
`
