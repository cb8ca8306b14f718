/**
 * Chat nodes as child processes (the compiled `apps/chat` binary) and WebSocket clients of them, for the chat's
 * multi-process and browser suites. Nodes find each other with the localPorts strategy over ports reserved here;
 * waits are on the JSON events a node prints (`ready`, `nodeup`, `nodedown`, `restart`, `leaving`), never on sleeps.
 * Each child's log is printed when a test fails.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { onTestFailed } from 'vitest'
import { WebSocket } from 'ws'

const ENTRY = fileURLToPath(new URL('../../apps/chat/dist/main.js', import.meta.url))

export type ChatEvent = Record<string, unknown> & { type: string }

/** One chat node process. */
export class ChatProcess {
  readonly child: ChildProcess
  readonly name: string
  readonly events: ChatEvent[] = []
  readonly log: string[] = []
  readonly exited: Promise<number | null>
  #waiters: (() => void)[] = []

  constructor(name: string, env: Record<string, string>) {
    this.name = name
    this.child = spawn(process.execPath, [ENTRY], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...env } })
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.child.once('exit', () => this.#wake())
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ChatEvent)
      } catch {
        this.log.push(`stdout: ${line}`)
      }
      this.#wake()
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.log.push(line))
    onTestFailed(() => console.error(`--- log of chat node ${name} ---\n${this.log.join('\n')}`))
  }

  /** The page's URL, once ready. */
  get url(): string {
    const ready = this.events.find((e) => e.type === 'ready')
    if (ready === undefined) throw new Error(`${this.name} is not ready yet`)
    return String(ready['url'])
  }

  /** Resolves with the first event (seen or to come) that `match` accepts. */
  async waitFor(match: (e: ChatEvent) => boolean, what = 'an event'): Promise<ChatEvent> {
    for (;;) {
      const found = this.events.find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`chat node ${this.name} exited while waiting for ${what}; log:\n${this.log.join('\n')}`)
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }
}

/** `count` consecutive free ports on 127.0.0.1, for nodes that find each other with localPorts. */
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

/** A cluster of chat nodes on 127.0.0.1, one per reserved port. */
export class ChatCluster {
  readonly ports: number[]
  readonly cookie = `chat-test-${process.pid}`
  readonly nodes: (ChatProcess | undefined)[]
  readonly env: Record<string, string>

  constructor(ports: number[], env: Record<string, string> = {}) {
    this.ports = ports
    this.nodes = ports.map(() => undefined)
    this.env = env
  }

  static async start(count: number, env: Record<string, string> = {}): Promise<ChatCluster> {
    const cluster = new ChatCluster(await freePorts(count), env)
    for (let i = 0; i < count; i++) cluster.startNode(i)
    for (let i = 0; i < count; i++) await cluster.waitMesh(i)
    return cluster
  }

  nameOf(i: number): string {
    return `chat-${this.ports[i]}@127.0.0.1`
  }

  /** Starts (or restarts) node `i` on its port. */
  startNode(i: number, env: Record<string, string> = {}): ChatProcess {
    const node = new ChatProcess(this.nameOf(i), {
      COHORT_COOKIE: this.cookie,
      COHORT_BASENAME: 'chat',
      COHORT_HOST: '127.0.0.1',
      COHORT_PORT: String(this.ports[i]),
      COHORT_DISCOVERY: 'localPorts',
      COHORT_LOCAL_PORTS: `${this.ports[0]}-${this.ports[this.ports.length - 1]}`,
      COHORT_TICK_MS: '2000',
      COHORT_DRAIN_DELAY_MS: '300',
      COHORT_GRACE_PERIOD_MS: '10000',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      CHAT_HISTORY_SYNC_MS: '200',
      LOG_LEVEL: 'info',
      ...this.env,
      ...env,
    })
    this.nodes[i] = node
    return node
  }

  node(i: number): ChatProcess {
    const node = this.nodes[i]
    if (node === undefined) throw new Error(`node ${i} is not running`)
    return node
  }

  /** Waits until node `i` is ready and connected to every other running node. */
  async waitMesh(i: number): Promise<void> {
    const node = this.node(i)
    await node.waitFor((e) => e.type === 'ready', 'ready')
    for (let j = 0; j < this.nodes.length; j++) {
      if (j === i || this.nodes[j] === undefined) continue
      const other = this.nameOf(j)
      await node.waitFor((e) => e.type === 'nodeup' && e['node'] === other, `nodeup of ${other}`)
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      if (node === undefined) continue
      node.kill('SIGKILL')
      await node.exited
    }
  }
}

/** A frame the server sent. */
export type Frame = Record<string, unknown> & { type: string }

/** A WebSocket client of a chat node that records every frame. */
export class ChatClient {
  readonly socket: WebSocket
  readonly frames: Frame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  readonly opened: Promise<void>
  #waiters: (() => void)[] = []

  /** `query` adds parameters to the URL (a `token`), `headers` to the upgrade request (`authorization`). */
  constructor(url: string, room: string, user: string, extra: { query?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const target = new URL('/ws', url)
    target.protocol = 'ws:'
    target.searchParams.set('room', room)
    target.searchParams.set('user', user)
    for (const [name, value] of Object.entries(extra.query ?? {})) target.searchParams.set(name, value)
    this.socket = new WebSocket(target, { headers: extra.headers ?? {} })
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve())
      this.socket.once('error', reject)
    })
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    this.socket.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as Frame)
      this.#wake()
    })
    this.socket.once('close', () => this.#wake())
  }

  /** Connects and waits for the history frame. */
  static async join(url: string, room: string, user: string, extra: { query?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<ChatClient> {
    const client = new ChatClient(url, room, user, extra)
    await client.opened
    await client.waitFor((f) => f.type === 'history', 'history')
    return client
  }

  say(text: string): void {
    this.socket.send(JSON.stringify({ type: 'say', text }))
  }

  messages(): Frame[] {
    return this.frames.filter((f) => f.type === 'message')
  }

  /** The users of the last presence frame. */
  presence(): string[] | undefined {
    const last = this.frames.filter((f) => f.type === 'presence').at(-1)
    return last === undefined ? undefined : (last['users'] as string[])
  }

  /** Resolves with the first frame (seen or to come) that `match` accepts. */
  async waitFor(match: (f: Frame) => boolean, what = 'a frame'): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(match)
      if (found !== undefined) return found
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Resolves once `check` holds over the frames received so far (re-checked at each frame). */
  async until(check: () => boolean, what: string): Promise<void> {
    for (;;) {
      if (check()) return
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  close(): void {
    this.socket.close()
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }
}

/** GETs a JSON route of a node. */
export async function getJson<T>(base: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, base))
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}
