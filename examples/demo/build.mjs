#!/usr/bin/env node
/**
 * Builds the demo page's script: bundles examples/demo/main.js, which imports `red5pro-bluegreen` by name
 * (the package's own `exports`, i.e. the built dist/) the way a web app would, together with its
 * dependencies, into dist/demo/ (the emulator serves dist/ at /dist/). A browser has no node_modules and
 * the package's dependencies are not browser-ready modules (eventemitter3 is CommonJS), so something has to
 * bundle; this is the smallest such step. The Red5 SDK lands in its own chunk, loaded on first use.
 * `npm run build` empties dist/, so run this after it:
 *
 *   npm run build && node examples/demo/build.mjs
 *
 * `--no-red5pro-sdk` leaves Red5's SDK out (it is Red5's to distribute, not ours: use this for anything
 * published); `driver: 'auto'` then finds no SDK and plays every environment with whipDriver.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')

/** Bundles the demo into `outDir` (default dist/demo); `withRed5proSdk: false` leaves the Red5 SDK out. */
export async function buildDemo({ outDir = join(root, 'dist', 'demo'), withRed5proSdk = true } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first.')
  }
  const { build } = await import('tsup')
  await build({
    entry: { demo: join(here, 'main.js') },
    outDir,
    format: ['esm'],
    platform: 'browser',
    target: 'chrome120',
    // Everything is bundled (a browser has no node_modules), except, on request, the Red5 SDK: its lazy
    // import() then fails in the page and the library falls back to whipDriver.
    noExternal: [withRed5proSdk ? /.*/ : /^(?!red5pro-webrtc-sdk$)/],
    external: withRed5proSdk ? [] : ['red5pro-webrtc-sdk'],
    splitting: true,
    // The shipped demo (--no-red5pro-sdk) has no maps: they would double its share of the install.
    sourcemap: withRed5proSdk,
    minify: true,
    dts: false,
    clean: true,
    config: false,
    silent: true,
  })
  return outDir
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const withRed5proSdk = !process.argv.includes('--no-red5pro-sdk')
  const outDir = await buildDemo({ withRed5proSdk })
  process.stdout.write(`demo built into ${outDir}${withRed5proSdk ? '' : ' (without the Red5 SDK)'}\n`)
}
