/**
 * The packages work outside this repository: every publishable package is packed with `pnpm pack` (which turns
 * `workspace:*` into version ranges), the tarballs are installed with npm into a fresh project in the system's
 * temporary directory (dependencies come from the npm registry), the transport README's example is type-checked there
 * under `strict` and run, and the `cohort` binary runs from `node_modules/.bin` (its help and version). Each tarball
 * carries the license.
 *
 * Needs: pnpm and npm on PATH, the npm registry reachable, and the packages built (`pnpm test` builds first).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { readmeBlocks } from '../docs/readme-blocks.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const PACKAGES = ['packages/core', 'packages/transport', 'packages/discovery', 'apps/cli']
let work: string | undefined

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } })
    return stdout + stderr
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

describe('the packed packages', () => {
  it('install with npm outside the workspace, type-check a README example under strict, run it, and run cohort', { timeout: 180_000 }, async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-packed-'))
    const tarballs = join(work, 'tarballs')
    for (const dir of PACKAGES) await sh('pnpm', ['pack', '--pack-destination', tarballs], join(root, dir))
    const files = (await readdir(tarballs)).sort()
    expect(files).toEqual(['cohort-cli-0.1.0.tgz', 'cohort-core-0.1.0.tgz', 'cohort-discovery-0.1.0.tgz', 'cohort-transport-0.1.0.tgz'])
    for (const file of files) {
      const listing = await sh('tar', ['tzf', join(tarballs, file)], work)
      expect(listing, file).toContain('package/LICENSE')
      const manifest = JSON.parse(await sh('tar', ['xzf', join(tarballs, file), '-O', 'package/package.json'], work)) as Record<string, unknown>
      expect(manifest['license'], file).toBe('Apache-2.0')
      expect(JSON.stringify(manifest), file).not.toContain('workspace:')
    }

    const app = join(work, 'app')
    await sh('mkdir', ['-p', app], work)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'first-hour-app', private: true, type: 'module' }, null, 2))
    await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '@types/node@20', ...files.map((f) => join(tarballs, f))], app, 150_000)

    // The transport README's example, as a user would paste it.
    const transportReadme = join(root, 'packages/transport/README.md')
    const example = readmeBlocks(await readFile(transportReadme, 'utf8'), transportReadme).find((b) => b.lang === 'ts' && b.heading === 'Example')
    expect(example, 'the transport README has an Example ts block').toBeDefined()
    await writeFile(join(app, 'example.ts'), example!.code)
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', types: ['node'], skipLibCheck: false },
        files: ['example.ts'],
      }),
    )
    await sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app)
    const out = await sh(process.execPath, ['out/example.js'], app, 30_000)
    expect(out).toContain('hello')

    const help = await sh(join(app, 'node_modules/.bin/cohort'), ['--help'], app, 30_000)
    for (const command of ['start', 'cluster', 'ping', 'doctor', 'demo']) expect(help).toContain(command)
    expect(await sh(join(app, 'node_modules/.bin/cohort'), ['--version'], app, 30_000)).toBe('0.1.0\n')
  })
})
