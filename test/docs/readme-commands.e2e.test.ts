/**
 * Every command block of every README works as written. Each `sh` block must parse with bash; each `cohort …` command
 * in it must parse with the real CLI (an unknown command or flag fails), and each `pnpm <name>` must be a script of
 * the root package.json or a pnpm command. Blocks not marked `no-run` also run: with bash (`set -e`), `cohort` on PATH
 * and the repository as working directory, inside a network namespace of their own (fixed ports in a recipe cannot
 * meet anything else on this machine), and must exit 0 within 60 s. See readme-blocks.ts for the markers.
 *
 * Needs: bash, and `ip netns` (iproute2, run as root) for the blocks that run.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createProgram } from '@cohort/cli'
import { describe, expect, it } from 'vitest'
import { findReadmes, readmeBlocks, SH_LANGS } from './readme-blocks.ts'
import type { ReadmeBlock } from './readme-blocks.ts'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = join(root, 'test/.readme-blocks/sh')
const RUN_TIMEOUT_MS = 60_000
const PNPM_COMMANDS = new Set(['install', 'i', 'add', 'remove', 'pack', 'exec', 'run', 'link', 'dlx', 'why', 'list', 'ls', 'update', 'publish', '--filter', '-r', '-C'])

async function shBlocks(): Promise<ReadmeBlock[]> {
  const out: ReadmeBlock[] = []
  for (const file of await findReadmes(root)) {
    for (const b of readmeBlocks(await readFile(join(root, file), 'utf8'), file)) if (SH_LANGS.has(b.lang)) out.push(b)
  }
  return out
}

/** The simple commands of a block: continuation lines joined, comments dropped, split at && || ; | &. */
export function commandsOf(code: string): string[][] {
  const text = code.replace(/\\\n/g, ' ')
  const commands: string[][] = []
  for (const rawLine of text.split('\n')) {
    let words: string[] = []
    let word = ''
    let quote: string | undefined
    let hasWord = false
    const flush = (): void => {
      if (hasWord) words.push(word)
      word = ''
      hasWord = false
    }
    const end = (): void => {
      flush()
      if (words.length > 0) commands.push(words)
      words = []
    }
    for (let i = 0; i < rawLine.length; i++) {
      const c = rawLine[i]!
      if (quote !== undefined) {
        if (c === quote) quote = undefined
        else word += c
        continue
      }
      if (c === "'" || c === '"') {
        quote = c
        hasWord = true
      } else if (c === '#' && !hasWord) {
        break
      } else if (c === '>' || c === '<') {
        // A redirection (`> file`, `2>&1`, `>> log`) is not an argument: drop it, its fd number and its target.
        if (/^\d+$/.test(word)) {
          word = ''
          hasWord = false
        } else flush()
        if (rawLine[i + 1] === c) i++
        if (rawLine[i + 1] === '&') {
          i++
          while (i + 1 < rawLine.length && /[\d-]/.test(rawLine[i + 1]!)) i++
          continue
        }
        while (rawLine[i + 1] === ' ') i++
        while (i + 1 < rawLine.length && !/[\s;&|]/.test(rawLine[i + 1]!)) i++
      } else if (c === ' ' || c === '\t') {
        flush()
      } else if (c === ';' || c === '|' || c === '&') {
        end()
        if (rawLine[i + 1] === c) i++
      } else {
        word += c
        hasWord = true
      }
    }
    end()
  }
  return commands.map((words) => {
    let i = 0
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++ // VAR=value prefixes
    return words.slice(i)
  }).filter((w) => w.length > 0)
}

/** Parses `args` with the real CLI, every action replaced by nothing; returns the problem, or undefined. */
async function cliProblem(args: string[]): Promise<string | undefined> {
  const io = { stdout: () => {}, stderr: () => {}, env: {}, signals: { on: () => {}, off: () => {} }, exit: () => {}, entry: 'unused' }
  const program = createProgram(io)
  type Command = ReturnType<typeof createProgram>
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} })
    if (c !== program) c.action(() => {})
    for (const sub of c.commands) quiet(sub)
  }
  quiet(program)
  try {
    await program.parseAsync(args, { from: 'user' })
    return undefined
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return undefined
    return (error as Error).message
  }
}

async function checkCommands(block: ReadmeBlock, scripts: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = []
  for (const words of commandsOf(block.code)) {
    const [cmd, ...rest] = words
    let cliArgs: string[] | undefined
    if (cmd === 'cohort') cliArgs = rest
    else if (cmd === 'node' && rest[0] === 'apps/cli/dist/main.js') cliArgs = rest.slice(1)
    if (cliArgs !== undefined) {
      const problem = await cliProblem(cliArgs)
      if (problem !== undefined) problems.push(`${block.file}:${block.line}: \`${words.join(' ')}\`: ${problem}`)
    } else if (cmd === 'pnpm' && rest.length > 0 && !scripts.has(rest[0]!) && !PNPM_COMMANDS.has(rest[0]!)) {
      problems.push(`${block.file}:${block.line}: \`${words.join(' ')}\`: the root package.json has no script "${rest[0]}"`)
    }
  }
  return problems
}

/** Runs a block in a network namespace of its own; resolves with its exit code (null: killed at the timeout). */
async function runInNamespace(block: ReadmeBlock, script: string): Promise<{ code: number | null; out: string }> {
  const ns = `cohort-readme-${randomBytes(4).toString('hex')}`
  try {
    await exec('ip', ['netns', 'add', ns])
  } catch (error) {
    throw new Error(`running ${block.file}:${block.line} needs a network namespace: \`ip netns add\` failed (iproute2, as root): ${(error as Error).message}`)
  }
  try {
    await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const bin = join(dir, 'bin')
    return await new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, 'bash', '-e', script], {
        cwd: root,
        env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      child.once('exit', (code, signal) => resolve({ code: signal === null ? code : null, out }))
    })
  } finally {
    // Whatever the block left running in the namespace goes with it.
    const { stdout } = await exec('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))
    for (const pid of stdout.split('\n').filter((p) => p.trim() !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await exec('ip', ['netns', 'del', ns]).catch(() => undefined)
  }
}

describe('README command blocks', () => {
  it('splits commands as a shell would', () => {
    expect(commandsOf('COHORT_COOKIE=x cohort start --port 1 > /dev/null 2>&1 &  # comment\ncohort cluster a-1@h --cookie "a b" && kill %1\n')).toEqual([
      ['cohort', 'start', '--port', '1'],
      ['cohort', 'cluster', 'a-1@h', '--cookie', 'a b'],
      ['kill', '%1'],
    ])
  })

  it('parse with bash, name only real cohort flags and pnpm scripts, and the runnable ones run', { timeout: 300_000 }, async () => {
    const scripts = new Set(Object.keys((JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts))
    await mkdir(join(dir, 'bin'), { recursive: true })
    const shim = join(dir, 'bin', 'cohort')
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'apps/cli/dist/main.js')}" "$@"\n`)
    await chmod(shim, 0o755)
    const blocks = await shBlocks()
    expect(blocks.length).toBeGreaterThan(5)
    const problems: string[] = []
    for (const block of blocks) {
      const script = join(dir, `${block.file.replace(/[/.]/g, '-')}-L${block.line}.sh`)
      await writeFile(script, block.code)
      try {
        await exec('bash', ['-n', script])
      } catch (error) {
        problems.push(`${block.file}:${block.line}: bash cannot parse it: ${(error as { stderr?: string }).stderr ?? String(error)}`)
        continue
      }
      problems.push(...(await checkCommands(block, scripts)))
    }
    expect(problems).toEqual([])
    const failures: string[] = []
    for (const block of blocks.filter((b) => !b.flags.has('no-run'))) {
      const script = join(dir, `${block.file.replace(/[/.]/g, '-')}-L${block.line}.sh`)
      const { code, out } = await runInNamespace(block, script)
      if (code !== 0) failures.push(`${block.file}:${block.line} (${block.heading}) ${code === null ? `still running after ${RUN_TIMEOUT_MS} ms` : `exited ${code}`} (mark it \`sh no-run\` if it cannot run here):\n${out.slice(-3000)}`)
    }
    expect(failures).toEqual([])
  })
})
