/**
 * The README's first command, `pnpm install`, in a fresh clone: the workspace's manifests, lockfile and committed
 * command files are copied into an empty directory (nothing built, as after `git clone`) and installed from the
 * local store (the registry only for what it lacks) with the lockfile frozen, as `.ci/run` installs. It installs
 * without a warning (a bin that points into `dist/` before the first build made pnpm warn once per workspace that
 * depends on the app; dependencies' install scripts that pnpm skips made it print a box asking to approve them), and
 * a linked command run before the build says how to build.
 *
 * Needs: pnpm on PATH (the store is filled by any `pnpm install` of this repository).
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
/** The globs of pnpm-workspace.yaml, as directories whose children are packages, or packages themselves. */
const PACKAGE_PARENTS = ['packages', 'apps', 'apps/examples']
const PACKAGES = ['test', 'bench']
let work: string | undefined

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

/** Every workspace package's directory, relative to the root. */
async function workspacePackages(): Promise<string[]> {
  const dirs = [...PACKAGES]
  for (const parent of PACKAGE_PARENTS) {
    for (const entry of await readdir(join(root, parent), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json'))) dirs.push(join(parent, entry.name))
    }
  }
  return dirs
}

async function copy(relative: string): Promise<void> {
  await mkdir(dirname(join(work!, relative)), { recursive: true })
  await copyFile(join(root, relative), join(work!, relative))
}

describe('pnpm install in a fresh clone', () => {
  it('installs without a warning, and a command run before the build says how to build', { timeout: 120_000 }, async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-fresh-install-'))
    for (const file of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml']) await copy(file)
    const packages = await workspacePackages()
    expect(packages).toContain('apps/cli')
    for (const dir of packages) {
      await copy(join(dir, 'package.json'))
      if (existsSync(join(root, dir, 'bin'))) for (const file of await readdir(join(root, dir, 'bin'))) await copy(join(dir, 'bin', file))
    }

    const { stdout, stderr } = await run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], { cwd: work, timeout: 100_000, env: { ...process.env, CI: 'true' } })
    const output = stdout + stderr
    expect(output, output).not.toMatch(/WARN|Ignored build scripts|approve-builds/)

    const cohort = join(work, 'test/node_modules/.bin/cohort')
    expect(existsSync(cohort), 'pnpm linked the cohort command').toBe(true)
    const notBuilt = await run(cohort, ['--help'], { cwd: work }).then(
      () => 'ran',
      (error: { code?: number; stderr?: string }) => `exit ${error.code}: ${error.stderr ?? ''}`,
    )
    expect(notBuilt).toBe('exit 1: cohort: not built yet: run `pnpm build` in the repository first\n')
  })
})
