#!/usr/bin/env node
/**
 * Runs vitest under another major version of Node: `node test/support/on-other-node.mjs 24 packages/core` runs the
 * core tests on the newest Node 24. Cohort supports Node 20.19 and later, and some of what it does depends on the
 * version: the transport's in-place reads use `net` internals, the codec's refusal of deep values depends on the
 * stack, and Node 24 made Buffer's pool 64 KiB. The Node binary comes from the npm registry (the `node-<os>-<cpu>`
 * package that npm's own `node` package installs), so this needs nothing but npm, and it is kept in
 * `node_modules/.cache/cohort-node/<version>` for the next run. Arguments after the version go to `vitest run`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [major, ...vitestArgs] = process.argv.slice(2)
if (major === undefined || !/^\d+$/.test(major)) {
  console.error('usage: node test/support/on-other-node.mjs <major version, e.g. 24> [vitest arguments]')
  process.exit(2)
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const pkg = `node-${process.platform}-${process.arch}`
const npm = (...args) => execFileSync('npm', args, { encoding: 'utf8', cwd: root }).trim()

const versions = JSON.parse(npm('view', pkg, 'versions', '--json'))
const newest = versions.filter((v) => v.split('.')[0] === major && /^\d+\.\d+\.\d+$/.test(v)).at(-1)
if (newest === undefined) {
  console.error(`no ${pkg} package of Node ${major} on the npm registry`)
  process.exit(2)
}
const dir = join(root, 'node_modules', '.cache', 'cohort-node', newest)
const bin = join(dir, 'package', 'bin')
if (!existsSync(join(bin, 'node'))) {
  mkdirSync(dir, { recursive: true })
  npm('pack', `${pkg}@${newest}`, '--pack-destination', dir, '--silent')
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
  execFileSync('tar', ['xzf', tarball, '-C', dir], { cwd: dir })
}
console.log(`vitest on Node ${newest} (${bin})`)
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
})
process.exit(run.status ?? 1)
