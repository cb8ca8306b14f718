/**
 * Spawns Cohort nodes as separate Node processes (node-process.mjs, which runs the compiled packages) and drives them
 * over IPC. A child reports readiness with its bound URL over IPC; nothing here waits on a sleep. Every child is
 * killed after each test, and the JSON logs of every child are printed when a test fails.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, onTestFailed } from 'vitest'

const SCRIPT = fileURLToPath(new URL('./node-process.mjs', import.meta.url))

/** What a child reports: node events and watcher/ordering results. */
export interface NodeProcessEvent {
  type: 'event'
  kind: string
  [key: string]: unknown
}

export interface PidJson {
  node: string
  id: number
  creation: number
}

export interface NodeProcessOptions {
  name: string
  cookie?: string
  tickMs?: number
  port?: number
  hidden?: boolean
  logLevel?: string
  /** Define the Distribution contract's behaviours (test/contracts). */
  contract?: boolean
  /** Start process groups and global names, and answer their commands (test/cluster). */
  clusterServices?: boolean
  /** With `clusterServices`: run a manager of the 'ticker' singleton. */
  singleton?: boolean
  /** Start a replicated map and a presence tracker (scope 'e2e'), and answer their commands (test/cluster). */
  replicated?: boolean
}

/** One node in a child process. */
export class NodeProcess {
  readonly name: string
  readonly url: string
  readonly port: number
  readonly creation: number
  readonly child: ChildProcess
  readonly events: NodeProcessEvent[] = []
  readonly #log: string[]
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  readonly #eventWaiters = new Set<() => void>()
  #nextId = 1
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(child: ChildProcess, ready: { name: string; url: string; port: number; creation: number }, log: string[]) {
    this.child = child
    this.name = ready.name
    this.url = ready.url
    this.port = ready.port
    this.creation = ready.creation
    this.#log = log
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    child.on('message', (m: { type: string; id?: number; ok?: boolean; value?: unknown; error?: { message: string; code?: string } }) => {
      if (m.type === 'reply' && m.id !== undefined) {
        const p = this.#pending.get(m.id)
        this.#pending.delete(m.id)
        if (m.ok) p?.resolve(m.value)
        else p?.reject(Object.assign(new Error(m.error?.message), { code: m.error?.code }))
      } else if (m.type === 'event') {
        this.events.push(m as NodeProcessEvent)
        for (const w of [...this.#eventWaiters]) w()
      }
    })
    // The log arrives on stderr, events over IPC: two channels with no order between them, so a test that expects a
    // log line after an event waits for the line.
    child.stderr?.on('data', () => {
      for (const w of [...this.#eventWaiters]) w()
    })
    child.once('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error(`node ${this.name} exited`))
      this.#pending.clear()
    })
  }

  /** Sends a command and resolves with the child's answer. */
  request<T = unknown>(command: string, args: object = {}): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.send({ id, command, args })
    })
  }

  /** Resolves with the first event (already seen or future) matching `match`; rejects after `timeoutMs`. */
  waitEvent(match: (e: NodeProcessEvent, index: number) => boolean, timeoutMs = 20_000): Promise<NodeProcessEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find(match)
        if (e === undefined) return false
        this.#eventWaiters.delete(waiter)
        clearTimeout(timer)
        resolve(e)
        return true
      }
      const waiter = (): void => void check()
      const timer = setTimeout(() => {
        this.#eventWaiters.delete(waiter)
        reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`))
      }, timeoutMs)
      this.#eventWaiters.add(waiter)
      check()
    })
  }

  /** Resolves once the child's log contains `text`; rejects after `timeoutMs`. */
  waitLog(text: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!this.log().includes(text)) return
        this.#eventWaiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#eventWaiters.delete(check)
        reject(new Error(`${this.name}: the log did not show ${text} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#eventWaiters.add(check)
      check()
    })
  }

  /** The child's log so far (JSON lines). */
  log(): string {
    return this.#log.join('')
  }
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

/** Starts a node process and resolves once it reports ready (with its real port). */
export function spawnNode(options: NodeProcessOptions): Promise<NodeProcess> {
  return spawnNodeScript(SCRIPT, options)
}

/**
 * Starts `script`, a child that speaks node-process.mjs's IPC protocol (ready, events, requests and replies), with
 * `options` as its JSON argument, inside network namespace `ns` when given (through `ip netns exec`, which keeps the
 * IPC channel); resolves once it reports ready. Like spawnNode's, the child is killed after the test and its log
 * printed when the test fails. Suites whose nodes need commands of their own (test/reliability) use this.
 */
export async function spawnNodeScript(script: string, options: { name: string }, ns?: string): Promise<NodeProcess> {
  const log: string[] = []
  logs.push({ name: options.name, log })
  if (logs.length === 1) {
    onTestFailed(() => {
      // The tail: a soak's log can be long, and the end is where a failure shows.
      for (const l of logs) console.error(`---- log of ${l.name} ----\n${l.log.join('').slice(-20_000)}`)
    })
  }
  // A clean NODE_OPTIONS and no execArgv: the child must resolve packages to their compiled dist, not to the
  // `@cohort/source` condition the test runner may have set for itself.
  const env = { ...process.env }
  delete env['NODE_OPTIONS']
  const argv = [process.execPath, script, JSON.stringify(options)]
  const command = ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv]
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env })
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

/** Resolves once `p` has reported nodeup for every name in `names`. */
export async function waitNodesUp(p: NodeProcess, names: string[]): Promise<void> {
  for (const n of names) await p.waitEvent((e) => e.kind === 'nodeup' && e['node'] === n)
}

/**
 * Starts `names` as node processes with `options`, connects them all to the first, and waits until each sees every
 * other; with `replicated`, also until each map has every other as a peer, since a map finds its peers a message
 * after nodeup and, until then, a write reaches a peer only by catch-up.
 */
export async function spawnMesh(names: string[], options: Omit<NodeProcessOptions, 'name'> = {}): Promise<NodeProcess[]> {
  const nodes = await Promise.all(names.map((name) => spawnNode({ ...options, name })))
  const first = nodes[0]!
  for (const n of nodes.slice(1)) await n.request('connect', { name: first.name, url: first.url })
  for (const n of nodes) await waitNodesUp(n, nodes.filter((m) => m !== n).map((m) => m.name))
  if (options.replicated === true) for (const n of nodes) await n.request('waitPeers', { count: nodes.length - 1 })
  return nodes
}
