import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The rules that keep core deterministic and free of I/O (no I/O modules, no ambient time or randomness), checked over
// the sources.
const root = fileURLToPath(new URL('.', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return sources(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

const files = sources(root).map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }))

describe('core architecture', () => {
  it('imports no I/O module', () => {
    const banned = /from ['"](node:)?(net|http|https|http2|dgram|dns|fs|fs\/promises|child_process|tls|ws)['"]/
    expect(files.filter((f) => banned.test(f.text)).map((f) => f.path)).toEqual([])
  })

  it('never imports an upper layer', () => {
    expect(files.filter((f) => /from ['"]@cohort\//.test(f.text)).map((f) => f.path)).toEqual([])
  })

  it('reads time and randomness only through the injected clock and random', () => {
    const ambient = /\b(Date\.now|performance\.now|Math\.random|setTimeout|setInterval|setImmediate)\s*\(/
    const allowed = new Set(['clock.ts', 'random.ts', 'testing/test-clock.ts', 'testing/in-memory-network.ts'])
    expect(files.filter((f) => !allowed.has(f.path) && ambient.test(f.text.replace(/clock\.(setTimeout|setImmediate)/g, ''))).map((f) => f.path)).toEqual([])
  })

  it('touches no process globals', () => {
    expect(files.filter((f) => /\bprocess\.(env|exit|on)\b/.test(f.text)).map((f) => f.path)).toEqual([])
  })

  it('keeps the subfolder direction: actor/ imports only root concepts', () => {
    const actorFiles = files.filter((f) => f.path.startsWith('actor/'))
    const upward = actorFiles.filter((f) => /from ['"]\.\.\/(system|supervision|cluster|testing)\//.test(f.text))
    expect(upward.map((f) => f.path)).toEqual([])
  })
})
