/**
 * A TypeScript app passes the module of whichever Red5 SDK it installed to `red5proDriver({ sdk })`:
 * it must type-check without a cast. 15.x ships its own `index.d.ts` (taken from `RED5PRO_SDK_BUILDS`,
 * see DEVELOPERS.md; it imports paths its package does not ship, hence `skipLibCheck`, as Red5's users
 * need too); 11-14 ship none (their module is `any`). Runs tsc on a throwaway app against dist/.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { findRed5proSdkBuilds } from '../helpers/red5proBuilds'

const root = process.cwd()
const typed = findRed5proSdkBuilds().filter((build) => existsSync(join(build.dir, 'index.d.ts')))

function typecheck(sdkDir: string, source: string): string {
  const app = mkdtempSync(join(tmpdir(), 'bluegreen-types-'))
  try {
    mkdirSync(join(app, 'node_modules'))
    symlinkSync(root, join(app, 'node_modules', 'red5pro-bluegreen'), 'dir')
    symlinkSync(sdkDir, join(app, 'node_modules', 'red5pro-webrtc-sdk'), 'dir')
    writeFileSync(join(app, 'app.ts'), source)
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          skipLibCheck: true,
          types: [],
        },
        files: ['app.ts'],
      }),
    )
    try {
      return execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], {
        encoding: 'utf8',
      })
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error)
    }
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
}

describe.skipIf(typed.length === 0)('red5proDriver({ sdk }) with a typed Red5 SDK (15.x index.d.ts)', () => {
  it.each(typed)('accepts red5pro-webrtc-sdk $version as it is, with no cast', (build) => {
    const output = typecheck(
      build.dir,
      [
        "import * as sdk from 'red5pro-webrtc-sdk'",
        "import { red5proDriver } from 'red5pro-bluegreen'",
        'export const driver = red5proDriver({ sdk })',
        'export const other = red5proDriver({ sdk: { WHIPClient: sdk.WHIPClient, WHEPClient: sdk.WHEPClient } })',
      ].join('\n'),
    )
    expect(output).toBe('')
  })

  it.each(typed)('still refuses something that is not an SDK ($version)', (build) => {
    const output = typecheck(
      build.dir,
      "import { red5proDriver } from 'red5pro-bluegreen'\nexport const driver = red5proDriver({ sdk: { WHIPClient: 1 } })\n",
    )
    expect(output).toContain('error TS')
  })
})

it.runIf(typed.length === 0)(
  'reports that no typed Red5 SDK build was available (set RED5PRO_SDK_BUILDS)',
  () => {
    expect(typed).toEqual([])
  },
)
