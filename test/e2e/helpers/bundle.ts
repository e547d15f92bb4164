/**
 * Bundles browser code that imports the BUILT package (`red5pro-bluegreen` resolves to dist/ through
 * the package's own `exports`), the way a web app's bundler would: dependencies included, the Red5 SDK
 * in a lazily loaded part. tsup (a dev dependency) does the bundling.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Fails with the remedy when dist/ is missing. */
export function requireDist(): void {
  if (!existsSync(`${root}dist/index.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
  }
}

/**
 * Bundles `entry` (relative to the repository root) into `outDir` as one ES module per entry, for
 * current Chromium.
 */
export async function bundleForBrowser(entries: Record<string, string>, outDir: string): Promise<void> {
  // dist/ may be rebuilt (emptied, then written) by a concurrent `npm run build` on a shared checkout:
  // wait for it and try again a few times before failing.
  for (let attempt = 1; ; attempt++) {
    try {
      await bundleOnce(entries, outDir)
      return
    } catch (error) {
      if (attempt >= 5) {
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }
}

async function bundleOnce(entries: Record<string, string>, outDir: string): Promise<void> {
  requireDist()
  const { build } = await import('tsup')
  await build({
    entry: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, `${root}${path}`])),
    outDir,
    format: ['esm'],
    platform: 'browser',
    target: 'chrome120',
    // Everything, dependencies included, goes into the bundle: a browser has no node_modules.
    noExternal: [/.*/],
    splitting: false,
    sourcemap: true,
    dts: false,
    clean: false,
    config: false,
    silent: true,
  })
}
