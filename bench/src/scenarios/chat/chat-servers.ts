/**
 * The server side of the chat scenario: three apps/chat node processes (found by each other over localPorts), and
 * three socket.io servers with the Redis adapter beside a real redis-server. Each is a separate process, started and
 * awaited on the JSON line or log line it prints when ready; their CPU is read from /proc so a figure says which
 * process ran out.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { inheritedNodeFlags } from '../../child/node-flags.ts'

/** A server process and what it printed. */
export class ServerProcess {
  readonly child: ChildProcess
  readonly lines: string[] = []
  readonly label: string
  #waiters: (() => void)[] = []

  /**
   * Starts a Node process (`file` with `args`, and the Node flags of the scenario process: node-flags.ts), with an IPC
   * channel whose closing tells it the scenario is gone.
   */
  constructor(label: string, file: string, args: string[], env: Record<string, string>, execArgv: string[] = []) {
    this.label = label
    this.child = spawn(process.execPath, [...inheritedNodeFlags(), ...execArgv, file, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } })
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line)
        if (this.lines.length > 200) this.lines.shift()
        for (const w of this.#waiters.splice(0)) w()
      })
    }
    this.child.once('exit', () => {
      for (const w of this.#waiters.splice(0)) w()
    })
  }

  /** Resolves with the first line `match` accepts; rejects if the process exits or `timeoutMs` passes first. */
  async waitLine(match: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}): ${this.lines.slice(-5).join(' | ')}`)
      }
      if (Date.now() > deadline) throw new Error(`${this.label} not ready after ${timeoutMs} ms: ${this.lines.slice(-5).join(' | ')}`)
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }

  /** CPU seconds (user + system) used so far, from /proc, with the process's children (redis under its keeper). */
  cpuSeconds(): number {
    return processCpuSeconds(this.child.pid) + childrenOf(this.child.pid).reduce((sum, pid) => sum + processCpuSeconds(pid), 0)
  }

  /** Stops the process: SIGTERM (a profiled server writes its profile), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
}

/** CPU seconds of a process, from /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** The child pids of `pid`, from /proc. */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return []
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((p) => p !== '').map(Number)
  } catch {
    return []
  }
}

/** `count` consecutive free ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  // Below the kernel's ephemeral range (Linux: 32768-60999): a port checked free there could be taken as the source
  // port of some outgoing connection before the node listens on it.
  for (let base = 20_000 + Math.floor(Math.random() * 12_000); ; base += count) {
    const ports = Array.from({ length: count }, (_, i) => base + i)
    const free = await Promise.all(
      ports.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const s = createServer()
            s.once('error', () => resolve(false))
            s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
          }),
      ),
    )
    if (free.every(Boolean)) return ports
  }
}

/** A side of the comparison: its servers' WebSocket bases and processes. */
export interface ChatServers {
  readonly name: 'cohort' | 'socketio'
  /** `ws://127.0.0.1:<port>` per server. */
  readonly bases: string[]
  readonly servers: ServerProcess[]
  /** Processes beside the servers (redis-server). */
  readonly extras: ServerProcess[]
  stop(): Promise<void>
}

/** `--cpu-prof` for a server process when the run is profiled. */
function profiling(cpuProfDir: string | undefined): string[] {
  return cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]
}

const HERE = dirname(fileURLToPath(import.meta.url))

/** Three apps/chat nodes, connected to each other. */
export async function startCohortChat(cpuProfDir?: string): Promise<ChatServers> {
  const ports = await freePorts(3)
  const servers = ports.map(
    (port) =>
      new ServerProcess(`chat node ${port}`, join(HERE, 'chat-node.js'), [], {
        COHORT_COOKIE: `bench-${process.pid}`,
        COHORT_BASENAME: 'chat',
        COHORT_HOST: '127.0.0.1',
        COHORT_PORT: String(port),
        COHORT_DISCOVERY: 'localPorts',
        COHORT_LOCAL_PORTS: `${ports[0]}-${ports[2]}`,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
        // A load generator reads in bursts; the chat's default slow-client limit would cut it in overload.
        CHAT_MAX_BUFFERED_BYTES: String(256 * 1024 * 1024),
        // Each generator client sends up to about 100 messages a second at saturation, five times the default
        // per-connection limit, which socket.io's side does not have. Raised, not turned off, so every frame still
        // pays for the check.
        CHAT_MAX_MESSAGES_PER_SECOND: String(1_000_000),
        // Profiles are written at exit: a stop should not wait for a drain.
        COHORT_DRAIN_DELAY_MS: '0',
      }, profiling(cpuProfDir)),
  )
  const bases: string[] = []
  for (const server of servers) {
    const ready = JSON.parse(await server.waitLine((l) => l.includes('"type":"ready"'))) as { url: string }
    bases.push(ready.url.replace(/^http/, 'ws'))
  }
  for (const [i, server] of servers.entries()) {
    for (const [j] of ports.entries()) if (j !== i) await server.waitLine((l) => l.includes('"type":"nodeup"') && l.includes(`chat-${ports[j]}@`))
  }
  return { name: 'cohort', bases, servers, extras: [], stop: () => stopAll(servers) }
}

/** Whether redis-server can be started here. */
export function redisServerPath(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p))
}

/** A redis-server and three socket.io servers with the Redis adapter. */
export async function startSocketIoChat(redisServer: string, cpuProfDir?: string): Promise<ChatServers> {
  const [redisPort] = await freePorts(1)
  const redis = new ServerProcess('redis-server', join(HERE, 'redis-keeper.js'), [redisServer, '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {})
  await redis.waitLine((l) => l.includes('Ready to accept connections'))
  const servers = [0, 1, 2].map(
    (i) =>
      new ServerProcess(`socket.io server ${i}`, join(HERE, 'socketio-chat-server.js'), [], { PORT: '0', REDIS_URL: `redis://127.0.0.1:${redisPort}` }, profiling(cpuProfDir)),
  )
  const bases: string[] = []
  for (const server of servers) {
    const ready = JSON.parse(await server.waitLine((l) => l.includes('"type":"ready"'))) as { port: number }
    bases.push(`ws://127.0.0.1:${ready.port}`)
  }
  return { name: 'socketio', bases, servers, extras: [redis], stop: () => stopAll([...servers, redis]) }
}

async function stopAll(processes: ServerProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()))
}
