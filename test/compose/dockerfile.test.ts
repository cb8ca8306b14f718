/**
 * The Dockerfile against the repository: its stages build from node:20-slim, every path it copies exists (or is made
 * by `pnpm install` and `tsc -b` in its build stage), the runtime stage holds every workspace package the apps need
 * with production dependencies only, runs as an unprivileged user, and the commands it, docker-compose.yml and
 * deploy/k8s/ run are built and in the image. `.dockerignore` keeps builds and secrets out, and nothing needed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
import { parseAllDocuments } from 'yaml'
import { readComposeFile } from '../support/compose-file.ts'
import { imageHolds, lastOf, readDockerfile } from '../support/dockerfile.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const dockerfile = readDockerfile(`${repo}Dockerfile`)
const compose = readComposeFile(`${repo}docker-compose.yml`)
const stage = (name: string) => {
  const found = dockerfile.stages.find((s) => s.name === name)
  if (found === undefined) throw new Error(`the Dockerfile has no stage ${name}`)
  return found
}
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(`${repo}${path}`, 'utf8')) as Record<string, unknown>

/** Workspace package directories by package name. */
const workspace = new Map<string, string>(
  ['packages', 'apps'].flatMap((top) =>
    readdirSync(`${repo}${top}`, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`${repo}${top}/${d.name}/package.json`))
      .map((d) => [String(json(`${top}/${d.name}/package.json`)['name']), `${top}/${d.name}`] as const),
  ),
)

/** The workspace packages `name` needs at run time, itself included. */
function runtimeClosure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen
  seen.add(name)
  const deps = (json(`${workspace.get(name)!}/package.json`)['dependencies'] ?? {}) as Record<string, string>
  for (const [dep, version] of Object.entries(deps)) if (version.startsWith('workspace:')) runtimeClosure(dep, seen)
  return seen
}

/** The projects `tsc -b <dirs>` builds: those named and everything they reference. */
function builtProjects(dirs: string[], seen = new Set<string>()): Set<string> {
  for (const dir of dirs) {
    const clean = dir.replace(/\/$/, '')
    if (seen.has(clean)) continue
    seen.add(clean)
    const config = JSON.parse(readFileSync(`${repo}${clean}/tsconfig.json`, 'utf8')) as { references?: { path: string }[] }
    const refs = (config.references ?? []).map((r) => new URL(r.path, `file://${repo}${clean}/`).pathname.slice(repo.length))
    builtProjects(refs, seen)
  }
  return seen
}

const ignore = readFileSync(`${repo}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
/** A small .dockerignore matcher: `**\/name` matches that segment anywhere, other patterns match a path or its parents. */
function ignored(path: string): boolean {
  return ignore.some((pattern) => {
    if (pattern.startsWith('**/')) {
      const tail = pattern.slice(3)
      if (tail.startsWith('*.')) return path.endsWith(tail.slice(1))
      return path.split('/').includes(tail)
    }
    return path === pattern || path.startsWith(`${pattern}/`)
  })
}

const apps = ['@cohort/chat', '@cohort/cache', '@cohort/cli']

describe('Dockerfile', () => {
  it('builds in stages from node:20-slim and ends with the runtime stage compose builds', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'production-deps', 'runtime'])
    expect(stage('build').base).toBe('node:20-slim')
    expect(stage('production-deps').base).toBe('build')
    expect(stage('runtime').base).toBe('node:20-slim')
    for (const s of compose.services) expect(s.build?.target, s.name).toBe('runtime')
    expect(new Set(compose.services.map((s) => s.image)).size, 'one image for every service').toBe(1)
  })

  it('installs the pnpm version package.json pins', () => {
    const pinned = String(json('package.json')['packageManager'])
    expect(stage('build').instructions.map((i) => i.args).join('\n')).toContain(`npm install -g ${pinned}`)
  })

  it('copies from the build context only paths that exist and that .dockerignore lets through', () => {
    const fromContext = dockerfile.copies.filter((c) => c.from === undefined)
    expect(fromContext.length).toBeGreaterThan(0)
    for (const c of fromContext) for (const source of c.sources) expect(existsSync(`${repo}${source}`), source).toBe(true)
    // What the build stage needs from the context is not ignored.
    for (const path of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json', 'packages/core/src/index.ts', 'apps/chat/public/index.html', 'apps/cache/src/main.ts']) {
      expect(ignored(path), path).toBe(false)
    }
    for (const path of ['node_modules', 'apps/chat/node_modules', 'packages/core/dist', '.git', 'deploy/compose/cohort-cookie.txt']) expect(ignored(path), path).toBe(true)
  })

  it('copies into the runtime stage only what its earlier stages install or build', () => {
    const buildRun = stage('build').instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ')
    const tscArgs = /tsc -b ((?:\S+\s*)+?)(?:$|&&)/.exec(buildRun)?.[1]?.trim().split(/\s+/) ?? []
    const built = builtProjects(tscArgs)
    const workdir = lastOf(stage('build'), 'WORKDIR')!
    const fromStages = dockerfile.copies.filter((c) => c.from !== undefined)
    for (const c of fromStages) {
      expect(['build', 'production-deps']).toContain(c.from)
      for (const source of c.sources) {
        expect(source.startsWith(`${workdir}/`), `${source} is under the build stage's WORKDIR ${workdir}`).toBe(true)
        const path = source.slice(workdir.length + 1)
        expect(existsSync(`${repo}${path}`), `${path} exists once installed and built`).toBe(true)
        const dist = /^(.*)\/dist$/.exec(path)
        if (dist !== null) expect(built.has(dist[1]!), `${dist[1]} is built by tsc -b ${tscArgs.join(' ')}`).toBe(true)
        const modules = /^(.*)\/node_modules$/.exec(path)
        if (modules !== null) {
          const deps = (json(`${modules[1]}/package.json`)['dependencies'] ?? {}) as Record<string, string>
          expect(Object.keys(deps).length, `${modules[1]} has dependencies for pnpm to link`).toBeGreaterThan(0)
        }
      }
    }
  })

  it('holds every workspace package the apps need, with what each package ships', () => {
    const needed = new Set(apps.flatMap((a) => [...runtimeClosure(a)]))
    expect([...needed].sort()).toEqual(expect.arrayContaining(['@cohort/core', '@cohort/discovery', '@cohort/transport', ...apps]))
    for (const name of needed) {
      const dir = workspace.get(name)!
      expect(imageHolds(dockerfile, `${dir}/package.json`), `${dir}/package.json`).toBe(true)
      const files = (json(`${dir}/package.json`)['files'] ?? []) as string[]
      // Sources stay out of the image; everything else a package ships (dist, public assets) goes in.
      for (const f of files.filter((f) => !f.startsWith('!') && f !== 'src')) expect(imageHolds(dockerfile, `${dir}/${f}`), `${dir}/${f}`).toBe(true)
      const deps = (json(`${dir}/package.json`)['dependencies'] ?? {}) as Record<string, string>
      if (Object.keys(deps).length > 0) expect(imageHolds(dockerfile, `${dir}/node_modules`), `${dir}/node_modules`).toBe(true)
    }
    expect(imageHolds(dockerfile, 'node_modules/.pnpm'), 'the root node_modules with pnpm\'s store').toBe(true)
    const prodInstall = stage('production-deps').instructions.map((i) => i.args).join(' ')
    expect(prodInstall).toContain('--prod')
    for (const app of apps) expect(prodInstall).toContain(`--filter "${app}..."`)
  })

  it('runs as the unprivileged node user, a built app by default', () => {
    expect(lastOf(stage('runtime'), 'USER')).toBe('node')
    const cmd = JSON.parse(lastOf(stage('runtime'), 'CMD')!) as string[]
    expect(cmd).toEqual(['node', ...RECOMMENDED_NODE_FLAGS, 'apps/chat/dist/main.js'])
    const script = cmd.at(-1)!
    expect(existsSync(`${repo}${script}`), `${script} is built`).toBe(true)
    expect(imageHolds(dockerfile, script)).toBe(true)
  })

  it('sets the recommended allocator setting for every command run in the image', () => {
    const env = stage('runtime')
      .instructions.filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
    expect(env).toContain(`GLIBC_TUNABLES=${RECOMMENDED_GLIBC_TUNABLES}`)
  })

  it('holds and has built what docker-compose.yml and deploy/k8s/ run', () => {
    const commands = [
      ...compose.services.map((s) => ({ where: `compose ${s.name}`, command: s.command })),
      ...readdirSync(`${repo}deploy/k8s`)
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) => parseAllDocuments(readFileSync(`${repo}deploy/k8s/${f}`, 'utf8')).map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: { command?: string[]; image?: string }[] } } } }))
        .filter((d) => d.kind === 'Deployment')
        .flatMap((d) => (d.spec?.template?.spec?.containers ?? []).map((c) => ({ where: `k8s ${d.metadata?.name}`, command: c.command ?? [], image: c.image }))),
    ]
    expect(commands.length).toBe(4)
    for (const { where, command } of commands) {
      expect(command[0], where).toBe('node')
      expect(command.slice(1, -1), `${where}: the recommended Node flags`).toEqual([...RECOMMENDED_NODE_FLAGS])
      const script = command.at(-1)!
      expect(existsSync(`${repo}${script}`), `${where}: ${script} is built`).toBe(true)
      expect(imageHolds(dockerfile, script), `${where}: ${script} is in the image`).toBe(true)
    }
  })
})
