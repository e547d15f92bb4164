/**
 * Which streams exist where, decided by the media: a stream is published on an environment while a
 * publish connection of it is open there. Wraps a FakeDriver (it keeps recording everything) and keeps a
 * count per environment and stream, so a loopback Stream Manager can answer subscribe calls in O(1) with
 * thousands of connections around.
 */
import type {
  Driver,
  DriverPublishOptions,
  DriverSession,
  DriverSubscribeOptions,
  SignalingTarget,
} from '../../src/session/drivers/Driver'
import type { FakeDriver } from '../../src/testing'
import type { StreamManagerServer } from '../../test/helpers/streamManagerServer'

/** A {@link Driver} over a FakeDriver that knows which streams are published on which environment. */
export class StreamIndexDriver implements Driver {
  readonly name = 'fake'
  private readonly open = new Map<string, number>()

  constructor(readonly fake: FakeDriver) {}

  /** True while a publish of `app/stream` (the Stream Manager's key) is open on `environment`. */
  published(environment: string, key: string): boolean {
    return (this.open.get(`${environment} ${key}`) ?? 0) > 0
  }

  /** Makes `sm` (the Stream Manager of `environment`) find exactly the streams published there. */
  serve(sm: StreamManagerServer, environment: string): void {
    sm.published.has = (key: string) => this.published(environment, key)
  }

  async publish(
    target: SignalingTarget,
    options: DriverPublishOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> {
    return this.track(await this.fake.publish(target, options, signal), target)
  }

  subscribe(
    target: SignalingTarget,
    options: DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> {
    return this.fake.subscribe(target, options, signal)
  }

  private track(session: DriverSession, target: SignalingTarget): DriverSession {
    const key = `${target.environment} ${target.app}/${target.streamName}`
    this.open.set(key, (this.open.get(key) ?? 0) + 1)
    let counted = true
    const gone = (): void => {
      if (counted) {
        counted = false
        this.open.set(key, (this.open.get(key) ?? 1) - 1)
      }
    }
    return {
      get mediaStream() {
        return session.mediaStream
      },
      onEnd: (listener) =>
        session.onEnd((error) => {
          gone()
          listener(error)
        }),
      close: () => {
        gone()
        return session.close()
      },
    }
  }
}
