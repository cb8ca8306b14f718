/**
 * InMemoryNetwork: several ActorSystems in one process, connected by a Distribution that carries control messages
 * through the real message codec, with faults a test controls: partitions, heals, delays, dropped messages, killed
 * and stopped nodes. Time is a TestClock, so distributed behaviour is tested deterministically — by us and by users
 * testing their own actors. It attaches with `attachDistribution`, as the transport does, and hands what
 * arrives to the same endpoint paths: a run of sends to one pid as one `deliverSends`, a call as `deliverCall`, a
 * reply as `deliverReply`, everything else as `deliver`.
 *
 * Gotchas: `heal()` reconnects the cut nodes at once (in a real cluster discovery does that); `kill(node)` detaches
 * the node first, so nothing it does while stopping reaches the others.
 */
import type { Logger } from 'pino'
import { createMessageCodec } from '../codec.ts'
import type { MessageCodec } from '../codec.ts'
import type { ControlMessage } from '../distribution/control-message.ts'
import type { Distribution, DistributionEndpoint, DistributionSendResult } from '../distribution/distribution.ts'
import { Queue } from '../internal/queue.ts'
import type { Pid } from '../pid.ts'
import { attachDistribution, createActorSystem } from '../system/actor-system.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import type { ActorSystemOptions } from '../system/system-options.ts'
import { TestClock } from './test-clock.ts'

/** Options of `createNetwork`. */
export interface NetworkOptions {
  /** The shared virtual clock. @default a new TestClock at 0 */
  clock?: TestClock
  /** Round-trip local messages through the codec too. @default true */
  strictMessages?: boolean
  /** Logger for every node. @default silent */
  logger?: Logger
  /**
   * Carry remote calls as `call` and `reply` control messages (Distribution's `compactCalls`), as the transport does;
   * false sends them as Erlang does: monitor, request, reply, demonitor. @default true
   */
  compactCalls?: boolean
}

interface Member {
  name: string
  system: ActorSystem
  endpoint: DistributionEndpoint
  alive: boolean
  creation: number
}

interface InFlight {
  control: ControlMessage
  due: number
}

class Link {
  readonly queue = new Queue<InFlight>()
  readonly codec: MessageCodec = createMessageCodec()
  delayMs = 0
  drop = 0
  scheduled = false
}

/** Several nodes in one process, with faults on demand. */
export class InMemoryNetwork {
  readonly clock: TestClock
  readonly #options: { strictMessages: boolean; logger: Logger | undefined; compactCalls: boolean }
  readonly #members = new Map<string, Member>()
  readonly #links = new Map<string, Link>()
  readonly #cut = new Set<string>()
  #creation = 1

  constructor(options: NetworkOptions = {}) {
    this.clock = options.clock ?? new TestClock()
    this.#options = { strictMessages: options.strictMessages ?? true, logger: options.logger, compactCalls: options.compactCalls ?? true }
    this.clock.quiesce = () => this.#quiet()
  }

  /** Starts a node and connects it to every live node. */
  addNode(name: string, options: Omit<ActorSystemOptions, 'node' | 'clock'> = {}): ActorSystem {
    const existing = this.#members.get(name)
    if (existing?.alive === true) throw new Error(`node ${name} is already running in this network`)
    const creation = this.#creation++
    const system = createActorSystem({
      strictMessages: this.#options.strictMessages,
      ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      ...options,
      node: name,
      clock: this.clock,
      creation,
    })
    const member: Member = { name, system, endpoint: undefined as never, alive: true, creation }
    const distribution: Distribution = {
      send: (node, control) => this.#send(member, node, control),
      sendMessage: (to, from, msg) => this.#send(member, to.node, { type: 'send', to, from, msg }),
      compactCalls: this.#options.compactCalls,
      sendCall: (node, to, port, ref, request, from) => this.#send(member, node, { type: 'call', to, port, ref, request, from }),
      drain: () => Promise.resolve(),
      nodes: () => this.#peersOf(member),
    }
    member.endpoint = attachDistribution(system, distribution)
    this.#members.set(name, member)
    for (const other of this.#members.values()) {
      if (other === member || !other.alive || this.#isCut(name, other.name)) continue
      member.endpoint.nodeUp(other.name)
      other.endpoint.nodeUp(name)
    }
    return system
  }

  /** The running system of `name`. */
  system(name: string): ActorSystem {
    const m = this.#members.get(name)
    if (m === undefined || !m.alive) throw new Error(`node ${name} is not running`)
    return m.system
  }

  /** Names of the running nodes. */
  nodes(): string[] {
    return [...this.#members.values()].filter((m) => m.alive).map((m) => m.name)
  }

  /**
   * Cuts every link between the two sides (a node name or a list of names each); in-flight messages are lost and
   * both sides see nodedown with 'noconnection'.
   */
  partition(sideA: string | string[], sideB: string | string[]): void {
    for (const a of [sideA].flat()) {
      for (const b of [sideB].flat()) {
        if (a === b || this.#isCut(a, b)) continue
        const wasConnected = this.#connected(a, b)
        this.#cut.add(pairKey(a, b))
        this.#link(a, b).queue.clear()
        this.#link(b, a).queue.clear()
        if (wasConnected) {
          this.#members.get(a)!.endpoint.nodeDown(b, 'noconnection')
          this.#members.get(b)!.endpoint.nodeDown(a, 'noconnection')
        }
      }
    }
  }

  /** Restores every cut link between live nodes; both sides see nodeup. */
  heal(): void {
    const cut = [...this.#cut]
    this.#cut.clear()
    for (const key of cut) {
      const [a, b] = key.split('\u0000') as [string, string]
      if (this.#connected(a, b)) {
        this.#members.get(a)!.endpoint.nodeUp(b)
        this.#members.get(b)!.endpoint.nodeUp(a)
      }
    }
  }

  /** Messages between `a` and `b` (both ways) take `ms` of virtual time from now on. */
  delay(a: string, b: string, ms: number): void {
    this.#link(a, b).delayMs = ms
    this.#link(b, a).delayMs = ms
  }

  /** The next `n` control messages from `a` to `b` are lost. */
  dropNext(a: string, b: string, n: number): void {
    this.#link(a, b).drop += n
  }

  /** Crashes `name`: the others see nodedown 'noconnection' at once; its actors stop without reaching anyone. */
  async kill(name: string): Promise<void> {
    await this.#remove(name, 'noconnection')
  }

  /** Stops `name` gracefully: the others see nodedown 'leaving'. */
  async stop(name: string): Promise<void> {
    await this.#remove(name, 'leaving')
  }

  /** Starts `name` again as a new incarnation (new creation). */
  restart(name: string, options?: Omit<ActorSystemOptions, 'node' | 'clock'>): ActorSystem {
    return this.addNode(name, options)
  }

  /** Resolves when every mailbox is empty, nothing is in flight, and no timer is due now. */
  async settle(): Promise<void> {
    for (let rounds = 0; rounds < 100_000; rounds++) {
      await this.#quiet()
      if ((await this.clock.runDue()) === 0 && this.#isQuiet()) return
    }
    throw new Error(`network did not settle: ${this.describe()}`)
  }

  /** Runs virtual time forward until `predicate` holds; fails with a dump after `timeoutMs` of virtual time. */
  async waitFor(predicate: () => boolean, options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 60_000)
    for (;;) {
      await this.settle()
      if (predicate()) return
      const next = this.clock.nextDue()
      if (next === undefined || next > deadline) {
        throw new Error(`waitFor: condition not met by ${deadline} ms (virtual); ${this.describe()}`)
      }
      await this.clock.advanceToNext()
    }
  }

  /** A one-line diagnostic: nodes, their actors and mailbox depths, cut links, timers. */
  describe(): string {
    const nodes = [...this.#members.values()].filter((m) => m.alive).map((m) => {
      const procs = m.system.processes()
      const busy = procs.filter((p) => p.mailboxDepth > 0).map((p) => `${String(p.pid)}:${p.mailboxDepth}`)
      return `${m.name} (${procs.length} actors${busy.length > 0 ? `, mailboxes ${busy.join(' ')}` : ''})`
    })
    return `nodes [${nodes.join(', ')}], cut [${[...this.#cut].map((k) => k.replace('\u0000', '|')).join(', ')}], timers ${this.clock.pending}, now ${this.clock.now()}`
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const name of this.nodes()) await this.stop(name)
  }

  async #remove(name: string, reason: string): Promise<void> {
    const member = this.#members.get(name)
    if (member === undefined || !member.alive) return
    member.alive = false
    for (const other of this.#members.values()) {
      if (other === member) continue
      this.#link(name, other.name).queue.clear()
      this.#link(other.name, name).queue.clear()
      if (other.alive && !this.#isCut(name, other.name)) other.endpoint.nodeDown(name, reason)
    }
    const stopped = member.system.shutdown(reason === 'leaving' ? 'shutdown' : 'killed')
    // A crash waits for nothing: the node is already detached, and its actors stop in the background.
    if (reason !== 'leaving') return
    // A graceful stop may wait on shutdown timers (an actor that traps exits and ignores them): run virtual time.
    let done = false
    void stopped.then(() => (done = true))
    await this.settle()
    while (!done && (await this.clock.advanceToNext())) await this.settle()
    await stopped
  }

  #send(from: Member, to: string, control: ControlMessage): DistributionSendResult {
    if (!from.alive || !this.#connected(from.name, to)) return 'unreachable'
    const link = this.#link(from.name, to)
    if (link.drop > 0) {
      link.drop--
      return 'ok'
    }
    // Through the codec, as over the wire: what the receiver gets is a decoded copy.
    const copy = link.codec.decode(link.codec.encode(control)) as ControlMessage
    link.queue.push({ control: copy, due: this.clock.now() + link.delayMs })
    this.#schedule(from.name, to, link)
    return 'ok'
  }

  #schedule(from: string, to: string, link: Link): void {
    if (link.scheduled) return
    const head = link.queue.peek()
    if (head === undefined) return
    link.scheduled = true
    const run = (): void => {
      link.scheduled = false
      this.#flush(from, to, link)
    }
    if (head.due <= this.clock.now()) setImmediate(run)
    else this.clock.setTimeout(run, head.due - this.clock.now())
  }

  #flush(from: string, to: string, link: Link): void {
    const receiver = this.#members.get(to)
    const now = this.clock.now()
    let item: InFlight | undefined
    while ((item = link.queue.peek()) !== undefined && item.due <= now) {
      link.queue.shift()
      if (receiver?.alive !== true || !this.#connected(from, to)) continue
      const c = item.control
      if (c.type !== 'send') {
        deliverControl(receiver.endpoint, from, to, c)
        continue
      }
      // A run of sends to one pid, as the transport reads them from a batch: one deliverSends.
      const run = [c.msg]
      let next: InFlight | undefined
      while ((next = link.queue.peek()) !== undefined && next.due <= now && next.control.type === 'send' && next.control.to.equals(c.to)) {
        link.queue.shift()
        run.push(next.control.msg)
      }
      receiver.endpoint.deliverSends(c.to, run, 0, run.length)
    }
    this.#schedule(from, to, link)
  }

  #peersOf(member: Member): string[] {
    return [...this.#members.values()].filter((m) => m !== member && this.#connected(member.name, m.name)).map((m) => m.name)
  }

  #connected(a: string, b: string): boolean {
    return this.#members.get(a)?.alive === true && this.#members.get(b)?.alive === true && !this.#isCut(a, b)
  }

  #isCut(a: string, b: string): boolean {
    return this.#cut.has(pairKey(a, b))
  }

  #link(from: string, to: string): Link {
    const key = `${from}\u0000${to}`
    let link = this.#links.get(key)
    if (link === undefined) {
      link = new Link()
      this.#links.set(key, link)
    }
    return link
  }

  #isQuiet(): boolean {
    for (const m of this.#members.values()) if (m.alive && !m.system.isIdle()) return false
    const now = this.clock.now()
    for (const link of this.#links.values()) {
      const head = link.queue.peek()
      if (head !== undefined && head.due <= now) return false
    }
    return true
  }

  /** Lets actors and zero-delay links run until nothing is runnable without moving time. */
  async #quiet(): Promise<void> {
    let calm = 0
    for (let rounds = 0; rounds < 100_000 && calm < 2; rounds++) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      calm = this.#isQuiet() ? calm + 1 : 0
    }
  }
}

/**
 * Hands control message `c` from node `from` to node `to`'s endpoint by the path the transport would take: a call or
 * a reply by its fields when they allow it (the same conditions as the transport's wire form), else as the object.
 */
function deliverControl(endpoint: DistributionEndpoint, from: string, to: string, c: ControlMessage): void {
  if (c.type === 'call' && isCompactCall(c.to, c.port, c.ref, from, to)) {
    const callee = c.to
    endpoint.deliverCall(from, typeof callee === 'string' ? callee : callee.id, typeof callee === 'string' ? null : callee.creation, c.port.id, c.ref.id, c.ref.creation, c.request)
  } else if (c.type === 'reply' && c.to.node === to && c.ref.node === to && c.ref.creation === c.to.creation) {
    endpoint.deliverReply(c.to.id, c.ref.id, c.to.creation, c.value, c.released)
  } else {
    endpoint.deliver(from, c)
  }
}

/** A call whose reply port and ref are the caller's, of one incarnation, to a pid or name of the callee's node. */
function isCompactCall(callee: Pid | string, port: Pid, ref: { node: string; creation: number }, from: string, to: string): boolean {
  return port.node === from && ref.node === from && ref.creation === port.creation && (typeof callee === 'string' || callee.node === to)
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
}

/** Creates an in-memory network. */
export function createNetwork(options?: NetworkOptions): InMemoryNetwork {
  return new InMemoryNetwork(options)
}
