/**
 * The DNS-style baseline with real media: each user's client is pinned (`environment: 'green'`) to the
 * environment its cached DNS answer names, as an application that reaches "the" Stream Manager through
 * one DNS name would be. When the operator flips the record, each user's cache picks up the new answer at
 * its own moment, spread uniformly over the DNS TTL (seeded, so runs repeat). A live session never moves:
 * only when it drops (the old side torn down or dead) does the user reconnect, and then to whatever its
 * cache says at that moment (the pinned client is replaced by one pinned to the new answer; checked
 * every POLL_MS, which this model adds to its gaps at most).
 */
import type { BlueGreenClient } from '../../src'
import { seeded } from '../stats'
import type { Session } from '../../src/session/Session'
import type { User } from './fleet'
import { ViewerMeter, type Source } from './media'

const POLL_MS = 50

/** Every user's cached DNS answer. */
export class DnsCache {
  /** Per user, the answers it will have and from when (epoch ms), oldest first. */
  private readonly answers = new Map<number, { from: number; env: string }[]>()
  private flips: { at: number; env: string }[] = []
  private readonly random = seeded(14)

  constructor(
    readonly ttlMs: number,
    private readonly initial: string,
  ) {}

  /** The operator changes the record now: each user's cache takes it within one TTL. */
  flip(env: string): void {
    this.flips.push({ at: Date.now(), env })
    for (const [user, list] of this.answers) {
      list.push({ from: Date.now() + this.random() * this.ttlMs, env })
      this.answers.set(user, list)
    }
  }

  /** The latest moment a user's cache picks up the last flip. */
  get lastExpiry(): number {
    return Math.max(...[...this.answers.values()].map((list) => list.at(-1)?.from ?? 0))
  }

  answer(user: number): string {
    let list = this.answers.get(user)
    if (!list) {
      // A user arriving after flips resolves the name now: it gets the record as it is.
      list = [{ from: 0, env: this.flips.at(-1)?.env ?? this.initial }]
      this.answers.set(user, list)
    }
    const now = Date.now()
    return list.filter((entry) => entry.from <= now).at(-1)?.env ?? this.initial
  }
}

/** One user of the DNS baseline. */
export class DnsUser implements User {
  readonly meter: ViewerMeter | undefined
  private client: BlueGreenClient
  private session: Session
  private env: string
  private readonly timer: NodeJS.Timeout
  private switching = false

  constructor(
    readonly kind: 'publish' | 'subscribe',
    readonly stream: string,
    private readonly source: Source | undefined,
    private readonly cache: DnsCache,
    private readonly index: number,
    private readonly pinned: (env: string) => BlueGreenClient,
    private readonly onFailed: (error: unknown) => void,
  ) {
    this.meter = kind === 'subscribe' ? new ViewerMeter() : undefined
    this.env = cache.answer(index)
    this.client = pinned(this.env)
    this.session = this.start()
    this.timer = setInterval(() => void this.check(), POLL_MS)
  }

  private start(): Session {
    const pending =
      this.kind === 'publish'
        ? this.client.publish({ streamName: this.stream, mediaStream: this.source?.mediaStream as never })
        : this.client.subscribe({ streamName: this.stream, waitForStream: true })
    pending.catch(() => undefined)
    const session = pending.session as unknown as Session
    session.on('statechange', () => this.meter?.watch(session.mediaStream))
    session.on('failed', this.onFailed)
    return session
  }

  /** A dropped session whose cached answer now names another environment reconnects there. */
  private async check(): Promise<void> {
    const state = this.session.state
    const down = state === 'reconnecting' || state === 'failed'
    const answer = this.cache.answer(this.index)
    if (this.switching || !down || (answer === this.env && state !== 'failed')) {
      return
    }
    this.switching = true
    const old = this.client
    await old.close().catch(() => undefined)
    this.env = answer
    this.client = this.pinned(answer)
    this.session = this.start()
    this.switching = false
  }

  liveOn(): string | undefined {
    this.meter?.watch(this.session.mediaStream)
    return this.session.state === 'live' ? this.session.environment : undefined
  }

  state(): string {
    return this.session.state
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.client.close()
  }
}
