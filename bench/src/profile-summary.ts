/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): the functions with the most self time, with their file and line.
 * Used by the runner after a profiled run, and on its own: `node bench/dist/profile-summary.js <dir|file>...`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

function shortUrl(url: string): string {
  const m = /\/(packages\/[^/]+\/(?:src|dist)\/.*|bench\/(?:src|dist)\/.*|node_modules\/\.pnpm\/[^/]+\/node_modules\/.*)$/.exec(url)
  if (m !== null) return m[1]!.replace(/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:')
}

/** The top `limit` functions of one profile by self time, as text lines. */
export function summarizeProfile(path: string, limit: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const byFunction = new Map<string, number>()
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    if (us === 0) continue
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'}  ${f.url === '' ? '' : `${shortUrl(f.url)}:${f.lineNumber + 1}`}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0)
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)
  const lines = [`${basename(path)}: ${(total / 1e6).toFixed(2)} s sampled`]
  for (const [key, us] of rows) lines.push(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
  return lines.join('\n')
}

/** Summaries of every .cpuprofile in `dir`. */
export function summarizeProfiles(dir: string, limit: number): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()
  return `${files.map((f) => summarizeProfile(join(dir, f), limit)).join('\n\n')}\n`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const arg of process.argv.slice(2)) {
    process.stdout.write(statSync(arg).isDirectory() ? summarizeProfiles(arg, 30) : `${summarizeProfile(arg, 30)}\n`)
  }
}
