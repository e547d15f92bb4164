/**
 * Nothing tagged `@internal` in src/ reaches the published .d.ts (tsup builds them with `stripInternal`).
 * Declarations are matched by name and container (`BlueGreenClient.env`, `Environment`), read with the
 * TypeScript compiler API from both sides; `stripInternal` treats any leading comment holding the tag as
 * marking the declaration, and so does this test. That the stripped .d.ts still compile (nothing public
 * refers to a stripped type) is consumer-types.test.ts's job (`skipLibCheck: false`).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = process.cwd()

function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && keep(join(entry.parentPath, entry.name)))
    .map((entry) => join(entry.parentPath, entry.name))
}

function nameOf(node: ts.Node): string | undefined {
  const name = (node as { name?: ts.Node }).name
  return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name))
    ? name.text.replace(/\$\d+$/, '') // rollup-plugin-dts renames clashes to `Name$1`
    : undefined
}

function isInternal(node: ts.Node, text: string): boolean {
  return (ts.getLeadingCommentRanges(text, node.pos) ?? []).some((c) =>
    text.slice(c.pos, c.end).includes('@internal'),
  )
}

/** `Name` for top-level declarations (and each name of a variable statement), `Container.member` for members. */
function declarations(file: string): { key: string; internal: boolean }[] {
  const text = readFileSync(file, 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: { key: string; internal: boolean }[] = []
  for (const statement of source.statements) {
    const internal = isInternal(statement, text)
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        found.push({ key: nameOf(declaration) ?? '', internal })
      }
      continue
    }
    const name = nameOf(statement)
    if (!name || ts.isImportEqualsDeclaration(statement) || ts.isModuleDeclaration(statement)) {
      continue
    }
    found.push({ key: name, internal })
    if (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) {
      for (const member of statement.members) {
        const memberName = ts.isConstructorDeclaration(member) ? 'constructor' : nameOf(member)
        if (memberName && !memberName.startsWith('#')) {
          found.push({ key: `${name}.${memberName}`, internal: internal || isInternal(member, text) })
        }
      }
    }
  }
  return found.filter((d) => d.key !== '')
}

describe('the published .d.ts files', () => {
  const published = files(join(root, 'dist'), (f) => /\.d\.c?ts$/.test(f))

  it('exist (run `npm run build` first)', () => {
    expect(published.length).toBeGreaterThanOrEqual(6)
  })

  it('declare nothing that src/ tags @internal (by name and container)', () => {
    const sources = files(join(root, 'src'), (f) => f.endsWith('.ts') && !/\.test\.ts$|__fixtures__/.test(f))
    const all = sources.flatMap(declarations)
    const publicKeys = new Set(all.filter((d) => !d.internal).map((d) => d.key))
    // A name some other module declares publicly may appear (e.g. an internal helper's namesake).
    const internal = new Set(all.filter((d) => d.internal && !publicKeys.has(d.key)).map((d) => d.key))
    expect(internal.size).toBeGreaterThan(50) // the scan sees the tags
    const leaks = published.flatMap((file) =>
      declarations(file)
        .filter((d) => internal.has(d.key))
        .map((d) => `${relative(root, file)}: ${d.key}`),
    )
    expect(leaks).toEqual([])
  })

  it('carry no @internal comment (a tag left behind means a declaration was not stripped)', () => {
    const tagged = published.filter((file) => readFileSync(file, 'utf8').includes('@internal'))
    expect(tagged.map((file) => relative(root, file))).toEqual([])
  })
})
