/**
 * One browser per engine, shared by every test of that engine: `useEngine('firefox')` in a test file
 * launches Firefox and serves the harness once (beforeAll), closes both after the last test (afterAll),
 * and hands the suites getters for them. The suites in ../suites are written once and registered per
 * engine by chromium.e2e.test.ts and firefox.e2e.test.ts.
 */
import { afterAll, beforeAll } from 'vitest'

import { startHarnessServer, type HarnessServer } from './browser'
import { launchBrowser, type E2eBrowser, type Engine } from './engines'

/** The shared browser and harness of one engine, for the suites. */
export interface EngineWorld {
  readonly engine: Engine
  /** The engine's browser (valid inside tests and hooks). */
  browser(): E2eBrowser
  /** The harness page server (valid inside tests and hooks). */
  harness(): HarnessServer
}

/** Registers the hooks that launch `engine` and the harness once for the calling file, and close them. */
export function useEngine(engine: Engine): EngineWorld {
  let browser: E2eBrowser | undefined
  let harness: HarnessServer | undefined
  beforeAll(async () => {
    ;[browser, harness] = await Promise.all([launchBrowser(engine), startHarnessServer()])
    console.log(`[e2e] ${engine}: ${browser.version}`)
  }, 120_000)
  afterAll(async () => {
    await harness?.close()
    await browser?.close()
  })
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) {
      throw new Error(`${engine}: the ${what} is not running (did beforeAll fail?)`)
    }
    return value
  }
  return {
    engine,
    browser: () => required(browser, 'browser'),
    harness: () => required(harness, 'harness server'),
  }
}
