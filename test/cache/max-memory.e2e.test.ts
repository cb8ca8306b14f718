/**
 * Two cache nodes started with `CACHE_MAX_MEMORY`, flooded by redis-benchmark writing random keys, as a client that
 * writes without end would: every node holds the whole data set, so without the limit the flood would exhaust the
 * memory of both at once. With it, the flooded node refuses writes past the limit with Redis's OOM error (as
 * redis-cli shows it), its HTTP API refuses a PUT with 507, reads and deletes go on, the peer holds the same data,
 * and `/metrics` reports the size, the limit and the refusals.
 */
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { startCacheCluster } from './support/cache-process.ts'
import type { CacheNode } from './support/cache-process.ts'
import { waitUntil } from '../support/wait-until.ts'

const run = promisify(execFile)
const LIMIT = 2 * 1024 * 1024

beforeAll(() => {
  for (const tool of ['redis-cli', 'redis-benchmark']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      throw new Error(`${tool} is missing: install Debian's redis-tools package (apt-get install redis-tools) to run these tests`)
    }
  }
})

async function cli(node: CacheNode, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('redis-cli', ['-h', node.host, '-p', String(node.redisPort), ...args])
  return (stdout + stderr).trimEnd()
}

/** One figure of the node's /metrics. */
async function metric(node: CacheNode, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', node.http))).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`${name} is missing from /metrics`)
  return Number(line.slice(name.length + 1))
}

describe('a cache node with CACHE_MAX_MEMORY', () => {
  it('refuses a flood of writes past the limit and goes on serving reads, deletes and its peer', { timeout: 60_000 }, async () => {
    const env = { CACHE_MAX_MEMORY: '2mb' }
    const [a, b] = (await startCacheCluster(['full-a@127.0.0.1', 'full-b@127.0.0.1'], { env })) as [CacheNode, CacheNode]
    expect(await cli(a, 'SET', 'kept', 'before the flood')).toBe('OK')

    // redis-benchmark writing 1 KiB values over 100,000 random keys (about 20 MB offered against a 2 MiB limit) stops
    // at the first refusal, as it does against Redis with maxmemory and noeviction.
    const flood = await run('redis-benchmark', ['-h', a.host, '-p', String(a.redisPort), '-t', 'set', '-n', '20000', '-r', '100000', '-d', '1024', '-c', '10', '-q']).then(
      () => 'completed',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    )
    expect(flood).toContain("Error from server: OOM command not allowed when used memory > 'maxmemory'.")
    // A client that goes on writing regardless (redis-cli --pipe: 5,000 SETs in one stream) has every one refused.
    const sets = Array.from({ length: 5000 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${String(i).length + 5}\r\npipe:${i}\r\n$4\r\nxxxx\r\n`).join('')
    // It exits 1 when any reply was an error, and says how many were.
    const piped = await new Promise<string>((resolve) => {
      const child = execFile('redis-cli', ['-h', a.host, '-p', String(a.redisPort), '--pipe'], (_error, stdout, stderr) => resolve(stdout + stderr))
      child.stdin!.end(sets)
    })
    expect(piped).toContain('errors: 5000, replies: 5000')
    expect(await cli(a, 'SET', 'one-more', 'x')).toBe("OOM command not allowed when used memory > 'maxmemory'.")
    expect(await metric(a, 'cohort_cache_writes_refused_total')).toBeGreaterThan(5000)
    const bytes = await metric(a, 'cohort_cache_data_bytes')
    expect(bytes).toBeGreaterThan(LIMIT)
    // Past the limit by at most the write that crossed it.
    expect(bytes).toBeLessThan(LIMIT + 2048)
    expect(await metric(a, 'cohort_cache_max_memory_bytes')).toBe(LIMIT)
    expect(await cli(a, 'CONFIG', 'GET', 'maxmemory')).toBe(`maxmemory\n${LIMIT}`)
    expect(await cli(a, 'INFO', 'memory')).toMatch(new RegExp(`maxmemory:${LIMIT}\\r?\\n[\\s\\S]*maxmemory_policy:noeviction`))

    // The HTTP API refuses a PUT too, and says why.
    const put = await fetch(new URL('/kv/via-http', a.http), { method: 'PUT', body: 'x' })
    expect(put.status).toBe(507)
    expect(await put.text()).toMatch(/past CACHE_MAX_MEMORY \(2097152 bytes\); delete keys or raise the limit/)

    // Reads go on, on both nodes, which hold the same data (the peer applies every write the flooded node took).
    expect(await cli(a, 'GET', 'kept')).toBe('before the flood')
    const keys = Number(await cli(a, 'DBSIZE'))
    expect(keys).toBeGreaterThan(1000)
    await waitUntil('the peer to hold the same keys', () => cli(b, 'DBSIZE'), (n) => Number(n) === keys)
    expect(await cli(b, 'GET', 'kept')).toBe('before the flood')

    // Deleting makes room, and writes come in again.
    const some = (await cli(a, 'SCAN', '0', 'COUNT', '1000')).split('\n').slice(1)
    await run('redis-cli', ['-h', a.host, '-p', String(a.redisPort), 'DEL', ...some])
    expect(await metric(a, 'cohort_cache_data_bytes')).toBeLessThan(LIMIT)
    expect(await cli(a, 'SET', 'one-more', 'x')).toBe('OK')
    expect((await fetch(new URL('/kv/via-http', a.http), { method: 'PUT', body: 'x' })).status).toBe(204)
  })
})
