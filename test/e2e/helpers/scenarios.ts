/**
 * The measured scenarios, shared by the end-to-end tests (which assert on them) and bench/gaps.bench.ts
 * (which reports them): a promotion watched by two viewers (make-before-break on and off, same run), and
 * an abrupt outage of production. Each starts its own emulator and browser context and cleans both up.
 *
 * A "gap" is the longest time between two frames the viewer's <video> presented (requestVideoFrameCallback
 * stamps), over the whole move: a viewer sees the picture freeze that long.
 */
import { startEmulator, type Emulator } from '../../../src/emulator'
import type { ClientSpec, RecordedEvent, SessionInfo } from '../page/harness'
import { call, openHarness, screenshot, type HarnessServer } from './browser'
import type { Browser as PlaywrightBrowser } from 'playwright-core'

import { asE2eBrowser, type E2eBrowser, type E2ePage as Page } from './engines'

/** A browser of any engine, or a Chromium a test file launched through Playwright itself. */
export type AnyBrowser = E2eBrowser | PlaywrightBrowser

/** Short windows so a scenario takes seconds (the library's defaults are tuned for real drains). */
export const FAST_MIGRATION = { windowMs: 3000, leadMs: 500, marginMs: 500 } as const
export const FAST_RECONNECT = { initialDelayMs: 250, maxDelayMs: 1000 } as const

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` saying `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) {
      return value
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/**
 * The longest time between consecutive frames, counting every pair that overlaps [from, to], and the
 * freeze still running at `to` (from the last frame to `to`): a picture that stopped for good counts.
 */
export function longestGap(frames: readonly number[], from: number, to: number): number {
  let longest = 0
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!
    const b = frames[i]!
    if (b >= from && a <= to) {
      longest = Math.max(longest, b - a)
    }
  }
  const last = frames.filter((t) => t <= to).at(-1) ?? from
  return Math.max(longest, to - Math.max(last, from))
}

/** The stamp of the frame before the longest gap overlapping [from, to] (the last frame before a freeze). */
export function freezeStart(frames: readonly number[], from: number, to: number): number | undefined {
  let longest = -1
  let start: number | undefined
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!
    const b = frames[i]!
    if (b >= from && a <= to && b - a > longest) {
      longest = b - a
      start = a
    }
  }
  return start
}

/** The first recorded event called `name` (optionally after `after`). */
export function firstEvent(
  events: readonly RecordedEvent[],
  name: string | readonly string[],
  after = -Infinity,
): RecordedEvent | undefined {
  const names: readonly string[] = typeof name === 'string' ? [name] : name
  return events.find((e) => names.includes(e.name) && e.at > after)
}

/**
 * A session on its way to the backup after a kill: it reconnects (its connection was given up), or it
 * moves make-before-break (the client failed over while the connection was still in its grace).
 */
export const LEFT = ['reconnecting', 'migrating'] as const
/** See {@link LEFT}: live again, on the backup. */
export const BACK = ['reconnected', 'migrated'] as const

/** Waits until a subscriber has presented `count` frames with a decoded picture. */
export async function waitForFrames(page: Page, sessionId: string, count = 20): Promise<SessionInfo> {
  return waitFor(`${count} frames on ${sessionId}`, async () => {
    const info = await call(page, 'info', sessionId)
    return info.frames >= count && info.videoWidth > 0 ? info : undefined
  })
}

/** Prints every session's state and events (after a failure). */
export async function dumpSessions(page: Page): Promise<void> {
  const [sessions, clientEvents] = await Promise.all([
    call(page, 'all').catch(() => []),
    call(page, 'clientEvents').catch(() => []),
  ])
  const line = (e: RecordedEvent): string =>
    `  ${e.at.toFixed(0).padStart(7)} ${e.name} ${JSON.stringify(e.detail)}`
  for (const s of sessions) {
    console.error(
      `[e2e] ${s.id} (${s.kind}) ${s.state} on ${s.environment}, ${s.frames} frames presented, ${s.framesDecoded} decoded, ${s.audioPacketsReceived} audio packets, ${s.videoWidth}x${s.videoHeight}\n${s.events.map(line).join('\n')}`,
    )
  }
  console.error(
    `[e2e] client events\n${clientEvents
      .filter((e) => !e.name.endsWith(':manifest'))
      .map(line)
      .join('\n')}`,
  )
  console.error(`[e2e] client logs\n${(await call(page, 'logs').catch(() => [])).join('\n')}`)
}

/** Runs `body` in a fresh emulator and browser context; closes everything; screenshots on failure. */
export async function withWorld<T>(
  browser: AnyBrowser,
  harness: HarnessServer,
  name: string,
  body: (world: {
    emu: Emulator
    page: Page
    spec: (extra?: Partial<ClientSpec>) => ClientSpec
  }) => Promise<T>,
): Promise<T> {
  const socketsBefore = udpSockets()
  const emu = await startEmulator({ ttl: 1, logger: false })
  const context = await asE2eBrowser(browser).newContext()
  let failed = false
  try {
    const page = await openHarness(context, harness)
    const spec = (extra: Partial<ClientSpec> = {}): ClientSpec => ({
      discovery: emu.discoveryUrl,
      reconnect: FAST_RECONNECT,
      migration: FAST_MIGRATION,
      ...extra,
    })
    try {
      return await body({ emu, page, spec })
    } catch (error) {
      failed = true
      const path = await screenshot(page, name)
      console.error(`[e2e] ${name} failed; screenshot: ${path}`)
      await dumpSessions(page)
      throw error
    } finally {
      await call(page, 'closeAll').catch(() => undefined)
    }
  } finally {
    await context.close()
    await emu.close()
    if (!failed) {
      // A closed emulator holds no media socket (each one would keep a Node process alive).
      await waitFor(
        `the emulator to release its UDP sockets (${udpSockets() - socketsBefore} left open)`,
        async () => (udpSockets() <= socketsBefore ? true : undefined),
        3000,
      )
    }
  }
}

/** UDP sockets open in this process (werift's ICE transports among them). */
export function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'UDPWrap').length
}

/** What one viewer saw across a promotion. */
export interface ViewerMove {
  /** Longest freeze (ms) from the promotion until 2 s after the viewer's `migrated`. */
  longestGapMs: number
  /** What the session's `migrated` event reported. */
  interruptionMs: number
  /** From the promotion to the viewer's `migrated` (ms). */
  movedAfterMs: number
  /** Frames presented in the 2 s after `migrated`. */
  framesAfterMove: number
  /** Longest gap in the 3 s before the promotion: the steady-state jitter to compare with. */
  baselineGapMs: number
  environment: string
  videoWidth: number
}

/** A promotion, measured. */
export interface PromotionResult {
  makeBeforeBreak: ViewerMove
  breakBeforeMake: ViewerMove
  /** From the promotion to the publisher's `migrated` (ms). */
  publisherMovedAfterMs: number
  publisherEnvironment: string
  /** Longest freeze a viewer that did not move saw while the broadcaster moved (ms), from viewer A. */
  gapWhilePublisherMovedMs: number
}

const AFTER_MOVE_MS = 2000

/**
 * The drivers a promotion runs with: `auto` (the Red5 SDK on green's Stream Manager 1.x, whipDriver on
 * blue's 2.0, as npm's SDK 11 cannot reach 2.0) or `whip` (whipDriver on both sides).
 */
export type PromotionDriver = 'auto' | 'whip'

/**
 * Green (production, Stream Manager 1.x) carries a broadcaster and two viewers of its stream, one with
 * make-before-break and one without. Blue (Stream Manager 2.0) is promoted with an 8 s drain; every
 * session moves there. `driver` picks who carries them (see {@link PromotionDriver}).
 */
export async function promotionScenario(
  browser: AnyBrowser,
  harness: HarnessServer,
  { driver = 'auto' }: { driver?: PromotionDriver } = {},
): Promise<PromotionResult> {
  return withWorld(browser, harness, `promotion-${driver}`, async ({ emu, page, spec }) => {
    await call(page, 'createClient', 'broadcaster', spec({ driver }))
    await call(page, 'createClient', 'viewer-mbb', spec({ driver }))
    await call(
      page,
      'createClient',
      'viewer-bbm',
      spec({ driver, migration: { ...FAST_MIGRATION, makeBeforeBreak: false } }),
    )
    await call(page, 'publish', 'broadcaster', 'stage', 'pub')
    await call(page, 'subscribe', 'viewer-mbb', 'stage', 'mbb')
    await call(page, 'subscribe', 'viewer-bbm', 'stage', 'bbm')
    await waitForFrames(page, 'mbb', 30)
    await waitForFrames(page, 'bbm', 30)

    const promotedAt = await call(page, 'now')
    await emu.promote('blue', { drainSeconds: 8 })

    const moved = async (id: string): Promise<RecordedEvent> =>
      waitFor(
        `${id} to migrate`,
        async () => firstEvent((await call(page, 'info', id)).events, 'migrated'),
        25_000,
      )
    const [pubMoved, mbbMoved, bbmMoved] = await Promise.all([moved('pub'), moved('mbb'), moved('bbm')])
    // Let frames flow on the new side for a while before reading the recordings.
    await waitFor('frames after the moves', async () => {
      const now = await call(page, 'now')
      return now > Math.max(mbbMoved.at, bbmMoved.at) + AFTER_MOVE_MS ? true : undefined
    })

    const viewer = async (id: string, movedEvent: RecordedEvent): Promise<ViewerMove> => {
      const [info, frames] = await Promise.all([call(page, 'info', id), call(page, 'frames', id)])
      const end = movedEvent.at + AFTER_MOVE_MS
      return {
        longestGapMs: Math.round(longestGap(frames, promotedAt, end)),
        interruptionMs: (movedEvent.detail as { interruptionMs: number }).interruptionMs,
        movedAfterMs: Math.round(movedEvent.at - promotedAt),
        framesAfterMove: frames.filter((t) => t > movedEvent.at && t <= end).length,
        baselineGapMs: Math.round(longestGap(frames, promotedAt - 3000, promotedAt)),
        environment: info.environment,
        videoWidth: info.videoWidth,
      }
    }
    const framesA = await call(page, 'frames', 'mbb')
    const pubInfo = await call(page, 'info', 'pub')
    return {
      makeBeforeBreak: await viewer('mbb', mbbMoved),
      breakBeforeMake: await viewer('bbm', bbmMoved),
      publisherMovedAfterMs: Math.round(pubMoved.at - promotedAt),
      publisherEnvironment: pubInfo.environment,
      gapWhilePublisherMovedMs: Math.round(
        longestGap(framesA, promotedAt, Math.min(pubMoved.at, mbbMoved.at)),
      ),
    }
  })
}

/**
 * Once the viewer is back (`subBack`), lets frames flow for a while, then reads both sessions and the
 * viewer's outage: from the last frame of the dead connection to the first frame after `reconnected`.
 */
async function afterRecovery(page: Page, killedAt: number, subBack: RecordedEvent) {
  await waitFor('frames after reconnecting', async () =>
    (await call(page, 'now')) > subBack.at + AFTER_MOVE_MS ? true : undefined,
  )
  const [info, frames, pubInfo] = await Promise.all([
    call(page, 'info', 'sub'),
    call(page, 'frames', 'sub'),
    call(page, 'info', 'pub'),
  ])
  const end = subBack.at + AFTER_MOVE_MS
  const lastOld = freezeStart(frames, killedAt, end) ?? NaN
  const firstNew = frames.find((t) => t > subBack.at) ?? NaN
  return { info, frames, pubInfo, end, outageGapMs: Math.round(firstNew - lastOld) }
}

/** An outage, measured. */
export interface OutageResult {
  /**
   * The viewer's outage: from the last frame of the dead connection to the first frame presented after
   * `reconnected` (ms).
   */
  outageGapMs: number
  /** Longest gap between two presented frames from the kill until 2 s after reconnecting (ms). */
  longestGapMs: number
  /** From the kill to the viewer's first `reconnecting` (ms): how long the drop took to notice. */
  viewerDetectedAfterMs: number
  /** From the kill to the broadcaster's first `reconnecting` (ms). */
  broadcasterDetectedAfterMs: number
  /** From the promotion to the viewer's `reconnected` (ms): what recovery itself took. */
  viewerBackAfterPromotionMs: number
  /** From the promotion to the broadcaster's `reconnected` (ms). */
  broadcasterBackAfterPromotionMs: number
  /** From the kill to the broadcaster's `reconnected` (ms). */
  broadcasterBackAfterKillMs: number
  viewerEnvironment: string
  broadcasterEnvironment: string
  /** Frames presented in the 2 s after the viewer reconnected. */
  framesAfter: number
  videoWidth: number
  /** Reconnect attempts the viewer made (`reconnecting` events). */
  viewerAttempts: number
}

/**
 * Production dies abruptly with a broadcaster and a viewer on it (`emu.kill`: the Stream Manager's sockets
 * are reset and the media node drops every session without a goodbye). Once both sessions have noticed
 * and are reconnecting (the dead Stream Manager does not answer), the operator promotes the other
 * environment; both reconnect there and frames resume.
 *
 * `on: 'green'` (the default): production is green, Stream Manager 1.x, so `driver: 'auto'` plays it with
 * the Red5 SDK. `on: 'blue'`: blue is promoted first, so production speaks 2.0 and whipDriver carries it.
 */
export async function outageScenario(
  browser: AnyBrowser,
  harness: HarnessServer,
  { on = 'green', mode = 'reset' }: { on?: 'green' | 'blue'; mode?: KillMode } = {},
): Promise<OutageResult> {
  const other = on === 'green' ? 'blue' : 'green'
  return withWorld(browser, harness, `outage-of-${on}-${mode}`, async ({ emu, page, spec }) => {
    if (on === 'blue') {
      await emu.promote('blue', { drainSeconds: 600 })
    }
    await call(page, 'createClient', 'broadcaster', spec())
    await call(page, 'createClient', 'viewer', spec())
    await call(page, 'publish', 'broadcaster', 'stage', 'pub')
    const publishedAt = await call(page, 'now')
    await call(page, 'subscribe', 'viewer', 'stage', 'sub')
    await waitForFrames(page, 'sub', 30)
    await broadcastUnderWay(page, publishedAt)

    const killedAt = await call(page, 'now')
    await emu.kill(on, { mode })
    const event = async (id: string, name: string, timeoutMs: number): Promise<RecordedEvent> =>
      waitFor(
        `${id} to emit ${name}`,
        async () => firstEvent((await call(page, 'info', id)).events, name, killedAt),
        timeoutMs,
      )
    const [pubLost, subLost] = await Promise.all([
      event('pub', 'reconnecting', 30_000),
      event('sub', 'reconnecting', 30_000),
    ])
    const promotedAt = await call(page, 'now')
    await emu.promote(other, { drainSeconds: 5 })
    const [pubBack, subBack] = await Promise.all([
      event('pub', 'reconnected', 30_000),
      event('sub', 'reconnected', 30_000),
    ])
    const { info, frames, pubInfo, end, outageGapMs } = await afterRecovery(page, killedAt, subBack)
    return {
      outageGapMs,
      longestGapMs: Math.round(longestGap(frames, killedAt, end)),
      viewerDetectedAfterMs: Math.round(subLost.at - killedAt),
      broadcasterDetectedAfterMs: Math.round(pubLost.at - killedAt),
      viewerBackAfterPromotionMs: Math.round(subBack.at - promotedAt),
      broadcasterBackAfterPromotionMs: Math.round(pubBack.at - promotedAt),
      broadcasterBackAfterKillMs: Math.round(pubBack.at - killedAt),
      viewerEnvironment: info.environment,
      broadcasterEnvironment: pubInfo.environment,
      framesAfter: frames.filter((t) => t > subBack.at && t <= end).length,
      videoWidth: info.videoWidth,
      viewerAttempts: info.events.filter((e) => e.name === 'reconnecting' && e.at > killedAt).length,
    }
  })
}

/**
 * Waits until the broadcast has run for {@link BROADCAST_BEFORE_KILL_MS}: a death strikes a broadcast
 * under way, and a watch only a second old has not yet learnt its node's feedback cadence (a broadcaster
 * killed in its first second is noticed by the receiver-report rule, 1.75-2.5 s; docs/failover.md).
 */
async function broadcastUnderWay(page: Page, publishedAt: number): Promise<void> {
  const since = (await call(page, 'now')) - publishedAt
  if (since < BROADCAST_BEFORE_KILL_MS) {
    await new Promise((resolve) => setTimeout(resolve, BROADCAST_BEFORE_KILL_MS - since))
  }
}

/** How long a broadcast runs before the outage and failover scenarios kill its environment (ms). */
export const BROADCAST_BEFORE_KILL_MS = 3_000

/** A failover without an operator, measured (DESIGN 11). */
export interface FailoverResult {
  /** The viewer's outage: from the last frame of the dead connection to the first frame on the backup (ms). */
  outageGapMs: number
  /** From the kill to the viewer's first `reconnecting` (ms). */
  viewerDetectedAfterMs: number
  /** From the kill to the broadcaster's first `reconnecting` (ms). */
  broadcasterDetectedAfterMs: number
  /** From the kill to the viewer's `reconnected` on the backup (ms). */
  viewerBackAfterMs: number
  /** From the kill to the broadcaster's `reconnected` on the backup (ms): back live. */
  broadcasterBackAfterMs: number
  viewerEnvironment: string
  broadcasterEnvironment: string
  /** Frames presented in the 2 s after the viewer reconnected. */
  framesAfter: number
  /** Reconnect attempts the viewer made (`reconnecting` events). */
  viewerAttempts: number
  /** Whether the manifest changed (it must not: nobody promoted anything). */
  revisionChanged: boolean
}

/** How production dies: `reset` (sockets reset, port closed) or `silent` (a partition: nothing answers). */
export type KillMode = 'reset' | 'silent'

/**
 * Production (green, Stream Manager 1.x) dies under a broadcaster and a viewer while the manifest names blue
 * (2.0) as `failover`; nobody promotes anything. Both sessions notice, find green unreachable and reconnect to
 * blue by themselves. `driver` picks who carries the sessions (`auto`: the Red5 SDK where the loaded build can
 * reach the environment, see {@link PromotionDriver}).
 */
export async function failoverScenario(
  browser: AnyBrowser,
  harness: HarnessServer,
  { driver = 'auto', mode = 'reset' }: { driver?: PromotionDriver; mode?: KillMode } = {},
): Promise<FailoverResult> {
  return withWorld(browser, harness, `failover-${driver}-${mode}`, async ({ emu, page, spec }) => {
    await emu.setRole('failover', 'blue')
    await call(page, 'createClient', 'broadcaster', spec({ driver }))
    await call(page, 'createClient', 'viewer', spec({ driver }))
    await call(page, 'publish', 'broadcaster', 'stage', 'pub')
    const publishedAt = await call(page, 'now')
    await call(page, 'subscribe', 'viewer', 'stage', 'sub')
    await waitForFrames(page, 'sub', 30)
    await broadcastUnderWay(page, publishedAt)
    const revision = emu.revision

    const killedAt = await call(page, 'now')
    await emu.kill('green', { mode })
    const event = async (id: string, name: readonly string[]): Promise<RecordedEvent> =>
      waitFor(
        `${id} to emit ${name.join(' or ')}`,
        async () => firstEvent((await call(page, 'info', id)).events, name, killedAt),
        30_000,
      )
    const [pubLost, subLost, pubBack, subBack] = await Promise.all([
      event('pub', LEFT),
      event('sub', LEFT),
      event('pub', BACK),
      event('sub', BACK),
    ])
    const { info, frames, pubInfo, end, outageGapMs } = await afterRecovery(page, killedAt, subBack)
    return {
      outageGapMs,
      viewerDetectedAfterMs: Math.round(subLost.at - killedAt),
      broadcasterDetectedAfterMs: Math.round(pubLost.at - killedAt),
      viewerBackAfterMs: Math.round(subBack.at - killedAt),
      broadcasterBackAfterMs: Math.round(pubBack.at - killedAt),
      viewerEnvironment: info.environment,
      broadcasterEnvironment: pubInfo.environment,
      framesAfter: frames.filter((t) => t > subBack.at && t <= end).length,
      viewerAttempts: info.events.filter((e) => e.name === 'reconnecting' && e.at > killedAt).length,
      revisionChanged: emu.revision !== revision,
    }
  })
}

/** What Red5's SDK alone did when its production died. */
export interface Red5AloneOutageResult {
  /** From the kill to the SDK's first event saying the session ended or failed (ms), if any came. */
  noticedAfterMs: number | undefined
  /** That event's type. */
  noticedBy: string | undefined
  /** Frames presented in the last 2 s of the observation window (0: the picture never came back). */
  framesAtTheEnd: number
  /** How long the viewer was watched after the kill (ms). */
  observedMs: number
  /** The SDK's event types after the kill, in order, each once (`*.Time.Update` left out). */
  eventsAfterKill: string[]
}

/** SDK events that tell an app its subscriber ended (11-14 and 15 names). */
const RED5_ENDED = /Connection\.Closed|\.Fail|Unpublish|\.Stop|Disconnect/

/**
 * The baseline of {@link failoverScenario}: the viewer is Red5's SDK alone (test/e2e/page/red5Alone.ts),
 * playing production's stream through its Stream Manager 1.x proxy, as a Red5 app without this package
 * does; the broadcaster is ours. Production (green) dies with `mode`; the viewer is watched for
 * `observeMs`: when did the SDK itself say something, and did the picture come back (it has nowhere to go:
 * the SDK never retries, and the app knows no other environment).
 */
export async function red5AloneOutageScenario(
  browser: AnyBrowser,
  harness: HarnessServer,
  { mode = 'reset', observeMs = 20_000 }: { mode?: KillMode; observeMs?: number } = {},
): Promise<Red5AloneOutageResult> {
  return withWorld(browser, harness, `red5-alone-${mode}`, async ({ emu, page, spec }) => {
    await call(page, 'createClient', 'broadcaster', spec({ driver: 'whip' }))
    await call(page, 'publish', 'broadcaster', 'stage', 'pub')
    await call(page, 'red5AloneSubscribe', 'alone', emu.environments.green.streamManager, 'stage')
    await waitFor('frames on the SDK-alone viewer', async () =>
      (await call(page, 'red5AloneInfo', 'alone')).frames.length >= 30 ? true : undefined,
    )
    const killedAt = await call(page, 'now')
    await emu.kill('green', { mode })
    await waitFor(
      'the observation window',
      async () => ((await call(page, 'now')) > killedAt + observeMs ? true : undefined),
      observeMs + 10_000,
      250,
    )
    const { events, frames } = await call(page, 'red5AloneInfo', 'alone')
    const ended = events.find((e) => e.at > killedAt && RED5_ENDED.test(e.name))
    return {
      noticedAfterMs: ended ? Math.round(ended.at - killedAt) : undefined,
      noticedBy: ended?.name,
      framesAtTheEnd: frames.filter((t) => t > killedAt + observeMs - 2000).length,
      observedMs: observeMs,
      eventsAfterKill: [
        ...new Set(
          events.filter((e) => e.at > killedAt && !e.name.endsWith('.Time.Update')).map((e) => e.name),
        ),
      ],
    }
  })
}
