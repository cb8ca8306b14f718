/**
 * `cohort demo --narrate` (and `pnpm demo --narrate`): a narrated tour on one machine. It starts several node processes that find each
 * other through `localPorts`, lets their actors greet each other across nodes, crashes one actor (its supervisor
 * restarts it), kills one node with SIGKILL (the others see `noconnection` at once), brings it back as a new
 * incarnation, shows the cluster view, and stops every node gracefully. Every step waits on an event the nodes
 * report, never on a fixed sleep. Ctrl-C (or SIGTERM) cuts the tour short and still stops every node gracefully: the
 * nodes run in process groups of their own, so only the tour hears the terminal's signal and none outlives it.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { OBSERVER_NAME } from '@cohort/discovery'
import type { ClusterReport } from '@cohort/discovery'
import type { CohortNode } from '@cohort/transport'
import { connectHidden } from './hidden-client.ts'
import { nodeProcessArgs, nodeProcessEnv } from './node-process.ts'
import type { ProgramIO } from './program-io.ts'
import { formatStatus } from './status-view.ts'

type Event = Record<string, unknown> & { node: string; type: string }

interface NodeProc {
  name: string
  port: number
  child: ChildProcess
  exited: Promise<number | null>
}

const COOKIE = 'cohort-demo-cookie'
const HOST = '127.0.0.1'

/** Thrown out of the step the tour was at when a signal cut it short. */
class Interrupted extends Error {
  readonly signal: string

  constructor(signal: string) {
    super(`interrupted by ${signal}`)
    this.signal = signal
  }
}

/** Runs the narrated tour with `count` nodes from the first free range at or above `basePort`. */
export async function runNarratedTour(io: ProgramIO, basePort: number, count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 2 || count > 16) throw new Error(`invalid --nodes ${count}: expected 2..16`)
  const base = await freeRange(basePort, count)
  await new Demo(io, base, count).run()
}

class Demo {
  readonly #io: ProgramIO
  readonly #ports: number[]
  readonly #procs = new Map<string, NodeProc>()
  /** Every event the nodes reported, in arrival order: a step waits on what happened since it began. */
  readonly #events: Event[] = []
  #waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = []
  #quietReplies = new Set<string>()
  #interrupted: Interrupted | undefined = undefined
  /** Rejects with `Interrupted` once a signal arrives: every step races it. */
  readonly #interruption: Promise<never>
  #interrupt: (signal: string) => void = () => {}

  constructor(io: ProgramIO, base: number, count: number) {
    this.#io = io
    this.#ports = Array.from({ length: count }, (_, i) => base + i)
    this.#interruption = new Promise<never>((_, reject) => {
      this.#interrupt = (signal) => {
        if (this.#interrupted !== undefined) return
        this.#interrupted = new Interrupted(signal)
        reject(this.#interrupted)
      }
    })
    // Only the steps that are running observe the rejection; nobody may be awaiting it when the signal comes.
    this.#interruption.catch(() => {})
  }

  #say(text: string): void {
    this.#io.stdout(`\n== ${text}\n`)
  }

  #line(node: string, text: string): void {
    this.#io.stdout(`  [${node.split('@')[0]}] ${text}\n`)
  }

  name(port: number): string {
    return `demo-${port}@${HOST}`
  }

  async run(): Promise<void> {
    const deadline = setTimeout(() => {
      this.#io.stderr('demo: a step took longer than 90 s; stopping\n')
      for (const p of this.#procs.values()) p.child.kill('SIGKILL')
      this.#io.exit(1)
    }, 90_000)
    deadline.unref()
    // The listeners stay until every node has stopped: run as `pnpm demo --narrate`, each Ctrl-C arrives twice (from
    // the terminal and forwarded by pnpm), and a second signal with no listener would end the tour before its nodes.
    const onSignal = (signal: string): void => this.#interrupt(signal)
    this.#io.signals.on('SIGINT', onSignal)
    this.#io.signals.on('SIGTERM', onSignal)
    let hidden: CohortNode | undefined
    try {
      const names = this.#ports.map((p) => this.name(p))
      let since = this.#mark()
      this.#say(`starting ${names.length} node processes on ${HOST}, ports ${this.#ports[0]}-${this.#ports.at(-1)}`)
      await Promise.all(this.#ports.map((port) => this.#start(port)))
      await Promise.all(names.flatMap((a) => names.filter((b) => b !== a).map((b) => this.#wait((e) => e.node === a && e.type === 'nodeup' && e['node_'] === b, since))))
      this.#say('the cluster formed: every node is connected to every other (a full mesh found through localPorts)')

      await Promise.all(names.flatMap((a) => names.filter((b) => b !== a).map((b) => this.#wait((e) => e.node === a && e.type === 'reply' && e['from'] === b, since))))
      this.#say("every node's chatter got a reply from every other node's greeter: { name: 'greeter', node } addressing")

      const victim = names[1]!
      hidden = await this.#step(connectHidden({ name: names[0]!, url: `ws://${HOST}:${this.#ports[0]}` }, COOKIE))
      // A hidden node does not join the mesh: it dials each node it talks to itself.
      for (const port of this.#ports.slice(1)) await this.#step(hidden.connect({ name: this.name(port), url: `ws://${HOST}:${port}` }))
      this.#say(`crashing the greeter on ${victim} (a cast from a hidden CLI node); its supervisor restarts it`)
      this.#quietReplies.clear()
      since = this.#mark()
      hidden.system.cast({ name: 'greeter', node: victim }, 'crash')
      await this.#wait((e) => e.node === victim && e.type === 'restart' && e['child'] === 'greeter', since)
      since = this.#mark()
      await this.#wait((e) => e.type === 'reply' && e['from'] === victim, since)
      this.#say(`the new greeter on ${victim} answers again; the rest of that node never stopped`)

      const killed = names.at(-1)!
      const survivors = names.filter((n) => n !== killed)
      this.#say(`killing ${killed} with SIGKILL: its peers see nodedown and their calls to it fail at once with noconnection`)
      since = this.#mark()
      this.#procs.get(killed)!.child.kill('SIGKILL')
      await Promise.all(survivors.map((s) => this.#wait((e) => e.node === s && e.type === 'nodedown' && e['node_'] === killed, since)))

      this.#say(`restarting ${killed}: a new incarnation (new creation number) rejoins and is found again by discovery`)
      since = this.#mark()
      this.#quietReplies.clear()
      await this.#start(this.#ports.at(-1)!)
      await Promise.all(survivors.map((s) => this.#wait((e) => e.node === s && e.type === 'nodeup' && e['node_'] === killed, since)))
      await Promise.all(survivors.map((s) => this.#wait((e) => e.node === s && e.type === 'reply' && e['from'] === killed, since)))

      // The restarted node is a new process: the hidden node reconnects to it.
      await this.#step(hidden.connect({ name: killed, url: `ws://${HOST}:${this.#ports.at(-1)!}` }))
      this.#say('the cluster as `cohort status` shows it:')
      const report = await this.#step(hidden.system.call<ClusterReport>({ name: OBSERVER_NAME, node: names[0]! }, 'cluster', 5000))
      this.#io.stdout(formatStatus(report).replace(/^/gm, '  '))
      await hidden.close()
      hidden = undefined

      const first = names[0]!
      this.#say(`stopping ${first} with SIGTERM: it reports not ready, tells its peers it is leaving, stops its tree, exits 0`)
      since = this.#mark()
      this.#procs.get(first)!.child.kill('SIGTERM')
      const others = names.filter((n) => n !== first)
      await Promise.all(others.map((s) => this.#wait((e) => e.node === s && e.type === 'nodedown' && e['node_'] === first, since)))
      const code = await this.#step(this.#procs.get(first)!.exited)
      this.#line(first, `exited with code ${code}`)
      this.#say('stopping the others')
      for (const n of others) this.#procs.get(n)!.child.kill('SIGTERM')
      await this.#step(Promise.all(others.map((n) => this.#procs.get(n)!.exited)))
      this.#say('done: every node stopped gracefully')
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error
      await this.#stopAfter(error.signal, hidden)
      hidden = undefined
    } finally {
      clearTimeout(deadline)
      await hidden?.close()
      for (const p of this.#procs.values()) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      this.#io.signals.off('SIGINT', onSignal)
      this.#io.signals.off('SIGTERM', onSignal)
    }
  }

  /** The tour was cut short by `signal`: every node still running stops as Kubernetes would stop it, with SIGTERM. */
  async #stopAfter(signal: string, hidden: CohortNode | undefined): Promise<void> {
    this.#say(`${signal}: the tour stops here; stopping every node gracefully`)
    await hidden?.close()
    const running = [...this.#procs.values()].filter((p) => p.child.exitCode === null && p.child.signalCode === null)
    for (const p of running) p.child.kill('SIGTERM')
    const codes = await Promise.all(running.map((p) => p.exited))
    const ungraceful = running.filter((_, i) => codes[i] !== 0).map((p) => p.name)
    if (ungraceful.length > 0) throw new Error(`not every node stopped gracefully: ${ungraceful.join(', ')}`)
    this.#say('every node stopped gracefully')
  }

  /** `promise`, unless a signal cuts the tour short first. */
  #step<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#interruption])
  }

  async #start(port: number): Promise<void> {
    const name = this.name(port)
    const args = nodeProcessArgs(this.#io.entry, [
      'start', '--demo',
      '--basename', 'demo', '--host', HOST, '--port', String(port),
      '--discovery', 'localPorts', '--local-ports', `${this.#ports[0]}-${this.#ports.at(-1)}`,
      '--cookie', COOKIE, '--probe-port', '0', '--tick-ms', '3000', '--log-level', 'info',
    ])
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in the terminal reaches the tour only, which stops each node with SIGTERM.
      detached: true,
      // Probes on the loopback address only, as the tour's nodes are (the default, 0.0.0.0, is for containers).
      env: nodeProcessEnv({ COHORT_PROBE_HOST: HOST, ...this.#io.env, COHORT_DRAIN_DELAY_MS: '100', COHORT_GRACE_PERIOD_MS: '5000', COHORT_COOKIE_FILE: '' }),
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    this.#procs.set(name, { name, port, child, exited })
    createInterface({ input: child.stdout! }).on('line', (line) => this.#event(name, line))
    createInterface({ input: child.stderr! }).on('line', (line) => this.#log(name, line))
    const ready = await this.#wait((e) => e.node === name && e.type === 'ready', this.#mark())
    this.#line(name, `ready at ${String(ready['url'])} (incarnation ${String(ready['creation'])}, probes ${String(ready['probes'])})`)
  }

  #event(from: string, line: string): void {
    let raw: Record<string, unknown>
    try {
      raw = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.#line(from, line)
      return
    }
    // Node events carry their own `node` field (the peer); keep the reporting node apart.
    const event: Event = { ...raw, node: from, node_: raw['type'] === 'nodeup' || raw['type'] === 'nodedown' ? raw['node'] : undefined, type: String(raw['type']) }
    if (event.type === 'nodeup') this.#line(from, `nodeup   ${String(event['node_'])}`)
    else if (event.type === 'nodedown') this.#line(from, `nodedown ${String(event['node_'])} (${String(raw['reason'])})`)
    else if (event.type === 'restart') this.#line(from, `supervisor restarted ${String(event['child'])} after: ${String(event['reason'])}`)
    else if (event.type === 'callFailed') this.#line(from, `call to ${String(event['to'])} failed: ${String(event['code'])}`)
    else if (event.type === 'reply') {
      const key = `${from}<${String(event['from'])}`
      if (!this.#quietReplies.has(key)) {
        this.#quietReplies.add(key)
        this.#line(from, `reply: ${String(event['text'])}`)
      }
    }
    this.#events.push(event)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(event)) return true
      w.resolve(event)
      return false
    })
  }

  #log(from: string, line: string): void {
    try {
      const record = JSON.parse(line) as { level?: number; msg?: string; peer?: string; reason?: string }
      // The nodes log at info; the demo shows only departures and crashes from their logs.
      if ((record.level ?? 0) >= 30 && /peer (left|lost)|crash|shutdown (started|finished)|not ready/.test(record.msg ?? '')) {
        this.#line(from, `log: ${record.msg ?? ''}${record.peer === undefined ? '' : ` ${record.peer}`}`)
      }
    } catch {
      this.#line(from, line)
    }
  }

  /** The position in the event log a step starts from. */
  #mark(): number {
    return this.#events.length
  }

  /** Resolves with the first event since `since` that `match` accepts (already seen, or still to come). */
  #wait(match: (e: Event) => boolean, since: number): Promise<Event> {
    const seen = this.#events.slice(since).find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return this.#step(new Promise<Event>((resolve) => this.#waiters.push({ match, resolve })))
  }
}

/** The first `count` consecutive free ports from `base` (moving up in steps when taken). */
async function freeRange(base: number, count: number): Promise<number> {
  for (let start = base; start < base + 1000; start += count) {
    const ports = Array.from({ length: count }, (_, i) => start + i)
    const free = await Promise.all(ports.map(isFree))
    if (free.every(Boolean)) return start
  }
  throw new Error(`no ${count} consecutive free ports from ${base}`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => server.close(() => resolve(true)))
  })
}
