/**
 * The builds of Red5's SDK the tests can use: `red5pro-webrtc-sdk` from node_modules (11.0.0, the only
 * one the npm registry here serves), plus every folder in `RED5PRO_SDK_BUILDS` laid out as npm installs
 * the package (`<folder>/<version>/node_modules/red5pro-webrtc-sdk/`; `scripts/red5pro-sdk-builds.sh`
 * makes it from Red5's public repository, see DEVELOPERS.md). Red5's licence forbids shipping the SDK:
 * nothing here commits it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The generations red5proDriver promises (DESIGN 12); tests report each one they could not run. */
export const RED5PRO_GENERATIONS = ['11.0.0', '12.5.0', '13.0.0', '14.3.0', '15.0.0', '15.2.0'] as const

/** One SDK build on disk. */
export interface SdkBuild {
  /** The release (its folder name), e.g. `15.2.0`. */
  readonly version: string
  /** The package folder (package.json, the main file). */
  readonly dir: string
  readonly source: 'npm' | 'RED5PRO_SDK_BUILDS'
  /** The file `import('red5pro-webrtc-sdk')` resolves to (package.json `main`). */
  readonly entry: string
}

// The repository root (tests run there; under happy-dom `import.meta.url` is not a file URL).
const root = process.cwd()

function packageDirIn(folder: string): string | undefined {
  for (const dir of [join(folder, 'node_modules', 'red5pro-webrtc-sdk'), folder]) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir
    }
  }
  return undefined
}

function readManifest(dir: string): { version?: string; main?: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string; main?: string }
}

/** Every build found, oldest first; node_modules' unless a build of the same version is in the folder. */
export function findRed5proSdkBuilds(): SdkBuild[] {
  const builds: SdkBuild[] = []
  const folder = process.env.RED5PRO_SDK_BUILDS
  if (folder) {
    for (const name of readdirSync(folder).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      const dir = packageDirIn(join(folder, name))
      if (dir) {
        builds.push({
          version: name,
          dir,
          source: 'RED5PRO_SDK_BUILDS',
          entry: join(dir, readManifest(dir).main ?? 'index.js'),
        })
      }
    }
  }
  const npm = join(root, 'node_modules', 'red5pro-webrtc-sdk')
  if (existsSync(join(npm, 'package.json'))) {
    const { version = 'unknown', main = 'index.js' } = readManifest(npm)
    if (!builds.some((b) => b.version === version)) {
      builds.unshift({ version, dir: npm, source: 'npm', entry: join(npm, main) })
    }
  }
  return builds
}

/** The major version of a build, e.g. 15 for `15.2.0`. */
export function majorOf(build: SdkBuild): number {
  return Number.parseInt(build.version, 10)
}
