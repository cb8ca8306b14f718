/**
 * The import graph of a package's sources, read as text: which file imports which, and whether only for types. The
 * architecture suite checks directions and cycles on it; nothing here runs the code.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'

/** One import of one file: the file it names (relative to the package's src) and whether it is `import type`. */
export interface ImportEdge {
  to: string
  typeOnly: boolean
}

/** A source file and its imports inside the same package. */
export interface SourceFile {
  /** The path relative to the package's src, with `/` separators. */
  path: string
  text: string
  imports: ImportEdge[]
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm

/** Every non-test `.ts` file under `srcDir`, with its relative imports resolved. */
export function readSources(srcDir: string): SourceFile[] {
  return listSources(srcDir).map((file) => {
    const text = readFileSync(file, 'utf8')
    const path = toPosix(relative(srcDir, file))
    const imports: ImportEdge[] = []
    for (const m of text.matchAll(IMPORT)) {
      imports.push({ to: toPosix(normalize(join(dirname(path), m[3] as string))), typeOnly: m[2] !== undefined })
    }
    return { path, text, imports }
  })
}

/** The cycles of the graph (strongly connected components of more than one file), each as its sorted files. */
export function findCycles(files: readonly SourceFile[], include: (edge: ImportEdge, from: SourceFile) => boolean): string[][] {
  const edges = new Map(files.map((f) => [f.path, f.imports.filter((e) => include(e, f)).map((e) => e.to)]))
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) cycles.push(component.sort())
    }
  }
  for (const f of files) if (!index.has(f.path)) visit(f.path)
  return cycles
}

/** The folder of a source path (`''` for the package's src itself). */
export function folderOf(path: string): string {
  const slash = path.indexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return listSources(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

function toPosix(path: string): string {
  return path.split('\\').join('/')
}
