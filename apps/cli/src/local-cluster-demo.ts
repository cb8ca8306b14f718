/**
 * The local cluster demo behind `pnpm demo`: three chat nodes and three cache nodes, each a separate Node process on
 * 127.0.0.1, configured exactly as in a container (environment variables read by `loadConfig`) and finding their
 * peers through `localPorts`. It prints every URL, restarts a node that dies (so `kill -9` shows a node leave and
 * come back, as Kubernetes would restart a pod), and on Ctrl-C stops every node with SIGTERM, their graceful
 * shutdown, and waits for each to exit. Readiness is each node's own `/readyz`, never a fixed wait.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { nodeProcessArgs, nodeProcessEnv } from './node-process.ts'
import type { ProgramIO } from './program-io.ts'

/** The demo's cluster cookie: a local demo only, never a real secret. */
export const DEMO_COOKIE = 'cohort-demo-cookie'
const HOST = '127.0.0.1'
/** A node that died unexpectedly comes back after this long, so the observer shows it down first. */
const RESTART_DELAY_MS = 5000
/** How long a node may take to answer /readyz 200. */
const READY_TIMEOUT_MS = 60_000
/** Lines of a node's output kept to explain a failure. */
const LOG_LINES_KEPT = 40

/** Options of runLocalClusterDemo. */
export interface LocalClusterDemoOptions {
  /** Nodes per app. @default 3 */
  nodesPerApp?: number
  /** First cluster port tried; the apps' cluster, HTTP and Redis ports are found free from here up. @default 4370 */
  basePort?: number
  /** How long a node that died waits before the demo starts it again. @default 5000 */
  restartDelayMs?: number
  /** First HTTP port tried (the chat's; the cache's start ten above). @default 8080 */
  httpPort?: number
  /** First Redis-protocol port tried for the cache. @default 6380 */
  redisPort?: number
}

type AppName = 'chat' | 'cache'

/** One node process of the demo, restarted in place when it dies. */
interface DemoNode {
  app: AppName
  name: string
  clusterPort: number
  httpPort: number
  redisPort: number | undefined
  env: Record<string, string | undefined>
  entry: string
  child: ChildProcess | undefined
  exited: Promise<void>
  log: string[]
}

/** Runs the demo until SIGINT/SIGTERM; resolves once every node has stopped. */
export async function runLocalClusterDemo(io: ProgramIO, options: LocalClusterDemoOptions = {}): Promise<void> {
  const count = options.nodesPerApp ?? 3
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`invalid --nodes ${count}: expected 1..9 nodes per app`)
  const base = options.basePort ?? 4370
  const restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS
  const entries = { chat: appEntry(io.entry, 'chat'), cache: appEntry(io.entry, 'cache') }

  // Cluster ports first (the node names carry them), then HTTP and Redis ports, each a free consecutive range.
  const taken = new Set<number>()
  const chatPorts = await freeRange(base, count, taken)
  // The cache's ranges start ten above the chat's (4380, 8090), or just past them when they had to move up.
  const cachePorts = await freeRange(Math.max(base + 10, chatPorts.at(-1)! + 1), count, taken)
  const httpBase = options.httpPort ?? 8080
  const chatHttp = await freeRange(httpBase, count, taken)
  const cacheHttp = await freeRange(Math.max(httpBase + 10, chatHttp.at(-1)! + 1), count, taken)
  const cacheRedis = await freeRange(options.redisPort ?? 6380, count, taken)

  const nodes: DemoNode[] = [
    ...chatPorts.map((port, i) => demoNode(io, 'chat', entries.chat, port, chatPorts, chatHttp[i]!, undefined)),
    ...cachePorts.map((port, i) => demoNode(io, 'cache', entries.cache, port, cachePorts, cacheHttp[i]!, cacheRedis[i]!)),
  ]
  let stopping = false
  const ungraceful: string[] = []
  const pendingRestarts = new Set<NodeJS.Timeout>()
  // The listeners stay until every node has stopped: run as `pnpm demo`, each Ctrl-C arrives twice (from the
  // terminal and forwarded by pnpm), and a second signal with no listener would end the demo before its nodes.
  let resolveStop: (signal: string) => void = () => {}
  const stopRequested = new Promise<string>((resolve) => (resolveStop = resolve))
  const onSignal = (signal: string): void => resolveStop(signal)

  const start = (node: DemoNode): Promise<void> => {
    const child = spawn(process.execPath, nodeProcessArgs(node.entry), {
      env: nodeProcessEnv(node.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in the terminal reaches the demo only, which stops each node with SIGTERM.
      detached: true,
    })
    node.child = child
    node.log = []
    const keep = (line: string): void => {
      node.log.push(line)
      if (node.log.length > LOG_LINES_KEPT) node.log.shift()
    }
    createInterface({ input: child.stdout! }).on('line', keep)
    createInterface({ input: child.stderr! }).on('line', keep)
    node.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        resolveExit()
        if (stopping) {
          if (code !== 0) ungraceful.push(node.name)
          io.stdout(`  ${node.name} ${code === 0 ? 'stopped gracefully' : `did not stop gracefully: ${signal ?? `exit code ${code}`}`}\n`)
          return
        }
        io.stdout(`\n! ${node.name} (pid ${child.pid}) died: ${signal ?? `exit code ${code}`}; the demo starts it again in ${restartDelayMs / 1000} s\n`)
        const timer = setTimeout(() => {
          pendingRestarts.delete(timer)
          if (stopping) return
          start(node).then(
            () => io.stdout(`+ ${node.name} is back (pid ${node.child?.pid}), ${nodeUrl(node)}\n`),
            (error: unknown) => io.stderr(`! ${node.name} did not come back: ${error instanceof Error ? error.message : String(error)}\n`),
          )
        }, restartDelayMs)
        pendingRestarts.add(timer)
      })
    })
    return waitReady(node)
  }

  io.signals.on('SIGINT', onSignal)
  io.signals.on('SIGTERM', onSignal)
  try {
    io.stdout(`Starting ${count} chat and ${count} cache nodes on ${HOST} (each a separate process; Ctrl-C stops them all)…\n`)
    try {
      await Promise.all(nodes.map(start))
    } catch (error) {
      stopping = true
      await stopAll(nodes)
      throw error
    }
    io.stdout(banner(nodes, io.entry))

    const signal = await stopRequested
    stopping = true
    for (const timer of pendingRestarts) clearTimeout(timer)
    io.stdout(`\n${signal}: stopping every node gracefully (SIGTERM: not ready, tell peers, stop the supervision tree)…\n`)
    await stopAll(nodes)
    if (ungraceful.length > 0) throw new Error(`not every node stopped gracefully: ${ungraceful.join(', ')}`)
    io.stdout('every node stopped gracefully.\n')
  } finally {
    io.signals.off('SIGINT', onSignal)
    io.signals.off('SIGTERM', onSignal)
  }
}

function demoNode(io: ProgramIO, app: AppName, entry: string, port: number, range: number[], httpPort: number, redisPort: number | undefined): DemoNode {
  const env: Record<string, string | undefined> = {
    ...io.env,
    COHORT_BASENAME: app,
    COHORT_HOST: HOST,
    COHORT_PORT: String(port),
    COHORT_COOKIE: DEMO_COOKIE,
    COHORT_COOKIE_FILE: '',
    COHORT_DISCOVERY: 'localPorts',
    COHORT_LOCAL_PORTS: `${range[0]}-${range.at(-1)}`,
    HTTP_PORT: String(httpPort),
    // The cache serves its HTTP API on the probe port.
    COHORT_PROBE_PORT: String(httpPort),
    // Every port on the loopback address only, as the URLs printed say: the apps bind 0.0.0.0 by default, as a
    // container must, and a laptop on a shared network would otherwise serve the cache's unauthenticated write API
    // and Redis port to it. The variables, when set, still choose (0.0.0.0 opens the chat to a phone on the network).
    HTTP_HOST: io.env['HTTP_HOST'] ?? HOST,
    COHORT_PROBE_HOST: io.env['COHORT_PROBE_HOST'] ?? HOST,
    LOG_LEVEL: io.env['LOG_LEVEL'] ?? 'warn',
    COHORT_LOG_LEVEL: io.env['COHORT_LOG_LEVEL'] ?? 'warn',
    // A quick local shutdown: no load balancer to drain from.
    COHORT_DRAIN_DELAY_MS: '100',
    COHORT_GRACE_PERIOD_MS: '5000',
  }
  if (redisPort !== undefined) {
    env['REDIS_PORT'] = String(redisPort)
    env['REDIS_HOST'] = io.env['REDIS_HOST'] ?? HOST
  }
  return { app, name: `${app}-${port}@${HOST}`, clusterPort: port, httpPort, redisPort, env, entry, child: undefined, exited: Promise.resolve(), log: [] }
}

function nodeUrl(node: DemoNode): string {
  return `http://${HOST}:${node.httpPort}/`
}

function banner(nodes: DemoNode[], cliEntry: string): string {
  const chat = nodes.filter((n) => n.app === 'chat')
  const cache = nodes.filter((n) => n.app === 'cache')
  const first = chat[0]!
  const lines = [
    '',
    `Start here: ${nodeUrl(first)}  (then open ${nodeUrl(chat[1] ?? first)} in a second tab: one chat, two nodes)`,
    '',
    ...nodes.map((n) => `  ${n.app.padEnd(5)} ${n.name.padEnd(22)} pid ${String(n.child?.pid).padEnd(7)} ${nodeUrl(n).padEnd(24)}${n.redisPort === undefined ? '' : ` redis-cli -p ${n.redisPort}`}`.trimEnd()),
    '',
    `Observer (the whole cluster, live): ${nodeUrl(first)}observer   and   ${nodeUrl(cache[0] ?? first)}observer`,
    '',
    'Try:',
    `  curl -X PUT --data hello ${nodeUrl(cache[0] ?? first)}kv/greeting && curl ${nodeUrl(cache[1] ?? first)}kv/greeting`,
    ...(cache[0]?.redisPort === undefined ? [] : [`  redis-cli -p ${cache[0].redisPort} SET answer 42 && redis-cli -p ${cache.at(-1)!.redisPort} GET answer`]),
    `  kill -9 ${chat.at(-1)!.child?.pid}   # watch the observer: ${chat.at(-1)!.name} goes down, the others carry on, it comes back`,
    `  node ${relative(process.cwd(), cliEntry) || cliEntry} status --node ${first.name} --cookie ${DEMO_COOKIE} --watch`,
    '',
    'Ctrl-C stops every node gracefully.',
    '',
  ]
  return `${lines.join('\n')}\n`
}

async function stopAll(nodes: DemoNode[]): Promise<void> {
  for (const n of nodes) if (n.child !== undefined && n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM')
  await Promise.all(nodes.map((n) => n.exited))
}

/** Resolves once the node answers /readyz with 200; rejects with its last output if it exits or takes too long. */
async function waitReady(node: DemoNode): Promise<void> {
  const child = node.child!
  const deadline = Date.now() + READY_TIMEOUT_MS
  const failed = (why: string): Error => new Error(`${node.name} ${why}; its last output:\n${node.log.map((l) => `    ${l}`).join('\n')}`)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw failed(`exited (${child.signalCode ?? `exit code ${child.exitCode}`}) before it was ready`)
    try {
      const res = await fetch(`${nodeUrl(node)}readyz`, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw failed(`was not ready within ${READY_TIMEOUT_MS / 1000} s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The built entry of an app, beside the CLI's own build. */
function appEntry(cliEntry: string, app: AppName): string {
  const entry = resolve(dirname(cliEntry), '..', '..', app, 'dist', 'main.js')
  if (!existsSync(entry)) throw new Error(`the ${app} app is not built (${entry} is missing): run pnpm build first`)
  return entry
}

/** `count` consecutive ports from `from` up that are free on 127.0.0.1 and not already `taken` by the demo. */
async function freeRange(from: number, count: number, taken: Set<number>): Promise<number[]> {
  for (let start = from; start < from + 2000; start += 1) {
    const ports = Array.from({ length: count }, (_, i) => start + i)
    if (ports.some((p) => taken.has(p))) continue
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) {
      for (const p of ports) taken.add(p)
      return ports
    }
  }
  throw new Error(`no ${count} consecutive free ports from ${from} on ${HOST}`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer()
    server.once('error', () => resolveFree(false))
    server.listen(port, HOST, () => server.close(() => resolveFree(true)))
  })
}
