/**
 * The broadcasters and viewers of one run, each a user with its own client (one page each), on werift:
 * the package's real `createClient` with `whipDriver` over werift peers on loopback.
 *
 * Strategies (the same users, the same cluster rules):
 * - `ours`: the defaults (make-before-break, subscriber moves spread over the drain window, failover).
 * - `bbm`: the same with `migration.makeBeforeBreak: false` (break-before-make).
 * - `dns`: ./dns.ts, a client pinned to the environment its cached DNS answer names.
 */
import { createWriteStream, type WriteStream } from 'node:fs'

import * as werift from 'werift'
import { RTCPeerConnection } from 'werift'

import { createClient, whipDriver, type BlueGreenClient, type ClientOptions } from '../../src'
import { acquireLoopbackStun, releaseLoopbackStun } from '../../src/emulator/media/stun'
import type { Session } from '../../src/session/Session'
import { DnsUser, type DnsCache } from './dns'
import { startSource, ViewerMeter, type Source } from './media'

const CLOSE_MS = 10_000

export type Strategy = 'ours' | 'bbm' | 'dns'

/** The loopback STUN server the clients' peers ask (see LoopbackPeer), while a fleet runs. */
let stunUrl: string | undefined

/**
 * werift gathers no loopback candidate unless told (the emulator's nodes listen on 127.0.0.1). And werift
 * asks a STUN server on every gathering (stun.l.google.com without one in `iceServers`) and ICE waits for
 * the answer, up to 5 s: on this machine that name's lookup (in libuv's 4-thread pool, which 200 peers
 * queue on) often hangs, so a move or reconnect sat 5-11 s before ICE even started (SCALE_TRACE timelines:
 * WHIP POSTs answered after 5 s, WHEP media flowing right after the 5 s end-of-candidates). The clients
 * ask the emulator's loopback STUN server instead (src/emulator/media/stun.ts), as its nodes do.
 */
class LoopbackPeer extends RTCPeerConnection {
  constructor(config?: ConstructorParameters<typeof RTCPeerConnection>[0]) {
    super({
      ...config,
      ...(stunUrl && !config?.iceServers?.length ? { iceServers: [{ urls: stunUrl }] } : {}),
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
    })
  }
}

/** Options every client of the run shares; `environment` pins it (the DNS users). */
export function clientOptions(discovery: string, strategy: Strategy, environment?: string): ClientOptions {
  return {
    discovery,
    driver: whipDriver({ RTCPeerConnection: LoopbackPeer as never }),
    ...(strategy === 'bbm' ? { migration: { makeBeforeBreak: false } } : {}),
    ...(environment ? { environment } : {}),
  }
}

/** One user: a broadcaster (publishing `stream`) or a viewer of it. */
export interface User {
  readonly kind: 'publish' | 'subscribe'
  readonly stream: string
  /** The viewer's meter (undefined for broadcasters). */
  readonly meter: ViewerMeter | undefined
  /** The environment its session is live on now, if live. */
  liveOn(): string | undefined
  /** Its session's state (for diagnostics). */
  state(): string
  close(): Promise<void>
}

/** A user whose one client follows the manifest (`ours` and `bbm`). */
class ClientUser implements User {
  readonly meter: ViewerMeter | undefined
  private readonly client: BlueGreenClient
  private readonly session: Session

  constructor(
    readonly kind: 'publish' | 'subscribe',
    readonly stream: string,
    options: ClientOptions,
    source: Source | undefined,
    failures: Record<string, number>,
  ) {
    const who = `${kind} ${stream} #${Fleet.serial++}`
    const trace = traceLogger(who)
    this.client = createClient({
      ...options,
      ...trace,
      ...(trace.logger ? { driver: whipDriver({ RTCPeerConnection: LoopbackPeer as never, ...trace }) } : {}),
    })
    const pending =
      kind === 'publish'
        ? this.client.publish({ streamName: stream, mediaStream: source?.mediaStream as never })
        : this.client.subscribe({ streamName: stream, waitForStream: true })
    pending.catch(() => undefined)
    this.session = pending.session as unknown as Session
    this.meter = kind === 'subscribe' ? new ViewerMeter() : undefined
    const watch = (): void => this.meter?.watch(this.session.mediaStream)
    this.session.on('statechange', watch)
    this.session.on('migrated', watch)
    this.session.on('failed', (error) => Fleet.count(failures, error))
  }

  liveOn(): string | undefined {
    this.meter?.watch(this.session.mediaStream)
    return this.session.state === 'live' || this.session.state === 'migrating'
      ? this.session.environment
      : undefined
  }

  state(): string {
    return this.session.state
  }

  close(): Promise<void> {
    return this.client.close()
  }
}

/** Everyone of one run. */
export class Fleet {
  readonly users: User[] = []
  /** Sessions that ended `failed`, by error code. */
  readonly failures: Record<string, number> = {}

  /** Numbers the users in SCALE_TRACE lines. */
  static serial = 0

  static count(failures: Record<string, number>, error: unknown): void {
    const code = (error as { code?: string } | undefined)?.code ?? 'unknown'
    failures[code] = (failures[code] ?? 0) + 1
  }
  private readonly sources: Source[] = []
  private broadcasters = 0
  private created = 0
  private stun = false

  constructor(
    private readonly discovery: string,
    readonly strategy: Strategy,
    private readonly viewersPerStream: number,
    private readonly dns: DnsCache | undefined,
  ) {}

  get viewers(): User[] {
    return this.users.filter((user) => user.kind === 'subscribe')
  }

  /** Adds broadcasters up to `total`, each with its viewers, and waits until every viewer has media. */
  async grow(total: number, timeoutMs = 45_000): Promise<void> {
    if (!this.stun) {
      this.stun = true
      stunUrl = await acquireLoopbackStun(werift)
    }
    const added: User[] = []
    for (; this.broadcasters < total; this.broadcasters += 1) {
      const stream = `stage-${this.broadcasters}`
      const source = startSource()
      this.sources.push(source)
      added.push(this.user('publish', stream, source))
    }
    await until(() => added.every((user) => user.liveOn() !== undefined), timeoutMs, 'broadcasters live')
    for (const publisher of [...added]) {
      for (let v = 0; v < this.viewersPerStream; v += 1) {
        added.push(this.user('subscribe', publisher.stream, undefined))
        await sleep(20) // viewers arrive over a moment, not in one millisecond
      }
    }
    this.users.push(...added)
    const ready = (user: User): boolean =>
      user.meter === undefined || (!!user.liveOn() && user.meter.lastAt > 0)
    await until(() => added.every(ready), timeoutMs, 'viewers receiving media').catch(() => {
      // Not every viewer got media in time (a saturated machine): go on, and say which states they are in.
      const states = new Map<string, number>()
      for (const user of added.filter((u) => !ready(u))) {
        states.set(user.state(), (states.get(user.state()) ?? 0) + 1)
      }
      process.stderr.write(
        `scale bench: viewers without media after ${timeoutMs} ms: ${JSON.stringify([...states])}\n`,
      )
    })
  }

  /** Video frames each stream's broadcaster has sent so far. */
  framesSent(): Map<string, number> {
    return new Map(this.sources.map((source, i) => [`stage-${i}`, source.framesSent]))
  }

  /** Viewers that have received video at least once. */
  get receiving(): number {
    return this.viewers.filter((user) => (user.meter?.lastAt ?? 0) > 0).length
  }

  private user(kind: 'publish' | 'subscribe', stream: string, source: Source | undefined): User {
    const index = this.created++
    if (this.strategy === 'dns' && this.dns) {
      return new DnsUser(
        kind,
        stream,
        source,
        this.dns,
        index,
        (env) => createClient(clientOptions(this.discovery, 'dns', env)),
        (error) => Fleet.count(this.failures, error),
      )
    }
    return new ClientUser(kind, stream, clientOptions(this.discovery, this.strategy), source, this.failures)
  }

  /** Users live on each environment now. */
  census(): {
    green: { publishers: number; viewers: number }
    blue: { publishers: number; viewers: number }
  } {
    const census = { green: { publishers: 0, viewers: 0 }, blue: { publishers: 0, viewers: 0 } }
    for (const user of this.users) {
      const env = user.liveOn()
      if (env === 'green' || env === 'blue') {
        census[env][user.kind === 'publish' ? 'publishers' : 'viewers'] += 1
      }
    }
    return census
  }

  async close(): Promise<void> {
    for (const source of this.sources) {
      source.stop()
    }
    // A client whose werift peer hangs in close() must not hold the benchmark: CLOSE_MS at most.
    const closed = Promise.all(this.users.map((user) => user.close().catch(() => undefined)))
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_MS)))
    if ((await Promise.race([closed, late])) === 'late') {
      process.stderr.write(`scale bench: clients still closing after ${CLOSE_MS} ms; going on\n`)
    }
    clearTimeout(timer)
    if (this.stun) {
      this.stun = false
      await releaseLoopbackStun()
      stunUrl = undefined
    }
  }
}

let trace: WriteStream | undefined

/**
 * SCALE_TRACE=path: every client's log lines (debug included), timestamped and named, appended to that
 * file: per-session timelines when a run goes wrong.
 */
function traceLogger(who: string): Pick<ClientOptions, 'logger'> {
  const path = process.env.SCALE_TRACE
  if (!path) {
    return {}
  }
  trace ??= createWriteStream(path, { flags: 'a' })
  const out = trace
  const line =
    (level: string) =>
    (...args: unknown[]): void => {
      const text = args.map((a) =>
        a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a),
      )
      out.write(`${new Date().toISOString()} ${level} ${who}: ${text.join(' ')}\n`)
    }
  return { logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') } }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`scale bench: timed out waiting for ${what}`)
    }
    await sleep(100)
  }
}
