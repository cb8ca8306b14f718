/**
 * The architecture of core and transport, checked over their sources as text: core stays deterministic and free of
 * I/O, imports inside each package run one way between its folders (the order each package README draws), and no
 * files import each other in a circle, not even for types (ESLint's import-x/no-cycle already fails on a runtime
 * cycle; a circle of types is the same knot for a reader).
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findCycles, folderOf, readSources } from '../support/import-graph.ts'
import type { SourceFile } from '../support/import-graph.ts'

const core = readSources(fileURLToPath(new URL('../../packages/core/src', import.meta.url)))
const transport = readSources(fileURLToPath(new URL('../../packages/transport/src', import.meta.url)))
const discovery = readSources(fileURLToPath(new URL('../../packages/discovery/src', import.meta.url)))
const cli = readSources(fileURLToPath(new URL('../../apps/cli/src', import.meta.url)))
const files = core

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

})

/**
 * For each folder, the folders its files may import (`''` is the package's own top level). Entry points (`index.ts`
 * files and `start-node.ts`) gather the layers for users and may import any of them.
 */
const CORE_DIRECTION: Record<string, readonly string[]> = {
  internal: ['internal'],
  '': ['', 'internal'],
  actor: ['actor', '', 'internal'],
  distribution: ['distribution', '', 'internal'],
  system: ['system', 'actor', 'distribution', '', 'internal'],
  supervision: ['supervision', 'system', 'actor', '', 'internal'],
  cluster: ['cluster', 'supervision', 'system', 'actor', 'distribution', '', 'internal'],
  testing: ['testing', 'cluster', 'supervision', 'system', 'actor', 'distribution', '', 'internal'],
  'test-support': ['test-support', ''],
}
const CORE_ENTRIES = new Set(['index.ts', 'distribution/index.ts', 'testing/index.ts'])

const TRANSPORT_DIRECTION: Record<string, readonly string[]> = {
  '': [''],
  wire: ['wire', ''],
  connection: ['connection', 'wire', ''],
  node: ['node', 'connection', 'wire', ''],
  'test-support': ['test-support', 'node', 'connection', 'wire', ''],
}
const TRANSPORT_ENTRIES = new Set(['index.ts', 'start-node.ts'])

/** Every import that runs against the direction, as `file -> imported file`. */
function againstDirection(sources: readonly SourceFile[], direction: Record<string, readonly string[]>, entries: ReadonlySet<string>): string[] {
  const wrong: string[] = []
  for (const f of sources) {
    if (entries.has(f.path)) continue
    const allowed = direction[folderOf(f.path)]
    if (allowed === undefined) {
      wrong.push(`${f.path}: a folder the architecture does not know yet (add it to the direction)`)
      continue
    }
    for (const edge of f.imports) if (!allowed.includes(folderOf(edge.to))) wrong.push(`${f.path} -> ${edge.to}`)
  }
  return wrong
}

describe('import direction', () => {
  it('runs one way between the folders of core', () => {
    expect(againstDirection(core, CORE_DIRECTION, CORE_ENTRIES)).toEqual([])
  })

  it('runs one way between the folders of transport: wire format, then connection, then node', () => {
    expect(againstDirection(transport, TRANSPORT_DIRECTION, TRANSPORT_ENTRIES)).toEqual([])
  })

  it('keeps the system facade out of its own parts: no file of system/ imports actor-system.ts', () => {
    const parts = core.filter((f) => folderOf(f.path) === 'system' && f.path !== 'system/actor-system.ts')
    expect(parts.filter((f) => f.imports.some((e) => e.to === 'system/actor-system.ts')).map((f) => f.path)).toEqual([])
  })

  it('keeps the actor class inside system/: supervisors and cluster services use ctx and ActorSystem, never a cast', () => {
    const outside = core.filter((f) => folderOf(f.path) !== 'system' && f.imports.some((e) => e.to === 'system/actor.ts'))
    expect(outside.map((f) => f.path)).toEqual([])
    expect(core.filter((f) => /\bas (Actor|Runtime)\b/.test(f.text)).map((f) => f.path)).toEqual([])
  })

  it('never imports a package from its own public index', () => {
    const selfIndex = [...core, ...transport].filter((f) => f.path !== 'index.ts' && f.imports.some((e) => e.to === 'index.ts'))
    expect(selfIndex.map((f) => f.path)).toEqual([])
  })
})

describe('import cycles', () => {
  // The behaviour contracts of actor/ are mutually recursive types by nature (a ctx spawns behaviours whose
  // callbacks receive a ctx); they are the one circle allowed, and only through type imports.
  const contractTypes = (edge: { to: string; typeOnly: boolean }, from: SourceFile): boolean =>
    !(edge.typeOnly && folderOf(from.path) === 'actor' && folderOf(edge.to) === 'actor')

  it('has none in core, counting type-only imports', () => {
    expect(findCycles(core, contractTypes)).toEqual([])
  })

  it('has none in transport, counting type-only imports', () => {
    expect(findCycles(transport, () => true)).toEqual([])
  })

  it('has none in discovery or the CLI, counting type-only imports', () => {
    expect(findCycles(discovery, () => true)).toEqual([])
    // The commands once imported ProgramIO from program.ts, which imports the commands: program-io.ts broke it.
    expect(findCycles(cli, () => true)).toEqual([])
  })
})
