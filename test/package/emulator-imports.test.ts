/**
 * The emulator's files import each other in one direction only (STYLE: small rooms, one-way data flow):
 * no import cycle under src/emulator, type-only and dynamic imports included (a type cycle is still two
 * rooms that cannot be read apart). The graph is read with TypeScript's own `preProcessFile`, which the
 * project already has, rather than madge (a new dev dependency with its own resolver for the same job).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../../src/emulator')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      return sourceFiles(path)
    }
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

/** The files under `root` that `file` imports (static, type-only, re-exports and `import()`). */
function importsOf(file: string, files: ReadonlySet<string>): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name))
    .flatMap((base) => [`${base}.ts`, join(base, 'index.ts')].filter((path) => files.has(path)))
}

/** Every cycle of the graph, each as the files on it (depth-first search, one report per back edge). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = []
  const done = new Set<string>()
  const stack: string[] = []
  const visit = (node: string): void => {
    const at = stack.indexOf(node)
    if (at >= 0) {
      cycles.push([...stack.slice(at), node])
      return
    }
    if (done.has(node)) {
      return
    }
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      visit(next)
    }
    stack.pop()
    done.add(node)
  }
  for (const node of graph.keys()) {
    visit(node)
  }
  return cycles
}

function emulatorGraph(): Map<string, string[]> {
  const files = new Set(sourceFiles(ROOT))
  return new Map([...files].map((file) => [file, importsOf(file, files)]))
}

describe('src/emulator import graph', () => {
  it('reads the imports it must see: type-only, re-exports and dynamic import()', () => {
    const graph = emulatorGraph()
    const edges = (from: string) => (graph.get(join(ROOT, from)) ?? []).map((to) => relative(ROOT, to))
    expect(edges('index.ts')).toContain('emulator.ts') // `import type` and `await import('./emulator')`
    expect(edges('mediaNode.ts')).toContain('media/types.ts') // `export type { ... } from`
    expect([...graph.keys()].length).toBeGreaterThan(10)
  })

  it('finds a cycle when there is one (a -> b -> c -> a), and none in a tree', () => {
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(findCycles(cyclic)).toEqual([['a', 'b', 'c', 'a']])
    expect(
      findCycles(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([])
  })

  it('has no import cycle', () => {
    const cycles = findCycles(emulatorGraph()).map((cycle) =>
      cycle.map((file) => relative(ROOT, file)).join(' -> '),
    )
    expect(cycles).toEqual([])
  })
})
