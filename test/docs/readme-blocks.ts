/**
 * The code blocks of the repository's READMEs, as the README tests check them. Every README.md outside
 * `node_modules` and `dist` is found by walking the tree, so a README added by any package or app is checked as soon
 * as it exists.
 *
 * What a block's author can say (the packages' READMEs document it under "Examples are tested"):
 * - ```` ```ts ```` — type-checked under `strict`, then run with Node; it must exit 0 on its own within 20 s.
 * - ```` ```ts no-run ```` — type-checked only: it needs a cluster, a Kubernetes API, a fixed port or runs forever.
 * - ```` ```sh ```` — run with bash (`set -e`, `cohort` on PATH, the repository as working directory) in a network
 *   namespace of its own, so fixed ports in a recipe touch nothing else; it must exit 0 within 60 s.
 * - ```` ```sh no-run ```` — checked, not run: bash parses it, every `cohort …` line is parsed by the real CLI
 *   (unknown commands and flags fail), and every `pnpm <script>` names a script of the root package.json.
 * - A fragment that uses names it does not define gets them from an HTML comment right before it, invisible on a
 *   rendered page: `<!-- prelude` … `-->`, whose lines are put in front of the block for type-checking.
 * Blocks in other languages (yaml, json, text, plain ```) are not checked.
 */
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** One fenced block. */
export interface ReadmeBlock {
  /** The README, relative to the repository root. */
  readonly file: string
  /** 1-based line of the opening fence. */
  readonly line: number
  /** The language of the info string, lowercased (`ts`, `sh`, …); `''` when none. */
  readonly lang: string
  /** The words after the language: `no-run`. */
  readonly flags: ReadonlySet<string>
  /** The closest heading above the block, without its `#`s. */
  readonly heading: string
  /** Code from a `<!-- prelude … -->` comment right before the block, or `''`. */
  readonly prelude: string
  readonly code: string
}

export const TS_LANGS: ReadonlySet<string> = new Set(['ts', 'typescript'])
export const SH_LANGS: ReadonlySet<string> = new Set(['sh', 'bash', 'shell'])

/** The fenced blocks of one README's text. An unclosed fence is an error: the page would render broken. */
export function readmeBlocks(text: string, file: string): ReadmeBlock[] {
  const lines = text.split('\n')
  const blocks: ReadmeBlock[] = []
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const h = /^#{1,6}\s+(.*)$/.exec(line)
    if (h !== null) {
      heading = h[1]!.replace(/`/g, '').trim()
      continue
    }
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/.exec(line)
    if (open === null) continue
    const fence = open[2]!
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!)) body.push(lines[j++]!)
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: a code fence is never closed`)
    blocks.push({
      file,
      line: i + 1,
      lang: open[3]!.toLowerCase(),
      flags: new Set(open[4]!.split(/\s+/).filter((w) => w !== '')),
      heading,
      prelude: preludeBefore(lines, i),
      code: `${body.join('\n')}\n`,
    })
    i = j
  }
  return blocks
}

/** The code of a `<!-- prelude … -->` comment ending on the line before `at` (blank lines between are allowed). */
function preludeBefore(lines: readonly string[], at: number): string {
  let end = at - 1
  while (end >= 0 && lines[end]!.trim() === '') end--
  if (end < 0 || lines[end]!.trim() !== '-->') return ''
  let start = end - 1
  while (start >= 0 && !lines[start]!.trim().startsWith('<!--')) start--
  if (start < 0 || lines[start]!.trim() !== '<!-- prelude') return ''
  return `${lines.slice(start + 1, end).join('\n')}\n`
}

/** Every README.md under `root`, relative paths, sorted; `node_modules`, `dist` and dot-directories are skipped. */
export async function findReadmes(root: string): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue
        await walk(join(dir, entry.name))
      } else if (entry.name === 'README.md') {
        found.push(relative(root, join(dir, entry.name)))
      }
    }
  }
  await walk(root)
  return found.sort()
}
