/**
 * The demo page (examples/demo), built as `npm run demo` builds it and served by the emulator, in a real
 * browser: it shows both environments, goes live with the fake camera, plays it in two viewers, and a
 * click on "Promote" for blue moves every session on screen, after which green empties. Screenshots of
 * each step are kept in test-results/e2e/ (they are what a reviewer looks at). With the backup set from
 * the page, a "Kill silently" click on production (a partition) moves the broadcaster and the viewer to
 * the backup by themselves, and Revive brings them back; the timeline shows both.
 */
import { execFileSync } from 'node:child_process'

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { startEmulator, type Emulator } from '../../../src/emulator'
import { screenshot } from '../helpers/browser'
import { requireDist, root } from '../helpers/bundle'
import type { EngineWorld } from '../helpers/engineSuite'
import type { E2ePage as Page } from '../helpers/engines'

/** Opens the demo with short migration windows; fails the test on any page error. */
async function openDemo(emu: Emulator, page: Page, errors: string[], query = ''): Promise<void> {
  page.onPageError((message) => errors.push(message))
  await page.goto(`${emu.demoUrl}?windowMs=2500&leadMs=300&marginMs=300&drain=8${query}`)
  await page.waitForSelector('body[data-ready="true"]', 15_000)
}

const videoWidths = (page: Page): Promise<number[]> =>
  page.$$eval('.tile video', (videos) => videos.map((v) => (v as HTMLVideoElement).videoWidth))

/** Badges of every session tile: `{ title, environment, state }`. */
function tiles(page: Page): Promise<{ title: string; environment: string; state: string }[]> {
  return page.$$eval('.tile:not(.empty)', (nodes) =>
    nodes.map((node) => ({
      title: node.querySelector('strong')?.textContent ?? '',
      environment: (node as HTMLElement).dataset.environment ?? '',
      state: (node as HTMLElement).dataset.state ?? '',
    })),
  )
}

/** What every session tile should say: the broadcaster and `viewers` numbered viewers, live on `environment`. */
function liveOn(
  environment: string,
  viewers: number[],
): { title: string; environment: string; state: string }[] {
  return [
    { title: 'Broadcaster', environment, state: 'live' },
    ...viewers.map((n) => ({ title: `Viewer ${n}`, environment, state: 'live' })),
  ]
}

/**
 * Opens the demo in a fresh browser context and runs `body`; fails on any page error, and on failure
 * keeps a screenshot named `name` and prints the page's timeline.
 */
async function onDemoPage(
  world: EngineWorld,
  emu: Emulator,
  name: string,
  query: string,
  body: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await world.browser().newContext()
  const page = await context.newPage()
  const errors: string[] = []
  try {
    await openDemo(emu, page, errors, query)
    await body(page)
    expect(errors).toEqual([])
  } catch (error) {
    console.error(`[e2e] ${name} failed; screenshot: ${await screenshot(page, `${name}-failure`)}`)
    console.error(`[e2e] timeline:\n${await page.textContent('#timeline').catch(() => '')}`)
    throw error
  } finally {
    await context.close()
  }
}

/** Registers the demo page suite for `world`'s engine. */
export function demoSuite(world: EngineWorld): void {
  let emu: Emulator

  beforeAll(() => {
    requireDist()
    // What `npm run demo` runs after the package build.
    execFileSync(process.execPath, ['examples/demo/build.mjs'], { cwd: root, stdio: 'pipe' })
  })

  beforeEach(async () => {
    emu = await startEmulator({ ttl: 1, logger: false })
  })

  afterEach(async () => {
    await emu?.close()
  })

  describe('the demo page', () => {
    it('shows both environments, plays the camera; a promote click moves every session on screen, rollback brings them back', async () => {
      await onDemoPage(world, emu, 'demo', '', async (page) => {
        // Both environments, with their Stream Manager generation and role.
        await expect.poll(() => page.textContent('#env-green')).toContain('production')
        expect(await page.textContent('#env-green')).toContain('1.x')
        expect(await page.textContent('#env-blue')).toContain('staging')
        expect(await page.textContent('#env-blue')).toContain('2.0')
        expect(await page.textContent('#client-env')).toContain('green')
        expect(await page.textContent('#manifest')).toContain('"production": "green"')

        await page.click('#golive')
        await page.click('#add-viewer')
        await page.click('#add-viewer')
        await expect.poll(() => tiles(page), { timeout: 20_000 }).toEqual(liveOn('green', [1, 2]))
        // The viewers show pictures, and the node counts them.
        await expect.poll(() => videoWidths(page)).toEqual([640, 640, 640])
        await expect
          .poll(() => page.textContent('#env-green [data-sessions]'))
          .toBe('1 publishing · 2 playing')
        await screenshot(page, 'demo-1-live-on-green')

        await page.click('#env-blue button[data-op="promote"]')
        await expect.poll(() => page.textContent('#env-blue [data-roles]')).toBe('production')
        await expect.poll(() => tiles(page), { timeout: 25_000 }).toEqual(liveOn('blue', [1, 2]))
        expect(await page.textContent('#timeline')).toMatch(/viewer 1: moved green → blue, interruption 0 ms/)
        // The page's own frame monitor reports what each viewer saw across its move.
        await expect
          .poll(() => page.$$eval('.tile [data-note]', (notes) => notes.map((n) => n.textContent ?? '')), {
            timeout: 5000,
          })
          .toEqual([
            expect.any(String),
            expect.stringMatching(/^moved green → blue · longest gap \d+ ms$/),
            expect.stringMatching(/^moved green → blue · longest gap \d+ ms$/),
          ])
        console.log(
          `[figures] ${world.engine} demo page: ${(await page.$$eval('.tile [data-note]', (n) => n.map((x) => x.textContent))).slice(1).join('; ')}`,
        )
        expect(await page.textContent('.tile-stat')).toMatch(/\d+ fps/)
        expect(await page.textContent('#timeline')).toMatch(/promote/i)
        expect(await page.textContent('#manifest')).toContain('"production": "blue"')
        await expect
          .poll(() => page.textContent('#env-blue [data-sessions]'))
          .toBe('1 publishing · 2 playing')
        // Pictures on the new side.
        await expect.poll(() => videoWidths(page)).toEqual([640, 640, 640])
        await screenshot(page, 'demo-2-moved-to-blue')
        // Nothing is left behind on the old side: the broadcaster's kept publish closes last (by the deadline).
        await expect
          .poll(() => page.textContent('#env-green [data-sessions]'), { timeout: 15_000 })
          .toBe('0 publishing · 0 playing')
        await screenshot(page, 'demo-3-green-drained')

        // Rollback is another promotion: everyone comes back to green.
        await page.click('#rollback')
        await expect.poll(() => page.textContent('#env-green [data-roles]')).toBe('production')
        await expect.poll(() => tiles(page), { timeout: 25_000 }).toEqual(liveOn('green', [1, 2]))
        await expect.poll(() => videoWidths(page)).toEqual([640, 640, 640])
        expect(await page.textContent('#manifest')).toContain('"revision": 3')
      })
    })

    it('sets the backup from the page; "Kill silently" on production moves the broadcaster and the viewer to it, Revive brings them back; the timeline shows the failover and the return', async () => {
      await onDemoPage(world, emu, 'demo-failover', '&stableMs=3000', async (page) => {
        await expect.poll(() => page.textContent('#backup')).toBe('none')
        await page.click('#env-blue button[data-op="backup"]')
        await expect.poll(() => page.textContent('#backup')).toBe('blue')
        await expect.poll(() => page.textContent('#env-blue [data-roles]')).toContain('failover')
        expect(await page.textContent('#env-blue button[data-op="backup"]')).toContain('Clear backup')

        await page.click('#golive')
        await page.click('#add-viewer')
        await expect.poll(() => tiles(page), { timeout: 20_000 }).toEqual(liveOn('green', [1]))
        await expect.poll(() => videoWidths(page)).toEqual([640, 640])

        // A partition: green answers nothing and resets nothing; nobody promotes anything.
        await page.click('#env-green button[data-op="kill-silent"]')
        await expect.poll(() => page.textContent('#env-green [data-state]')).toContain('killed silently')
        await expect.poll(() => tiles(page), { timeout: 30_000 }).toEqual(liveOn('blue', [1]))
        // The viewer plays the broadcaster again, on the backup.
        await expect
          .poll(() => page.textContent('#env-blue [data-sessions]'), { timeout: 10_000 })
          .toBe('1 publishing · 1 playing')
        await expect
          .poll(() => page.textContent('.tile[data-environment="blue"] .tile-stat'), { timeout: 10_000 })
          .toMatch(/\d+ fps/)
        const timeline = await page.textContent('#timeline')
        expect(timeline).toMatch(/failover: green is unreachable; sessions move to the backup blue/)
        expect(timeline).toMatch(/killed green silently/)
        expect(await page.textContent('#manifest')).toContain('"production": "green"')
        await screenshot(page, 'demo-5-failover-after-silent-kill')
        console.log(
          `[figures] ${world.engine} demo page, silent kill of production with the backup set: ${(await page.$$eval('.tile [data-note]', (n) => n.map((x) => x.textContent))).join('; ')}`,
        )

        // The partition heals: after the stable period the client returns, make-before-break.
        await page.click('#env-green button[data-op="revive"]')
        await expect.poll(() => tiles(page), { timeout: 30_000 }).toEqual(liveOn('green', [1]))
        await expect
          .poll(() => page.textContent('#timeline'), { timeout: 10_000 })
          .toMatch(/recovered: green answered again; sessions return from blue/)
        await expect.poll(() => videoWidths(page)).toEqual([640, 640])
        await screenshot(page, 'demo-6-recovered-on-green')

        await page.click('#env-blue button[data-op="backup"]')
        await expect.poll(() => page.textContent('#backup')).toBe('none')
      })
    })

    it('the QA selector recreates the client on staging: its sessions run on blue, badged staging', async () => {
      await onDemoPage(world, emu, 'demo-qa', '', async (page) => {
        await page.click('#golive')
        await page.click('#add-viewer')
        await expect.poll(() => tiles(page), { timeout: 20_000 }).toEqual(liveOn('green', [1]))

        await page.selectOption('#qa', 'staging')
        await expect.poll(() => page.textContent('#client-env')).toContain('blue · staging')
        // The same sessions start again on the new client, on staging.
        await expect.poll(() => tiles(page), { timeout: 20_000 }).toEqual(liveOn('blue', [2]))
        await expect.poll(() => videoWidths(page)).toEqual([640, 640])
        expect(await page.textContent('.tile[data-environment="blue"] .badges')).toContain('staging')
        // The production client's sessions were closed, not left running.
        await expect
          .poll(() => page.textContent('#env-green [data-sessions]'))
          .toBe('0 publishing · 0 playing')
        await expect
          .poll(() => page.textContent('#env-blue [data-sessions]'))
          .toBe('1 publishing · 1 playing')
        await screenshot(page, 'demo-4-qa-on-staging')
      })
    })
  })
}
