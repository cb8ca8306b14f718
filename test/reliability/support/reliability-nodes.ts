/**
 * Starts reliability-node.mjs processes, on loopback or inside a Fabric namespace (through `ip netns exec`, which keeps
 * the IPC channel), and kills every one of them after each test. Readiness is the child's `ready` message.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, onTestFailed } from 'vitest'
import { NodeProcess } from '../../support/spawn-node.ts'

const SCRIPT = fileURLToPath(new URL('./reliability-node.mjs', import.meta.url))

export interface ReliabilityNodeOptions {
  name: string
  host?: string
  port?: number
  url?: string
  tickMs?: number
  logLevel?: string
  /** Further startNode options (numbers and booleans only: they travel as JSON). */
  node?: Record<string, number | boolean>
}

/** What `report` returns. */
export interface NodeReport {
  sink: { received: number; gaps: number; lateStarts: number; epochs: number; lastSeq: Record<string, number> }
  sent: number
  targets: Record<string, { seq: number; epoch: number }>
  memory: NodeJS.MemoryUsage
  fds: number
  stats: { peers: Array<{ node: string; queuedBytes: number; readPaused: boolean }>; pendingHandshakes: number; connectionsOversized: number; connectionsEvicted: number; connectionsRefused: number }
}

const running = new Set<NodeProcess>()
const logs: Array<{ name: string; log: string[] }> = []

afterEach(async () => {
  const all = [...running]
  running.clear()
  logs.length = 0
  await Promise.all(
    all.map(async (p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await p.exited
    }),
  )
})

/** Starts a node process (in namespace `ns` when given) and resolves once it reports ready. */
export async function startReliabilityNode(options: ReliabilityNodeOptions, ns?: string): Promise<NodeProcess> {
  const log: string[] = []
  logs.push({ name: options.name, log })
  if (logs.length === 1) {
    onTestFailed(() => {
      for (const l of logs) console.error(`---- log of ${l.name} ----\n${l.log.join('').slice(-20_000)}`)
    })
  }
  const env = { ...process.env }
  delete env['NODE_OPTIONS']
  const argv = [process.execPath, SCRIPT, JSON.stringify(options)]
  const command = ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv]
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => log.push(chunk))
  const ready = await new Promise<{ name: string; url: string; port: number; creation: number }>((resolve, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== 'ready') return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(m as never)
    }
    const onExit = (code: number | null): void => reject(new Error(`node ${options.name} exited with ${code} before ready:\n${log.join('')}`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
  const p = new NodeProcess(child, ready, log)
  running.add(p)
  return p
}

/** Resolves once `check` holds, polling `probe` (an IPC request) between checks; rejects after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (check(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
