/**
 * Runs cache nodes (apps/cache, compiled) as child processes, optionally inside a network namespace, and talks to them
 * over their real HTTP and RESP ports. A node is listening when it prints its `ready` line, and ready once its
 * `/readyz` answers 200 (joined, and caught up with its peers: until then RESP answers `-LOADING`); every wait is on
 * such a signal or on state read back from the nodes, with a deadline. Each child's log is kept and printed when a
 * test fails, and every child is killed after its test.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, onTestFailed } from 'vitest'
import { waitUntil } from '../../support/wait-until.ts'

const ENTRY = fileURLToPath(new URL('../../../apps/cache/dist/main.js', import.meta.url))
const COOKIE = 'cache-e2e-cookie'

const running = new Set<CacheProcess>()
afterEach(async () => {
  const all = [...running]
  running.clear()
  for (const p of all) p.kill('SIGKILL')
  await Promise.all(all.map((p) => p.exited))
})

export interface CacheNodeOptions {
  /** Node name, e.g. `a@127.0.0.1`. */
  name: string
  /** Address the node, its HTTP API and its RESP port bind. @default '127.0.0.1' */
  host?: string
  /** Cohort port; 0 picks one. @default 0 */
  port?: number
  /** ws:// URLs of nodes to join (`name=url`). */
  peers?: Array<{ name: string; url: string }>
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string
  /** Extra environment. */
  env?: Record<string, string>
}

interface ReadyEvent {
  type: 'ready'
  node: string
  url: string
  http: string
  redisPort: number
}

export class CacheProcess {
  readonly child: ChildProcess
  readonly log: string[] = []
  readonly exited: Promise<number | null>
  readonly ready: Promise<ReadyEvent>
  readonly options: CacheNodeOptions

  constructor(options: CacheNodeOptions) {
    this.options = options
    const host = options.host ?? '127.0.0.1'
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      COHORT_NODE_NAME: options.name,
      COHORT_HOST: host,
      COHORT_PORT: String(options.port ?? 0),
      COHORT_COOKIE: COOKIE,
      COHORT_DISCOVERY: 'static',
      COHORT_PEERS: (options.peers ?? []).map((p) => `${p.name}=${p.url}`).join(','),
      COHORT_PROBE_HOST: host,
      COHORT_PROBE_PORT: '0',
      COHORT_TICK_MS: '4000',
      COHORT_DRAIN_DELAY_MS: '0',
      REDIS_HOST: host,
      REDIS_PORT: '0',
      COHORT_LOG_LEVEL: 'info',
      ...options.env,
    }
    const [command, args] =
      options.netns === undefined
        ? [process.execPath, [ENTRY]]
        : ['ip', ['netns', 'exec', options.netns, process.execPath, ENTRY]]
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        try {
          const event = JSON.parse(line) as ReadyEvent
          if (event.type === 'ready') resolve(event)
        } catch {
          this.log.push(`stdout: ${line}`)
        }
      })
      void this.exited.then((code) => reject(new Error(`cache node ${options.name} exited (${code}) before it was ready:\n${this.log.join('\n')}`)))
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.log.push(line))
    onTestFailed(() => {
      console.error(`--- log of cache node ${options.name} ---\n${this.log.join('\n')}`)
    })
    running.add(this)
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}

/** A ready node: its process and its addresses. */
export interface CacheNode {
  process: CacheProcess
  name: string
  url: string
  http: string
  redisPort: number
  host: string
}

/**
 * Starts a cache node and waits until it is ready: its `/readyz` answers 200, so that RESP commands are not refused
 * with `-LOADING`. With `untilReady` false, only until it listens (a test that watches the node become ready).
 */
export async function startCacheNode(options: CacheNodeOptions, { untilReady = true }: { untilReady?: boolean } = {}): Promise<CacheNode> {
  const process = new CacheProcess(options)
  const ready = await process.ready
  const node = { process, name: ready.node, url: ready.url, http: ready.http, redisPort: ready.redisPort, host: options.host ?? '127.0.0.1' }
  if (untilReady) await until(async () => (await readyzStatus(node)) === 200, 20_000, `${node.name} to answer /readyz with 200`)
  return node
}

/**
 * Starts `count` nodes that form one cluster: each joins the ones started before it (the transport's transitive mesh
 * connects the rest), then waits until every node sees every other as a replication peer.
 */
export async function startCacheCluster(names: string[], options: Omit<CacheNodeOptions, 'name' | 'peers'> = {}): Promise<CacheNode[]> {
  const nodes: CacheNode[] = []
  for (const name of names) {
    nodes.push(await startCacheNode({ ...options, name, peers: nodes.map((n) => ({ name: n.name, url: n.url })) }))
  }
  await waitForPeers(nodes)
  // The first node was ready alone, with nobody to catch up with; once the others joined, it is ready again only
  // when its catch-ups with them have ended.
  await until(async () => (await Promise.all(nodes.map(readyzStatus))).every((status) => status === 200), 20_000, 'every node to answer /readyz with 200')
  return nodes
}

/** Waits until each node lists every other node as a replication peer in GET /cluster. */
export async function waitForPeers(nodes: CacheNode[], timeoutMs = 20_000): Promise<void> {
  await until(async () => {
    for (const node of nodes) {
      const peers = (await cluster(node)).replication.peers
      if (nodes.some((other) => other !== node && !peers.includes(other.name))) return false
    }
    return true
  }, timeoutMs, 'every node to see every other as a replication peer')
}

/** The status of a node's /readyz (its body read, so the connection is free again). */
export async function readyzStatus(node: Pick<CacheNode, 'http'>): Promise<number> {
  const res = await fetch(`${node.http}/readyz`)
  await res.arrayBuffer()
  return res.status
}

/** GET /cluster of a node. */
export async function cluster(node: CacheNode): Promise<{ node: string; replication: { peers: string[]; keys: number; pendingByPeer: Record<string, number> } }> {
  const res = await fetch(`${node.http}/cluster`)
  return (await res.json()) as { node: string; replication: { peers: string[]; keys: number; pendingByPeer: Record<string, number> } }
}

/** GET /kv/<key> as text, or undefined on 404. */
export async function httpGet(node: CacheNode, key: string): Promise<string | undefined> {
  const res = await fetch(`${node.http}/kv/${encodeURIComponent(key)}`)
  if (res.status === 404) return undefined
  if (res.status !== 200) throw new Error(`GET ${key} on ${node.name}: ${res.status} ${await res.text()}`)
  return res.text()
}

/** PUT /kv/<key>, expecting 204. */
export async function httpPut(node: CacheNode, key: string, value: string | Uint8Array, ttlMs?: number): Promise<void> {
  const query = ttlMs === undefined ? '' : `?ttlMs=${ttlMs}`
  const res = await fetch(`${node.http}/kv/${encodeURIComponent(key)}${query}`, { method: 'PUT', body: typeof value === 'string' ? value : new Uint8Array(value) })
  if (res.status !== 204) throw new Error(`PUT ${key} on ${node.name}: ${res.status} ${await res.text()}`)
}

/**
 * Re-checks `condition` until it holds, failing after `timeoutMs` with `what`. For state that another process
 * changes (replication, expiry), where the test can only observe, not be told.
 */
export async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(what, condition, (holds) => holds, { timeoutMs, intervalMs: 20 })
}
