/**
 * Every value a package exports (functions, classes, constants, from each entry point of its `exports`) is named in
 * that package's README, which is where its users look; the apps' too, since their pieces are exported for embedding.
 * Types are left to the prose around the functions that take them; a value with no words in the README is one nobody
 * will find.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface PackageJson {
  name: string
  exports: Record<string, string | Record<string, string>>
}

/** The entry points of a package: each subpath of `exports` with the source file it resolves to in this repository. */
function entryPoints(dir: string): Array<{ subpath: string; source: string }> {
  const pkg = JSON.parse(readFileSync(`${root}${dir}/package.json`, 'utf8')) as PackageJson
  const out: Array<{ subpath: string; source: string }> = []
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'object' && target['@cohort/source'] !== undefined) out.push({ subpath, source: `${root}${dir}/${target['@cohort/source']}` })
  }
  return out
}

/** The exported names `readme` never mentions as a word. */
function unnamed(names: string[], readme: string): string[] {
  return names.filter((name) => !new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(readme))
}

describe.each(['packages/core', 'packages/transport', 'packages/discovery', 'apps/chat', 'apps/cache', 'apps/cli'])('%s', (dir) => {
  const readme = readFileSync(`${root}${dir}/README.md`, 'utf8')

  it.each(entryPoints(dir))('names every value exported from $subpath in its README', async ({ source }) => {
    const exported = Object.keys((await import(source)) as Record<string, unknown>)
    expect(exported.length).toBeGreaterThan(0)
    expect(unnamed(exported, readme)).toEqual([])
  })
})

describe('unnamed', () => {
  it('finds a name only as a whole word', () => {
    expect(unnamed(['isPid', 'Pid', 'DEFAULT_X'], 'a `Pid` and `isPidLike`, and DEFAULT_X_OPTIONS')).toEqual(['isPid', 'DEFAULT_X'])
  })
})
