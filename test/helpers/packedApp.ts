/**
 * The package as a consumer receives it: `npm pack` of this repository, unpacked into a throwaway app's
 * `node_modules/red5pro-bluegreen`, so `exports`, `files` and the built `dist/` are what gets tested.
 * The package's own dependencies are symlinked from this repository's `node_modules` (no network).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** The repository root (vitest runs from it). */
export const root = process.cwd()

/** What `npm pack --json` reports about one tarball. */
export interface PackReport {
  readonly filename: string
  readonly files: readonly { readonly path: string }[]
}

/** Runs `npm pack --json` (with `--dry-run` unless `destination` is given) and returns its report. */
export function npmPack(destination?: string): PackReport {
  const args = destination
    ? ['pack', '--json', '--pack-destination', destination]
    : ['pack', '--json', '--dry-run']
  const out = execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  // npm may print lifecycle output before the JSON array.
  return (JSON.parse(out.slice(out.indexOf('['))) as PackReport[])[0]!
}

/** A throwaway consumer app; `dispose()` removes it. */
export interface PackedApp {
  readonly dir: string
  dispose(): void
}

/**
 * Packs the repository and unpacks it into a new app dir with the given files (path -> contents; objects
 * are written as JSON). `links` names more packages of this repository's node_modules the app gets
 * (e.g. `@types/node`).
 */
export function createPackedApp(
  files: Readonly<Record<string, string | object>>,
  links: readonly string[] = [],
): PackedApp {
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-consumer-'))
  const installed = join(dir, 'node_modules', 'red5pro-bluegreen')
  mkdirSync(installed, { recursive: true })
  const { filename } = npmPack(dir)
  execFileSync('tar', ['-xzf', join(dir, filename), '-C', installed, '--strip-components=1'])
  rmSync(join(dir, filename))
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >
  const deps = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...links,
  ])
  for (const name of deps) {
    const source = join(root, 'node_modules', name)
    if (existsSync(source)) {
      mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true })
      symlinkSync(source, join(dir, 'node_modules', name), 'dir')
    }
  }
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(
      join(dir, path),
      typeof contents === 'string' ? contents : JSON.stringify(contents, null, 2),
    )
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs this repository's TypeScript (`tsc -p <dir>`) and returns what it printed ('' when clean). */
export function tsc(dir: string): string {
  try {
    return execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
      encoding: 'utf8',
    })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    return `${stdout ?? ''}${stderr ?? ''}` || String(error)
  }
}
