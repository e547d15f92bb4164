/**
 * The baseline the swap benchmark compares with: blue-green by DNS. A client asks the Stream Manager its
 * cached DNS answer points at; after the flip, each client's cached answer expires at its own moment
 * (uniformly spread over the DNS TTL, or over the browser's own cap on its host cache when
 * `browserCapMs` is set), and only then do its NEW connections go to the new environment.
 * Live sessions never move: when the old environment is torn down at the deadline, every session still
 * on it drops and reconnects from scratch (capped exponential backoff with full jitter, the same curve
 * as the library's default policy), failing at once while its client's cached answer still points at the
 * dead environment (connection refused: no request is made) and asking the new Stream Manager (real HTTP)
 * once it points at the new one.
 */
import type { Clock, FetchLike } from '../../src/environment'
import type { DriverSession } from '../../src/session/drivers/Driver'
import type { SessionKind } from '../../src/types'
import type { StreamIndexDriver } from './streams'

export interface DnsEnvironment {
  readonly name: string
  readonly api: 'sm1' | 'sm2'
  readonly streamManager: string
}

/** One session of the DNS world. */
export interface DnsSession {
  readonly kind: SessionKind
  readonly streamName: string
  readonly client: number
  /** Environment of the live connection, or undefined while down. */
  environment: string | undefined
  /** Times the connection dropped. */
  drops: number
  /** Simulated time it got a connection after its last drop. */
  backAt: number | undefined
  connection: DriverSession | undefined
  attempt: number
  timer: unknown
}

export interface DnsWorldOptions {
  readonly clock: Clock
  readonly random: () => number
  readonly driver: StreamIndexDriver
  readonly fetch: FetchLike
  readonly from: DnsEnvironment
  readonly to: DnsEnvironment
  readonly clients: number
  /** DNS TTL: each client's cached answer expires uniformly over [0, dnsTtlMs] after the flip. */
  readonly dnsTtlMs: number
  /**
   * The clients are browsers that keep a host-cache entry at most this long (Chromium's host cache:
   * about a minute), and the resolvers above them already serve the new answer, the baseline's best
   * case: each client's answer expires uniformly over [0, min(dnsTtlMs, browserCapMs)] after the flip.
   * Unset: the whole TTL counts (resolvers that honour it).
   */
  readonly browserCapMs?: number
  readonly initialDelayMs?: number
  readonly maxDelayMs?: number
}

function assignUrl(environment: DnsEnvironment, kind: SessionKind, streamName: string): string {
  const stream = encodeURIComponent(streamName)
  if (environment.api === 'sm1') {
    const action = kind === 'publish' ? 'broadcast' : 'subscribe'
    return `${environment.streamManager}/streammanager/api/4.0/event/live/${stream}?action=${action}`
  }
  return `${environment.streamManager}/as/v1/streams/stream/default/${kind}/live/${stream}`
}

/** Clients that follow DNS, and their sessions. */
export class DnsWorld {
  readonly sessions: DnsSession[] = []
  private expiresAt: number[] | undefined
  private readonly dead = new Set<string>()
  private closed = false

  constructor(private readonly options: DnsWorldOptions) {}

  /** The environment client `client`'s cached DNS answer points at now. */
  answer(client: number): DnsEnvironment {
    const expiry = this.expiresAt?.[client]
    return expiry !== undefined && this.options.clock.now() >= expiry ? this.options.to : this.options.from
  }

  /** The DNS record changes now; each client's cache expires at its own moment. */
  flip(): void {
    const { clock, random, clients, dnsTtlMs, browserCapMs } = this.options
    const now = clock.now()
    const spread = Math.min(dnsTtlMs, browserCapMs ?? Number.POSITIVE_INFINITY)
    this.expiresAt = Array.from({ length: clients }, () => now + random() * spread)
  }

  /** The latest moment a client's cache expires (after {@link DnsWorld.flip}). */
  get lastExpiry(): number | undefined {
    return this.expiresAt ? Math.max(...this.expiresAt) : undefined
  }

  /** Starts a session; resolves with it when it is live, or undefined when it could not connect. */
  async start(client: number, kind: SessionKind, streamName: string): Promise<DnsSession | undefined> {
    const session: DnsSession = {
      kind,
      streamName,
      client,
      environment: undefined,
      drops: 0,
      backAt: undefined,
      connection: undefined,
      attempt: 0,
      timer: undefined,
    }
    return (await this.connect(session)) ? session : undefined
  }

  /** Starts a session that stays (it reconnects after drops). */
  async add(client: number, kind: SessionKind, streamName: string): Promise<DnsSession> {
    const session = await this.start(client, kind, streamName)
    if (!session) {
      throw new Error(`DNS world: ${kind} of ${streamName} could not start`)
    }
    this.sessions.push(session)
    return session
  }

  /** The old environment is torn down: nothing answers there any more, its connections drop. */
  tearDown(): void {
    this.dead.add(this.options.from.name)
    this.options.driver.fake.simulateDrop({ environment: this.options.from.name })
  }

  /** Closes every connection and timer. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(
      this.sessions.map((session) => {
        this.options.clock.clearTimeout(session.timer)
        return session.connection?.close()
      }),
    )
  }

  private async connect(session: DnsSession): Promise<boolean> {
    const target = this.answer(session.client)
    if (this.dead.has(target.name)) {
      return false // connection refused: the cached answer points at a torn-down environment
    }
    try {
      const response = await this.options.fetch(assignUrl(target, session.kind, session.streamName), {
        headers: { accept: 'application/json' },
      })
      if (!response.ok) {
        return false
      }
      await response.arrayBuffer()
      const connection = await (session.kind === 'publish'
        ? this.options.driver.publish(signaling(target, session), {}, new AbortController().signal)
        : this.options.driver.subscribe(signaling(target, session), {}, new AbortController().signal))
      session.connection = connection
      session.environment = target.name
      connection.onEnd(() => this.dropped(session, connection))
      return true
    } catch {
      return false
    }
  }

  private dropped(session: DnsSession, connection: DriverSession): void {
    if (session.connection !== connection || this.closed) {
      return
    }
    session.connection = undefined
    session.environment = undefined
    session.drops += 1
    session.attempt = 0
    this.retry(session)
  }

  private retry(session: DnsSession): void {
    const { clock, random } = this.options
    session.attempt += 1
    const ceiling = Math.min(
      this.options.maxDelayMs ?? 15_000,
      (this.options.initialDelayMs ?? 500) * 2 ** Math.min(session.attempt - 1, 30),
    )
    session.timer = clock.setTimeout(() => {
      session.timer = undefined
      if (this.closed) {
        return
      }
      void this.connect(session).then((ok) => {
        if (ok) {
          session.backAt = clock.now()
        } else if (!this.closed) {
          this.retry(session)
        }
      })
    }, random() * ceiling)
  }
}

function signaling(target: DnsEnvironment, session: DnsSession) {
  return {
    kind: session.kind,
    environment: target.name,
    streamName: session.streamName,
    app: 'live',
    endpoint: `${target.streamManager}/live/${session.kind === 'publish' ? 'whip' : 'whep'}/endpoint/${session.streamName}`,
    serverAddress: '10.0.0.1',
  }
}
