/**
 * Bundles browser code that imports the BUILT package (`red5pro-bluegreen` resolves to dist/ through
 * the package's own `exports`), the way a web app's bundler would: dependencies included, the Red5 SDK
 * in a lazily loaded part. tsup (a dev dependency) does the bundling.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Fails with the remedy when dist/ is missing. */
export function requireDist(): void {
  if (!existsSync(`${root}dist/index.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
  }
}

/** Options of {@link bundleForBrowser}. */
export interface BundleOptions {
  /**
   * A folder laid out as npm installs `red5pro-webrtc-sdk` (its package.json and main file): the bundle's
   * `import('red5pro-webrtc-sdk')` resolves there instead of node_modules. For the SDK matrix test.
   */
  readonly red5proSdkDir?: string | undefined
}

/** The file `import('red5pro-webrtc-sdk')` resolves to in `dir` (package.json `main`, as bundlers do). */
export function red5proSdkEntry(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string }
  return join(dir, manifest.main ?? 'index.js')
}

/**
 * Bundles `entry` (relative to the repository root) into `outDir` as one ES module per entry, for
 * current Chromium.
 */
export async function bundleForBrowser(
  entries: Record<string, string>,
  outDir: string,
  options: BundleOptions = {},
): Promise<void> {
  // dist/ may be rebuilt (emptied, then written) by a concurrent `npm run build` on a shared checkout:
  // wait for it and try again a few times before failing.
  for (let attempt = 1; ; attempt++) {
    try {
      await bundleOnce(entries, outDir, options)
      return
    } catch (error) {
      if (attempt >= 5) {
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }
}

async function bundleOnce(
  entries: Record<string, string>,
  outDir: string,
  options: BundleOptions,
): Promise<void> {
  requireDist()
  const { build } = await import('tsup')
  const sdkDir = options.red5proSdkDir
  const sdkEntry = sdkDir === undefined ? undefined : red5proSdkEntry(sdkDir)
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
    esbuildPlugins:
      sdkEntry === undefined
        ? []
        : [
            {
              name: 'red5pro-sdk-build',
              setup(build) {
                build.onResolve({ filter: /^red5pro-webrtc-sdk$/ }, () => ({ path: sdkEntry }))
              },
            },
          ],
  })
}
