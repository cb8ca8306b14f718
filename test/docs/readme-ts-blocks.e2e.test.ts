/**
 * Every `ts` block of every README type-checks under `strict` as a user's module would (imports resolved like an
 * installed package's, through the packages' `exports`), and every block not marked `no-run` runs with Node and exits
 * 0 on its own. See readme-blocks.ts for the markers.
 */
import { spawn } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { findReadmes, readmeBlocks, TS_LANGS } from './readme-blocks.ts'
import type { ReadmeBlock } from './readme-blocks.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** Inside test/, so the blocks resolve @cohort/* as the test package's dependencies; ignored by git. */
const dir = join(root, 'test/.readme-blocks')
const RUN_TIMEOUT_MS = 20_000

interface Written {
  block: ReadmeBlock
  path: string
  preludeLines: number
}

async function writeBlocks(): Promise<Written[]> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const written: Written[] = []
  for (const file of await findReadmes(root)) {
    for (const block of readmeBlocks(await readFile(join(root, file), 'utf8'), file)) {
      if (!TS_LANGS.has(block.lang)) continue
      const path = join(dir, `${file.replace(/[/.]/g, '-')}-L${block.line}.ts`)
      // `export {}` makes every block a module, so top-level await works and names do not clash between blocks.
      await writeFile(path, `${block.prelude}${block.code}export {}\n`)
      written.push({ block, path, preludeLines: block.prelude === '' ? 0 : block.prelude.split('\n').length - 1 })
    }
  }
  return written
}

function where(w: Written, line: number): string {
  return `${w.block.file}:${w.block.line + 1 + line - w.preludeLines}`
}

function runNode(path: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code, signal) => resolve({ code: signal === null ? code : null, out }))
  })
}

describe('README ts blocks', () => {
  it('type-check under strict, and the runnable ones run and exit 0', { timeout: 240_000 }, async () => {
    const written = await writeBlocks()
    expect(written.length).toBeGreaterThan(10)
    const program = ts.createProgram(
      written.map((w) => w.path),
      {
        strict: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        skipLibCheck: true,
        noEmitOnError: false,
        outDir: dir,
        rootDir: dir,
      },
    )
    const emitted = program.emit()
    const problems: string[] = []
    for (const d of [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]) {
      const w = written.find((x) => x.path === d.file?.fileName)
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      if (w === undefined || d.file === undefined || d.start === undefined) {
        problems.push(`TS${d.code}: ${text}`)
        continue
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start)
      problems.push(`${where(w, line)}: TS${d.code}: ${text}`)
    }
    expect(problems, 'type errors in README blocks').toEqual([])

    const failures: string[] = []
    for (const w of written.filter((x) => !x.block.flags.has('no-run'))) {
      const { code, out } = await runNode(w.path.replace(/\.ts$/, '.js'))
      if (code !== 0) {
        failures.push(
          `${w.block.file}:${w.block.line} (${w.block.heading}) ${code === null ? `did not exit within ${RUN_TIMEOUT_MS} ms` : `exited ${code}`} ` +
            `(mark it \`ts no-run\` if it cannot run alone):\n${out.slice(-2000)}`,
        )
      }
    }
    expect(failures, 'README blocks that did not run').toEqual([])
  })
})
