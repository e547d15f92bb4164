/**
 * red5proDriver against every build of Red5's own SDK we can find, in real Chromium (fake camera) against
 * the emulator: publish + play on both Stream Manager generations, a promotion moving Red5-SDK viewers
 * make-before-break, a name already taken, a stream that is not there, and a node killed under a live
 * viewer (how long each generation took to notice).
 *
 * Builds: `red5pro-webrtc-sdk` from node_modules (11.0.0, the only one the npm registry here serves),
 * plus every folder in `RED5PRO_SDK_BUILDS` laid out as npm installs the package
 * (`<folder>/<version>/node_modules/red5pro-webrtc-sdk/`; `scripts/red5pro-sdk-builds.sh` makes it from
 * Red5's public repository, see DEVELOPERS.md). Red5's licence forbids shipping the SDK: nothing here
 * commits it. The run prints which generations ran and which were not available, and writes the table to
 * test-results/e2e/red5pro-matrix.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { findRed5proSdkBuilds, majorOf, RED5PRO_GENERATIONS } from '../helpers/red5proBuilds'
import { call, RESULTS_DIR, startHarnessServer, type HarnessServer } from './helpers/browser'
import { launchBrowser, type E2eBrowser, type E2ePage as Page } from './helpers/engines'
import { expectFramesFlowing } from './helpers/expectations'
import { outageScenario, promotionScenario, waitForFrames, withWorld } from './helpers/scenarios'

const builds = findRed5proSdkBuilds()
const major = majorOf

/** One row of the printed table. */
interface Row {
  version: string
  source: string
  loaded?: string | undefined
  green?: string
  blue?: string
  promotionGapMs?: number
  nameTaken?: string | undefined
  notFound?: string | undefined
  noticedKillMs?: number
  outageGapMs?: number
}
const rows = new Map<string, Row>()
const row = (build: { version: string; source: string }): Row => {
  let found = rows.get(build.version)
  if (!found) {
    found = { version: build.version, source: build.source }
    rows.set(build.version, found)
  }
  return found
}

let browser: E2eBrowser

beforeAll(async () => {
  browser = await launchBrowser('chromium')
})

afterAll(async () => {
  await browser?.close()
  const ran = [...rows.values()]
  const missing = RED5PRO_GENERATIONS.filter((v) => !builds.some((b) => b.version === v))
  const table = ran.map((r) => ({ ...r }))
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(
    join(RESULTS_DIR, 'red5pro-matrix.json'),
    `${JSON.stringify({ ran: table, missing }, null, 2)}\n`,
  )
  console.log(
    `[red5pro matrix] ran: ${ran.map((r) => r.version).join(', ') || 'none'}; not available: ${
      missing.join(', ') || 'none'
    }${missing.length > 0 ? ' (set RED5PRO_SDK_BUILDS, see DEVELOPERS.md)' : ''}`,
  )
  console.table(table)
})

/** The SDK build the driver reported loading (its log line), e.g. `15.2.0` or `11-14 (no getVersion)`. */
async function loadedBuild(page: Page): Promise<string | undefined> {
  const logs = await call(page, 'logs')
  for (const line of logs) {
    const match = /using red5pro-webrtc-sdk (.+?) \((?:classic|ts) generation/.exec(line)
    if (match) {
      return match[1]
    }
  }
  return undefined
}

describe.each(builds)('red5pro-webrtc-sdk $version ($source)', (build) => {
  let harness: HarnessServer

  beforeAll(async () => {
    harness = await startHarnessServer({ red5proSdkDir: build.dir })
  })

  afterAll(async () => {
    await harness?.close()
  })

  it('publishes and plays on green through the Stream Manager 1.x proxy', async () => {
    await withWorld(browser, harness, `red5pro-${build.version}-green`, async ({ emu, page, spec }) => {
      const connectionParams = { room: 'a&b=c d' }
      await call(page, 'createClient', 'broadcaster', spec({ driver: 'red5pro', connectionParams }))
      await call(page, 'createClient', 'viewer', spec({ driver: 'red5pro', connectionParams }))
      await call(page, 'publish', 'broadcaster', 'cam', 'pub')
      await call(page, 'subscribe', 'viewer', 'cam', 'sub')
      await expectFramesFlowing(page, 'sub')

      const loaded = await loadedBuild(page)
      row(build).loaded = loaded
      // Decided by what the SDK offers: 15+ tells its version, 11-14 cannot.
      if (major(build) >= 15) {
        expect(loaded).toMatch(/^15\.\d+\.\d+/)
      } else {
        expect(loaded).toBe('11-14 (no getVersion)')
      }
      const requests = emu.node('green')!.stats().requests
      const post = (path: string) => requests.find((r) => r.method === 'POST' && r.path === path)
      // The caller's connectionParams arrive intact (the SDK appends them raw; the driver encodes them).
      expect(post('/live/whip/endpoint/cam')?.query).toMatchObject(connectionParams)
      expect(post('/live/whep/endpoint/cam')?.query).toMatchObject(connectionParams)
      // The WHEP request id is the driver's own, fresh per attempt (not the SDK's colliding default).
      expect(post('/live/whep/endpoint/cam')?.query?.requestId).toMatch(/^[0-9a-f-]{32,36}$/)
      row(build).green = 'plays'
    })
  })

  it('reaches the Stream Manager 2.0 proxy with `endpoint` + nodeGroup on 13+, and says why not on 11-12', async () => {
    await withWorld(browser, harness, `red5pro-${build.version}-blue`, async ({ emu, page, spec }) => {
      await call(page, 'createClient', 'broadcaster', spec({ driver: 'red5pro', environment: 'blue' }))
      await call(page, 'createClient', 'viewer', spec({ driver: 'red5pro', environment: 'blue' }))
      if (major(build) < 13) {
        const refused = await call(page, 'attempt', 'broadcaster', 'publish', 'cam2')
        expect(refused).toMatchObject({ ok: false, code: 'DRIVER_UNAVAILABLE' })
        expect(refused.message).toContain('13.0')
        // driver: 'auto' then plays blue with whipDriver.
        await call(page, 'createClient', 'auto-pub', spec({ environment: 'blue' }))
        await call(page, 'createClient', 'auto-sub', spec({ environment: 'blue' }))
        await call(page, 'publish', 'auto-pub', 'cam2', 'pub')
        await call(page, 'subscribe', 'auto-sub', 'cam2', 'sub')
        await expectFramesFlowing(page, 'sub')
        row(build).blue = 'DRIVER_UNAVAILABLE (needs 13); auto plays it with whipDriver'
        return
      }
      await call(page, 'publish', 'broadcaster', 'cam2', 'pub')
      await call(page, 'subscribe', 'viewer', 'cam2', 'sub')
      await expectFramesFlowing(page, 'sub')
      // The SDK signalled through the 2.0 proxy with the node group, and followed Session-Host.
      const requests = emu.node('blue')!.stats().requests
      const post = (path: string) => requests.find((r) => r.method === 'POST' && r.path === path)
      expect(post('/live/whip/endpoint/cam2')?.query).toMatchObject({ nodeGroup: 'default' })
      expect(post('/live/whep/endpoint/cam2')?.query?.requestId).toMatch(/^[0-9a-f-]{32,36}$/)
      expect(emu.state().environments.blue).toMatchObject({ publishers: 1, subscribers: 1 })
      // driver: 'auto' takes the Red5 SDK there too (whipDriver would pin `host` and send no nodeGroup).
      await call(page, 'createClient', 'auto-pub', spec({ environment: 'blue' }))
      await call(page, 'createClient', 'auto-sub', spec({ environment: 'blue' }))
      await call(page, 'publish', 'auto-pub', 'cam3', 'pub3')
      await call(page, 'subscribe', 'auto-sub', 'cam3', 'sub3')
      await waitForFrames(page, 'sub3', 20)
      const auto = emu.node('blue')!.stats().requests
      const autoPost = auto.find((r) => r.method === 'POST' && r.path === '/live/whep/endpoint/cam3')
      expect(autoPost?.query).toMatchObject({ nodeGroup: 'default' })
      row(build).blue = 'plays (endpoint + nodeGroup); auto uses the SDK'
    })
  })

  it('moves Red5-SDK viewers to the promoted environment make-before-break', async () => {
    // driver: 'auto' everywhere: the Red5 SDK on green, and on blue too from 13 on.
    const result = await promotionScenario(browser, harness)
    row(build).promotionGapMs = result.makeBeforeBreak.longestGapMs
    expect(result.publisherEnvironment).toBe('blue')
    expect(result.makeBeforeBreak.environment).toBe('blue')
    expect(result.makeBeforeBreak.framesAfterMove).toBeGreaterThan(20)
    expect(result.makeBeforeBreak.interruptionMs).toBe(0)
    expect(result.makeBeforeBreak.longestGapMs).toBeLessThan(1000)
  })

  it('refuses a name already published (MEDIA_FAILED 409) and a stream that is not there (STREAM_NOT_FOUND)', async () => {
    await withWorld(browser, harness, `red5pro-${build.version}-refusals`, async ({ page, spec }) => {
      await call(page, 'createClient', 'first', spec({ driver: 'red5pro' }))
      await call(page, 'createClient', 'second', spec({ driver: 'red5pro' }))
      await call(page, 'publish', 'first', 'taken', 'pub')
      const taken = await call(page, 'attempt', 'second', 'publish', 'taken')
      expect(taken).toMatchObject({ ok: false, code: 'MEDIA_FAILED', status: 409 })
      const missing = await call(page, 'attempt', 'second', 'subscribe', 'nobody-here')
      expect(missing).toMatchObject({ ok: false, code: 'STREAM_NOT_FOUND' })
      row(build).nameTaken = `${taken.code} ${taken.status}`
      row(build).notFound = missing.code
    })
  })

  it('notices a node killed under a live viewer within seconds and reconnects it', async () => {
    const result = await outageScenario(browser, harness)
    row(build).noticedKillMs = result.viewerDetectedAfterMs
    row(build).outageGapMs = result.outageGapMs
    expect(result.viewerEnvironment).toBe('blue')
    expect(result.framesAfter).toBeGreaterThan(20)
    // The liveness watch on the SDK's peer connection: nothing received for 3 s + 2 s of grace, polled
    // every second (the SDK alone takes 11-18 s, or never on 15.x viewers).
    expect(result.viewerDetectedAfterMs).toBeLessThan(8000)
  })
})
