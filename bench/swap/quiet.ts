/**
 * Real HTTP under a simulated clock: a `fetch` per client that lets a driver of simulated time (tests, the
 * swap benchmark) know when the client's network work has finished, so it can move the clock to the next
 * timer at the moment the client would really have reached it.
 *
 * The client is busy, for this purpose, while
 * - one of its requests is in flight (the body is read inside the count), for at most `stuckAfterMs` of
 *   real time: a request that long in flight on loopback is one no server will answer (a connection
 *   that met a closing server), and only the client's own timeout, which runs on the simulated clock,
 *   can end it, so the clock must move;
 * - the HTTP layer may still retry a request that failed with a retryable status or a network error (its
 *   backoff runs on real timers): until its next request starts, or `retryGraceMs` passes, unless that
 *   failure used up the attempts the layer makes for that URL (`attempts`);
 * - it received a manifest with a newer revision than the one it holds (checking it takes a SHA-256 on
 *   the thread pool): until it holds it, or `adoptGraceMs` passes (a refused manifest).
 */
import type { FetchLike } from '../../src/environment'

/** Statuses the client's HTTP layer retries. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504])

/** What the network watcher needs to see of a client. */
export interface WatchedClient {
  readonly manifest: { readonly revision: number } | undefined
  readonly closed: boolean
}

/** One client's fetch and what it is waiting for. */
export interface Channel {
  /** Give this to `createClient({ fetch })`. */
  readonly fetch: FetchLike
  /** Tell the channel which client uses it (to know when a received manifest is adopted). */
  watch(client: WatchedClient): void
}

/** Tuning of {@link quietNetwork}. */
export interface QuietOptions {
  /** Longest real wait for a retry of a failed request. @default 600 (the Stream Manager layer's 2nd backoff is at most 500 ms) */
  retryGraceMs?: number
  /** Longest real wait for a received manifest to be adopted. @default 3000 */
  adoptGraceMs?: number
  /**
   * How many attempts the client's HTTP layer makes for a request to `url` (the client retries discovery
   * once and Stream Manager calls twice). After that many failures in a row there is no retry to wait for.
   * @default () => 3
   */
  attempts?: (url: string) => number
  /**
   * Real time after which a request still in flight no longer holds the clock (see the header).
   * @default 5000
   */
  stuckAfterMs?: number
  /** Called with every answer's URL and status (after its body was read). */
  onResponse?: (url: string, status: number) => void
}

/** Real fetches for many clients, and a way to wait until none of them has network work left. */
export interface QuietNetwork {
  /** A new channel (one per client). */
  channel(): Channel
  /** True while some client still has network work in progress. */
  busy(): boolean
  /** Resolves (real time) once no client has had network work for a few turns of the event loop. */
  idle(): Promise<void>
  /** Requests made so far, all channels together. */
  readonly requests: number
}

interface ChannelState {
  /** Real start times (performance.now()) of the requests in flight. */
  inflight: Set<{ readonly at: number }>
  /** Retryable failures in a row, by URL. */
  failures: Map<string, number>
  retryUntil: number
  expected: number
  expectedUntil: number
  client: WatchedClient | undefined
}

/** Creates the watcher. Uses the global `fetch` for the real requests. */
export function quietNetwork(options: QuietOptions = {}): QuietNetwork {
  const retryGraceMs = options.retryGraceMs ?? 600
  const adoptGraceMs = options.adoptGraceMs ?? 3_000
  const attempts = options.attempts ?? (() => 3)
  const stuckAfterMs = options.stuckAfterMs ?? 5_000
  const channels: ChannelState[] = []
  let requests = 0

  const busyChannel = (state: ChannelState, now: number): boolean => {
    if (now < state.retryUntil || [...state.inflight].some(({ at }) => now - at < stuckAfterMs)) {
      return true
    }
    const client = state.client
    if (!client || client.closed || now >= state.expectedUntil) {
      return false
    }
    return (client.manifest?.revision ?? 0) < state.expected
  }
  const busy = (): boolean => {
    const now = performance.now()
    return channels.some((state) => busyChannel(state, now))
  }

  return {
    get requests() {
      return requests
    },
    channel() {
      const state: ChannelState = {
        inflight: new Set(),
        failures: new Map(),
        retryUntil: 0,
        expected: 0,
        expectedUntil: 0,
        client: undefined,
      }
      channels.push(state)
      const failed = (url: string): void => {
        const inARow = (state.failures.get(url) ?? 0) + 1
        state.failures.set(url, inARow)
        state.retryUntil = inARow % attempts(url) === 0 ? 0 : performance.now() + retryGraceMs
      }
      const fetchImpl: FetchLike = async (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        requests += 1
        const request = { at: performance.now() }
        state.inflight.add(request)
        state.retryUntil = 0
        try {
          const response = await fetch(input, init)
          const body =
            response.status === 204 || response.status === 304 ? null : await response.arrayBuffer()
          options.onResponse?.(url, response.status)
          if (RETRYABLE.has(response.status)) {
            failed(url)
          } else {
            state.failures.delete(url)
            if (response.status === 200 && body !== null) {
              noteManifest(state, body, adoptGraceMs)
            }
          }
          return new Response(body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
          })
        } catch (error) {
          const aborted = init?.signal?.aborted === true || (input instanceof Request && input.signal.aborted)
          if (aborted) {
            state.failures.delete(url)
          } else {
            failed(url)
          }
          throw error
        } finally {
          state.inflight.delete(request)
        }
      }
      return {
        fetch: fetchImpl,
        watch(client) {
          state.client = client
        },
      }
    },
    busy,
    async idle() {
      for (let quiet = 0; quiet < 3; ) {
        const waiting = busy()
        await new Promise<void>((resolve) => (waiting ? setTimeout(resolve, 2) : setImmediate(resolve)))
        quiet = waiting || busy() ? 0 : quiet + 1
      }
    },
  }
}

/** A 200 answer that is a manifest: the client should hold its revision soon. */
function noteManifest(state: ChannelState, body: ArrayBuffer, graceMs: number): void {
  if (body.byteLength > 64 * 1024) {
    return
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as {
      manifestVersion?: unknown
      revision?: unknown
    }
    if (parsed.manifestVersion !== undefined && typeof parsed.revision === 'number') {
      state.expected = Math.max(state.expected, parsed.revision)
      state.expectedUntil = performance.now() + graceMs
    }
  } catch {
    // not JSON: a Stream Manager error page, or not ours to understand
  }
}
