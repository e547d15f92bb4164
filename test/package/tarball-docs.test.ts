/**
 * What the registry shows and what an install carries: LICENSE in the tarball, `repository`, `homepage` and
 * `bugs` in package.json, and every link of every shipped Markdown file (README.md first) working there:
 * relative links name a file in the tarball (and a heading of it, for `#anchors`); links into the GitHub
 * repository that package.json's `repository` names (the one place that names it) point at a file git
 * tracks.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'

import { beforeAll, describe, expect, it } from 'vitest'

import { npmPack, root } from '../helpers/packedApp'

const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  license: string
  repository?: { type: string; url: string }
  homepage?: string
  bugs?: string | { url: string }
}

/** `https://github.com/owner/name` from `git+https://github.com/owner/name.git`. */
const repoUrl = (pkg.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '')

/** The link targets of a Markdown text (inline, reference-style, HTML), outside code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '')
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1]!)
  const reference = [...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!)
  const html = [...prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!)
  return [...inline, ...reference, ...html]
}

/** GitHub's heading anchors of a Markdown text. */
function anchorsOf(markdown: string): Set<string> {
  const prose = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  return new Set(
    [...prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

describe('the link checker', () => {
  it('finds inline, image, reference and HTML links outside code, and GitHub heading anchors', () => {
    const sample = [
      '# A `forged`, huge revision!',
      'See [a](docs/a.md#x), ![b](../b.svg "t") and <a href="c.md">c</a>; not `[d](d.md)`.',
      '```md',
      '[e](e.md)',
      '```',
      '[f]: ./f.md',
    ].join('\n')
    expect(linksOf(sample)).toEqual(['docs/a.md#x', '../b.svg', './f.md', 'c.md'])
    expect(anchorsOf(sample)).toEqual(new Set(['a-forged-huge-revision']))
  })
})

describe('the tarball npm publishes', () => {
  let shipped: Set<string>

  beforeAll(() => {
    shipped = new Set(npmPack().files.map((f) => f.path))
  }, 60_000)

  it('carries LICENSE, the MIT text package.json names, for red5pro-bluegreen contributors', () => {
    expect(shipped.has('LICENSE')).toBe(true)
    const license = readFileSync(`${root}/LICENSE`, 'utf8')
    expect(pkg.license).toBe('MIT')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} red5pro-bluegreen contributors\n/)
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND')
  })

  it('names its repository, homepage and issue tracker, all from one GitHub location', () => {
    expect(pkg.repository?.type).toBe('git')
    expect(repoUrl).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/)
    expect(pkg.homepage).toBe(`${repoUrl}#readme`)
    expect(typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url).toBe(`${repoUrl}/issues`)
  })

  it('README.md still opens with exactly its two set-up commands', () => {
    const readme = readFileSync(`${root}/README.md`, 'utf8')
    expect(readme).toMatch(
      /^# red5pro-bluegreen\n\n```sh\nnpm run demo {3}#[^\n]*\nnpm test {7}#[^\n]*\n```\n/,
    )
  })

  it('every link in every shipped Markdown file works from the tarball (or on our repository)', () => {
    const markdown = [...shipped].filter((path) => path.endsWith('.md'))
    expect(markdown).toContain('README.md')
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n'))
    const broken: string[] = []
    for (const file of markdown) {
      for (const link of linksOf(readFileSync(`${root}/${file}`, 'utf8'))) {
        const where = `${file}: ${link}`
        if (link.startsWith(`${repoUrl}/blob/main/`) || link.startsWith(`${repoUrl}/tree/main/`)) {
          const path = link.slice(`${repoUrl}/blob/main/`.length).split(/[#?]/)[0]!.replace(/\/$/, '')
          if (!tracked.has(path) && ![...tracked].some((file) => file.startsWith(`${path}/`))) {
            broken.push(`${where} (git tracks no ${path})`)
          }
          continue
        }
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
          continue // another site: not checked (no network in tests)
        }
        if (link.startsWith('#')) {
          continue
        }
        const [path = '', anchor] = link.split('#')
        const target = posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(path)))
        if (!shipped.has(target)) {
          broken.push(`${where} (${target} is not in the tarball)`)
        } else if (anchor && target.endsWith('.md')) {
          if (!anchorsOf(readFileSync(`${root}/${target}`, 'utf8')).has(anchor)) {
            broken.push(`${where} (no heading #${anchor} in ${target})`)
          }
        }
      }
    }
    expect(broken).toEqual([])
  })
})
