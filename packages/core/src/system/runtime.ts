/**
 * Runtime: the implementation of ActorSystem. It owns the process table, routes every message and signal (locally,
 * or as control messages through the Distribution), and carries out an actor's exit: links, monitors, names,
 * timers. Spawning, calls and remote control handling live here; the actors' own behaviour lives in actor.ts and
 * its two subclasses.
 *
 * Hot path: `route` (every send) and `deliverControl` (every remote message).
 */
import type { Logger } from 'pino'
import type { Address, From, SpawnOptions } from '../actor/ctx.ts'
import type { Behaviour } from '../actor/behaviour.ts'
import { isProcessFunction } from '../actor/behaviour.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { ProcessFunction } from '../actor/process-function.ts'
import type { Clock } from '../clock.ts'
import { assertSerializable, createMessageCodec } from '../codec.ts'
import type { MessageCodec } from '../codec.ts'
import type { ControlMessage } from '../distribution/control-message.ts'
import type { Distribution, DistributionEndpoint, DistributionSendResult } from '../distribution/distribution.ts'
import { CohortError, StartFailedError, describeValue } from '../errors.ts'
import { isExpectedExit } from '../exit-reason.ts'
import { IdTable } from '../internal/id-table.ts'
import { internNodeName } from '../node-names.ts'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { Down, MonitorTarget } from '../signals.ts'
import type { TraceObserver, TraceRecord } from '../trace.ts'
import { Actor, ActorStatus } from './actor.ts'
import type { ActorSystem, GlobalResolver, NodeEvent, ProcessInfo, SystemStats } from './actor-system.ts'
import { Calls } from './calls.ts'
import { Definitions } from './definitions.ts'
import { Port } from './port.ts'
import { callReply } from './call-messages.ts'
import { HeldMonitors } from './held-monitors.ts'
import { defaultLimits, resolveMailboxLimits } from './mailbox-pressure.ts'
import type { MailboxLimits } from './mailbox-pressure.ts'
import type { Process } from './process.ts'
import { ProcessActor } from './process-actor.ts'
import { Registry } from './registry.ts'
import { RemoteDelivery } from './remote-delivery.ts'
import { Scheduler } from './scheduler.ts'
import { ServerActor } from './server-actor.ts'
import { resolveActorSystemOptions } from './system-options.ts'
import type { ActorSystemOptions, ResolvedActorSystemOptions } from './system-options.ts'
import { Timers } from './timers.ts'

/** How long `shutdown` waits for each top-level actor before killing it. */
const SHUTDOWN_WAIT_MS = 5000

export class Runtime implements ActorSystem {
  readonly options: ResolvedActorSystemOptions
  readonly node: string
  readonly creation: number
  readonly clock: Clock
  readonly logger: Logger
  readonly scheduler: Scheduler
  readonly timers: Timers
  readonly registry = new Registry()
  readonly definitions = new Definitions()
  readonly counters = { spawned: 0, exited: 0, messagesDelivered: 0, deadLetters: 0 }
  /** The pseudo-process that is the parent of actors spawned from outside any actor. */
  readonly systemPid: Pid
  readonly calls: Calls
  /** The mailbox limits of an actor spawned without mailbox options (one shared object). */
  readonly defaultMailboxLimits: MailboxLimits
  tracing = false
  /** Actors by pid id. Not a Map, for the reason the ports are not (id-table.ts): spawn and exit churn. */
  readonly #procs = new IdTable<Actor>()
  /**
   * Ports by pid id, apart from the actors: a port lives for one call, and its churn fills a table with tombstones
   * until the table is rebuilt, moving every entry. Apart, that is a table of the calls in flight, not of a million
   * actors (a Map rehashed the same way: about 100 ms for a million actors, every million calls).
   */
  readonly #ports = new IdTable<Port>()
  #nextId = 1
  #nextRef = 1
  #observers: TraceObserver[] = []
  #nodeListeners: { listener: (event: NodeEvent) => void; hidden: boolean }[] = []
  /** Connected nodes whose connection is hidden (outside the mesh). */
  readonly #hiddenNodes = new Set<string>()
  #distribution: Distribution | undefined = undefined
  #globalResolver: GlobalResolver | undefined = undefined
  readonly #strictCodec: MessageCodec | undefined
  #shutdown: Promise<void> | undefined = undefined

  constructor(input?: ActorSystemOptions) {
    const o = resolveActorSystemOptions(input)
    this.options = o
    // The same string as every decoded pid of this node, so `to.node === this.node` compares pointers.
    this.node = internNodeName(o.node)
    this.creation = o.creation
    this.clock = o.clock
    this.logger = o.logger
    this.scheduler = new Scheduler(o.clock, o.messagesPerTurn, o.timeSliceMs)
    this.timers = new Timers(this)
    this.calls = new Calls(this)
    this.systemPid = new Pid(this.node, 0, this.creation)
    this.defaultMailboxLimits = defaultLimits(o.mailboxHighWaterMessages, o.mailboxHighWaterBytes)
    this.#strictCodec = o.strictMessages ? createMessageCodec() : undefined
  }

  // ---- identity ------------------------------------------------------------------------------------------------

  makePid(): Pid {
    return new Pid(this.node, this.#nextId++, this.creation)
  }

  makeRef(): Ref {
    return new Ref(this.node, this.#nextRef++, this.creation)
  }

  isLocal(pid: Pid): boolean {
    return pid.node === this.node
  }

  /** The live local process of `pid`, if any (a pid of an earlier incarnation has none). */
  lookup(pid: Pid): Process | undefined {
    if (pid.node !== this.node || pid.creation !== this.creation) return undefined
    return this.#procs.get(pid.id) ?? this.#ports.get(pid.id)
  }

  /** The actor with pid id `id` of this node's current incarnation, if alive (the caller checked the incarnation). */
  actorById(id: number): Actor | undefined {
    return this.#procs.get(id)
  }

  /** The port with pid id `id`, as `actorById`. */
  portById(id: number): Port | undefined {
    return this.#ports.get(id)
  }

  addPort(port: Port): void {
    this.#ports.set(port.pid.id, port)
  }

  removePort(port: Port): void {
    port.alive = false
    this.#ports.delete(port.pid.id)
  }

  // ---- spawning ------------------------------------------------------------------------------------------------

  spawn<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid {
    return this.spawnFrom(undefined, behaviour, args, options)
  }

  start<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Promise<Pid> {
    return this.startFrom(undefined, behaviour, args, options)
  }

  spawnFrom<A>(parent: Actor | undefined, behaviour: Behaviour<A> | string, args: A | undefined, options: SpawnOptions | undefined): Pid {
    return this.#create(parent, behaviour, args, options).pid
  }

  startFrom<A>(parent: Actor | undefined, behaviour: Behaviour<A> | string, args: A | undefined, options: SpawnOptions | undefined): Promise<Pid> {
    return new Promise<Pid>((resolve, reject) => {
      const actor = this.#create(parent, behaviour, args, options, (failure) => {
        if (failure === undefined) resolve(actor.pid)
        else reject(new StartFailedError(`${actor.behaviourName} ${String(actor.pid)}`, failure))
      })
    })
  }

  #create(
    parent: Actor | undefined,
    behaviour: Behaviour | string,
    args: unknown,
    options: SpawnOptions | undefined,
    onStarted?: (failure: unknown) => void,
  ): Actor {
    if (this.#shutdown !== undefined) {
      throw new CohortError('COHORT_ERR_SYSTEM_STOPPED', `cannot spawn on ${this.node}: the system has shut down`)
    }
    let name: string
    let version = 0
    let b: Behaviour
    if (typeof behaviour === 'string') {
      const def = this.definitions.require(behaviour)
      b = def.behaviour
      name = behaviour
      version = def.version
    } else {
      b = behaviour
      name = isProcessFunction(b) ? b.name || 'process' : (b.name ?? 'server')
    }
    const pid = this.makePid()
    const parentPid = parent?.pid ?? this.systemPid
    const actor = isProcessFunction(b)
      ? new ProcessActor(this, pid, parentPid, b as ProcessFunction, args, name)
      : new ServerActor(this, pid, parentPid, b as ServerBehaviour, args, name, version)
    if (options?.maxMailbox !== undefined || options?.mailboxOverflow !== undefined) {
      actor.limits = resolveMailboxLimits(options.maxMailbox, options.mailboxOverflow, this.options.mailboxHighWaterMessages, this.options.mailboxHighWaterBytes)
    }
    actor.onStarted = onStarted
    this.#procs.set(pid.id, actor)
    this.counters.spawned++
    if (options?.name !== undefined) {
      try {
        this.registry.register(options.name, actor)
      } catch (error) {
        this.#procs.delete(pid.id)
        throw error
      }
    }
    if (options?.link === true && parent !== undefined) {
      ;(parent.links ??= new Map()).set(pid.key, pid)
      ;(actor.links ??= new Map()).set(parent.pid.key, parent.pid)
      if (this.tracing) this.emitTrace({ type: 'link', from: parent.pid, to: pid })
    }
    if (this.tracing) this.emitTrace({ type: 'spawn', pid, parent: parent?.pid, behaviour: name })
    actor.start()
    return actor
  }

  spawnOn(node: string, behaviour: string, args: unknown, linkTo?: Actor): Promise<Pid> {
    if (node === this.node) {
      return linkTo !== undefined ? Promise.resolve(linkTo.spawnLink(behaviour, args)) : Promise.resolve(this.spawn(behaviour, args))
    }
    return this.calls.spawnRemote(node, behaviour, args, linkTo)
  }

  define(name: string, behaviour: Behaviour): void {
    this.definitions.define(name, behaviour)
  }

  upgrade(name: string, behaviour: ServerBehaviour, extra?: unknown): void {
    this.definitions.upgrade(name, behaviour, extra)
    // Idle actors switch at their next message; nothing to wake.
  }

  definition(name: string): ReturnType<Definitions['get']> {
    return this.definitions.get(name)
  }

  definitionVersion(name: string): number {
    return this.definitions.get(name)?.version ?? 0
  }

  traceCodeChange(actor: Actor, fromVersion: number, toVersion: number, error: unknown): void {
    if (this.tracing) this.emitTrace({ type: 'codeChange', pid: actor.pid, behaviour: actor.behaviourName, fromVersion, toVersion, error })
  }

  // ---- messages ------------------------------------------------------------------------------------------------

  send(to: Address, msg: unknown): void {
    this.route(to, msg, undefined)
  }

  cast(to: Address, request: unknown): void {
    this.route(to, { $cohort: 'cast', request }, undefined)
  }

  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number, from?: Actor): Promise<R> {
    return this.calls.call<R>(to, request, timeoutMs ?? this.options.defaultCallTimeoutMs, from)
  }

  /** Sends `msg` to `to` on behalf of `sender` (undefined outside actors). Never throws for a dead target. */
  route(to: Address, msg: unknown, sender: Actor | undefined): void {
    if (this.#strictCodec !== undefined) {
      assertSerializable(msg)
      msg = this.#strictCodec.decode(this.#strictCodec.encode(msg))
    }
    if (this.tracing) this.emitTrace({ type: 'send', from: sender?.pid, to, msg })
    if (sender !== undefined) sender.reductions++
    if (to instanceof Pid) {
      if (to.node === this.node) {
        const proc = this.lookup(to)
        if (proc === undefined) this.deadLetter(to, msg, 'noproc')
        else proc.deliver(msg)
      } else {
        // The commonest remote message skips the control object when the distribution offers a direct path.
        const dist = this.#distribution
        const from = sender?.pid
        const result =
          dist === undefined
            ? 'unreachable'
            : dist.sendMessage !== undefined
              ? dist.sendMessage(to, from, msg)
              : dist.send(to.node, { type: 'send', to, from, msg })
        this.#sent(result, to.node, sender, to, msg)
      }
      return
    }
    if (typeof to === 'string') {
      const actor = this.registry.get(to)
      if (actor === undefined) this.deadLetter(to, msg, 'noproc')
      else actor.deliver(msg)
      return
    }
    if (typeof to === 'object' && to !== null) {
      if ('global' in to) {
        const pid = this.#globalResolver?.(to.global)
        if (pid === undefined) this.deadLetter(to, msg, 'noproc')
        else this.route(pid, msg, sender)
        return
      }
      if (to.node === this.node) {
        this.route(to.name, msg, sender)
        return
      }
      this.#remote(to.node, { type: 'sendName', name: to.name, from: sender?.pid, msg }, sender, to, msg)
      return
    }
    this.deadLetter(to, msg, 'noproc')
  }

  #remote(node: string, control: ControlMessage, sender: Actor | undefined, to: unknown, msg: unknown): void {
    const dist = this.#distribution
    if (dist === undefined) {
      this.deadLetter(to, msg, 'unreachable')
      return
    }
    this.#sent(dist.send(node, control), node, sender, to, msg)
  }

  /**
   * Sends a call to a remote `target` as one `call` control message, when the distribution carries them
   * (`compactCalls`) and no tracer needs to see the request as a message of its own; false when it did not. `port`
   * then holds the monitor `ref`, as `monitorFrom` would have set it up.
   */
  callRemote(port: Port, target: MonitorTarget, ref: Ref, request: unknown, sender: Actor | undefined): boolean {
    const dist = this.#compactCalls()
    if (dist === undefined || typeof target !== 'object') return false
    const node = target.node
    if (node === this.node) return false
    if (this.#strictCodec !== undefined) assertSerializable(request)
    const to = target instanceof Pid ? target : target.name
    port.monitors.add({ ref, target, node, pid: undefined })
    if (sender !== undefined) sender.reductions++
    let result: DistributionSendResult
    try {
      result = dist.send(node, { type: 'call', to, port: port.pid, ref, request, from: sender?.pid })
    } catch (error) {
      port.monitors.delete(ref) // nothing was sent: there is no monitor to cancel
      throw error
    }
    if (result === 'unreachable') this.#fireSoon(port, ref, target, 'noconnection')
    this.#sent(result, node, sender, target, request)
    return true
  }

  /**
   * `sender` replies `value` to the call `from`. To another node over a distribution with `compactCalls`, the reply
   * also removes the call's monitor of `sender` (when `sender` is the actor the call monitored), so the caller need
   * not send a `demonitor`.
   */
  reply(sender: Actor, from: From, value: unknown): void {
    const to = from.pid
    const dist = this.#compactCalls()
    if (dist !== undefined && to instanceof Pid && to.node !== this.node && from.ref instanceof Ref) {
      if (this.#strictCodec !== undefined) assertSerializable(value)
      const ref = from.ref
      const watcher = sender.watchers?.get(ref)
      const released = watcher !== undefined && watcher.byCall && watcher.watcher.equals(to)
      sender.reductions++
      const result = dist.send(to.node, { type: 'reply', to, ref, value, released, from: sender.pid })
      if (released) sender.watchers?.delete(ref)
      this.#sent(result, to.node, sender, to, value)
      return
    }
    this.route(to, callReply(from.ref, value), sender)
  }

  /** The distribution, when calls and replies may go as `call` and `reply` messages: it carries them, and no tracer
   * needs to see a call's request and reply as sends of their own. */
  #compactCalls(): Distribution | undefined {
    const dist = this.#distribution
    return dist?.compactCalls === true && !this.tracing ? dist : undefined
  }

  /** Acts on what the distribution did with a message to `node`: pauses a sender on 'busy', drops on 'unreachable'. */
  #sent(result: DistributionSendResult, node: string, sender: Actor | undefined, to: unknown, msg: unknown): void {
    if (result === 'busy') {
      if (sender !== undefined && this.#distribution !== undefined) this.pause(sender, this.#distribution.drain(node))
    } else if (result === 'unreachable') {
      this.deadLetter(to, msg, 'unreachable')
    }
  }

  /** Backpressure: `actor` takes no message until `drained` resolves (and `ctx.drain()` waits for it). */
  pause(actor: Actor, drained: Promise<void>): void {
    if (actor.paused) return
    actor.paused = true
    const resume = (): void => {
      actor.paused = false
      actor.drained = null
      if (actor.status !== ActorStatus.dead && actor.mailboxDepth > 0) this.scheduler.enqueue(actor)
    }
    actor.drained = drained.then(resume, resume)
  }

  /**
   * Sends a control message for a signal (link, monitor, exit...), in order after what `sender` sent before (see
   * `Distribution.send`). Returns false if the node is unreachable.
   */
  control(node: string, control: ControlMessage, sender?: Pid): boolean {
    const dist = this.#distribution
    if (dist === undefined) return false
    return (sender === undefined ? dist.send(node, control) : dist.send(node, control, sender)) !== 'unreachable'
  }

  deadLetter(to: unknown, msg: unknown, reason: 'noproc' | 'unreachable' | 'stopped' | 'overflow'): void {
    this.counters.deadLetters++
    if (this.tracing) this.emitTrace({ type: 'deadLetter', to, msg, reason })
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ to: String(to), reason }, 'dead letter')
  }

  // ---- links, monitors, exits ----------------------------------------------------------------------------------

  link(actor: Actor, pid: Pid): void {
    if (pid.equals(actor.pid)) return
    if (this.tracing) this.emitTrace({ type: 'link', from: actor.pid, to: pid })
    if (this.isLocal(pid)) {
      const target = this.lookup(pid)
      if (target === undefined || !target.linkedBy(actor.pid)) {
        actor.exitSignal(pid, 'noproc', true)
        return
      }
      ;(actor.links ??= new Map()).set(pid.key, pid)
      return
    }
    ;(actor.links ??= new Map()).set(pid.key, pid)
    if (!this.control(pid.node, { type: 'link', from: actor.pid, to: pid })) actor.exitSignal(pid, 'noconnection', true)
  }

  unlink(actor: Actor, pid: Pid): void {
    if (actor.links === null || !actor.links.delete(pid.key)) return
    if (this.tracing) this.emitTrace({ type: 'unlink', from: actor.pid, to: pid })
    if (this.isLocal(pid)) this.lookup(pid)?.unlinkedBy(actor.pid)
    else this.control(pid.node, { type: 'unlink', from: actor.pid, to: pid })
  }

  monitor(watcher: Actor | Port, target: MonitorTarget): Ref
  monitor(target: MonitorTarget, onDown: (down: Down) => void): Ref
  monitor(a: Actor | Port | MonitorTarget, b: MonitorTarget | ((down: Down) => void)): Ref {
    if (typeof b === 'function') return this.calls.watch(a as MonitorTarget, b)
    return this.monitorFrom(a as Actor | Port, b)
  }

  monitorFrom(watcher: Actor | Port, target: MonitorTarget): Ref {
    const ref = this.makeRef()
    let node: string
    let local: Process | undefined
    let remoteTo: Pid | string | undefined
    if (target instanceof Pid) {
      node = target.node
      if (node === this.node) local = this.lookup(target)
      else remoteTo = target
    } else if (typeof target === 'string') {
      node = this.node
      local = this.registry.get(target)
    } else {
      node = target.node
      if (node === this.node) local = this.registry.get(target.name)
      else remoteTo = target.name
    }
    const held = { ref, target, node, pid: local?.pid }
    const monitors = watcher instanceof Actor ? (watcher.monitors ??= new HeldMonitors()) : watcher.monitors
    monitors.add(held)
    if (remoteTo !== undefined) {
      if (!this.control(node, { type: 'monitor', from: watcher.pid, to: remoteTo, ref })) {
        this.#fireSoon(watcher, ref, target, 'noconnection')
      }
    } else if (local === undefined || !local.watchedBy(ref, watcher.pid, target)) {
      this.#fireSoon(watcher, ref, target, 'noproc')
    }
    return ref
  }

  /** Delivers a Down for a monitor that could not be set up, never on the caller's stack for ports. */
  #fireSoon(watcher: Actor | Port, ref: Ref, target: MonitorTarget, reason: string): void {
    if (watcher instanceof Actor) watcher.down(ref, target, reason)
    else queueMicrotask(() => watcher.down(ref, target, reason))
  }

  demonitor(watcher: Actor | Port | Ref, ref?: Ref): void {
    if (watcher instanceof Ref) {
      this.calls.unwatch(watcher)
      return
    }
    const monitors = watcher instanceof Actor ? watcher.monitors : watcher.monitors
    const held = monitors?.get(ref!)
    if (held === undefined) return
    monitors!.delete(ref!)
    if (held.node === this.node) {
      if (held.pid !== undefined) this.lookup(held.pid)?.unwatchedBy(held.ref)
    } else {
      const to = held.target instanceof Pid ? held.target : typeof held.target === 'object' ? held.target.name : held.target
      this.control(held.node, { type: 'demonitor', from: watcher.pid, to, ref: held.ref })
    }
  }

  exit(pid: Pid, reason: unknown, from: Pid = this.systemPid): void {
    if (this.isLocal(pid)) this.lookup(pid)?.exitSignal(from, reason, false)
    else this.control(pid.node, { type: 'exit', from, to: pid, reason, link: false })
  }

  /** Ends `actor` with `reason` now: it leaves the table, its links and monitors fire, its timers stop. */
  die(actor: Actor, reason: unknown): void {
    if (actor.status === ActorStatus.dead) return
    actor.status = ActorStatus.dead
    actor.cleanup()
    this.#procs.delete(actor.pid.id)
    this.counters.exited++
    if (actor.name !== undefined) this.registry.unregister(actor.name)
    if (actor.timers !== null) for (const key of actor.timers) this.timers.cancelKey(key)
    actor.mailbox = null
    actor.relieve()
    const started = actor.onStarted
    actor.onStarted = undefined
    started?.(reason)
    const linkReason = reason === 'kill' ? 'killed' : reason
    if (actor.links !== null) {
      for (const pid of actor.links.values()) {
        if (this.isLocal(pid)) this.lookup(pid)?.exitSignal(actor.pid, linkReason, true)
        else this.control(pid.node, { type: 'exit', from: actor.pid, to: pid, reason: linkReason, link: true })
      }
    }
    if (actor.watchers !== null) {
      for (const w of actor.watchers.list()) this.#sendDown(actor.pid, w.watcher, w.ref, w.as, linkReason)
    }
    if (actor.monitors !== null) {
      for (const held of actor.monitors.list()) this.demonitor(actor, held.ref)
    }
    if (this.tracing) this.emitTrace({ type: 'exit', pid: actor.pid, reason: linkReason })
    if (isExpectedExit(reason) && this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ pid: String(actor.pid), reason: describeValue(reason) }, 'actor exited')
    }
  }

  /** The Down of `dying` for one watcher; to another node it follows `dying`'s last messages even when monitored by name. */
  #sendDown(dying: Pid, watcher: Pid, ref: Ref, as: MonitorTarget, reason: unknown): void {
    if (this.tracing) this.emitTrace({ type: 'down', watcher, target: as, reason })
    if (this.isLocal(watcher)) this.lookup(watcher)?.down(ref, as, reason)
    else this.control(watcher.node, { type: 'down', from: as instanceof Pid ? as : typeof as === 'string' ? as : as.name, to: watcher, ref, reason }, dying)
  }

  // ---- names ---------------------------------------------------------------------------------------------------

  register(name: string, pid: Pid): void {
    const proc = this.lookup(pid)
    if (!(proc instanceof Actor) || !proc.alive) {
      throw new CohortError(this.isLocal(pid) ? 'COHORT_ERR_NOPROC' : 'COHORT_ERR_NOT_LOCAL', `cannot register ${JSON.stringify(name)}: ${String(pid)} is not a live local actor`)
    }
    this.registry.register(name, proc)
  }

  unregister(name: string): void {
    this.registry.unregister(name)
  }

  whereis(name: string): Pid | undefined {
    return this.registry.get(name)?.pid
  }

  registered(): string[] {
    return this.registry.names()
  }

  isAlive(pid: Pid): boolean {
    const proc = this.lookup(pid)
    return proc instanceof Actor && proc.alive
  }

  resolveGlobal(name: string): Pid | undefined {
    return this.#globalResolver?.(name)
  }

  setGlobalResolver(resolver: GlobalResolver): void {
    this.#globalResolver = resolver
  }

  // ---- distribution --------------------------------------------------------------------------------------------

  attachDistribution(distribution: Distribution): DistributionEndpoint {
    this.#distribution = distribution
    const remote = new RemoteDelivery(this)
    return {
      deliver: (fromNode, control, bytes) => remote.deliver(fromNode, control, bytes),
      deliverSends: (to, msgs, start, end, bytes) => remote.deliverSends(to, msgs, start, end, bytes),
      deliverCall: (fromNode, to, toCreation, portId, refId, creation, request, bytes) =>
        remote.deliverCall(fromNode, to, toCreation, portId, refId, creation, request, bytes),
      deliverReply: (toId, refId, creation, value, released) => remote.deliverReply(toId, refId, creation, value, released),
      nodeUp: (node, info) => {
        const hidden = info?.hidden === true
        if (hidden) this.#hiddenNodes.add(node)
        else this.#hiddenNodes.delete(node)
        this.#nodeEvent({ type: 'nodeup', node, hidden })
      },
      nodeDown: (node, reason) => this.#nodeDown(node, reason),
    }
  }

  nodes(): string[] {
    return this.#distribution?.nodes() ?? []
  }

  monitorNodes(listener: (event: NodeEvent) => void, options?: { hidden?: boolean }): () => void {
    const entry = { listener, hidden: options?.hidden === true }
    this.#nodeListeners = [...this.#nodeListeners, entry]
    return () => {
      this.#nodeListeners = this.#nodeListeners.filter((l) => l !== entry)
    }
  }

  #nodeEvent(event: NodeEvent): void {
    if (this.tracing) this.emitTrace(event.type === 'nodeup' ? { type: 'nodeup', node: event.node } : { type: 'nodedown', node: event.node, reason: event.reason })
    for (const { listener, hidden } of this.#nodeListeners) {
      if (event.hidden && !hidden) continue
      try {
        listener(event)
      } catch (error) {
        this.logger.error({ err: error }, 'node event listener threw')
      }
    }
  }

  #nodeDown(node: string, reason: string): void {
    for (const proc of this.#procs.values()) proc.nodeDown(node)
    for (const port of this.#ports.values()) port.nodeDown(node)
    this.calls.nodeDown(node)
    const hidden = this.#hiddenNodes.delete(node)
    this.#nodeEvent({ type: 'nodedown', node, reason, hidden })
  }

  // ---- observation ---------------------------------------------------------------------------------------------

  trace(observer: TraceObserver): () => void {
    this.#observers = [...this.#observers, observer]
    this.tracing = true
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer)
      this.tracing = this.#observers.length > 0
    }
  }

  emitTrace(record: TraceRecord): void {
    for (const observer of this.#observers) {
      try {
        observer(record)
      } catch (error) {
        this.logger.error({ err: error }, 'trace observer threw')
      }
    }
  }

  processes(): ProcessInfo[] {
    const out: ProcessInfo[] = []
    for (const proc of this.#actorsInSpawnOrder()) {
      out.push({
        pid: proc.pid,
        name: proc.name,
        behaviour: proc.behaviourName,
        mailboxDepth: proc.mailboxDepth,
        links: proc.links?.size ?? 0,
        monitors: proc.monitors?.size ?? 0,
        monitoredBy: proc.watchers?.size ?? 0,
        trapExit: proc.trapping,
      })
    }
    return out
  }

  /** Every actor, oldest first (pid ids are handed out in order; the table keeps none). */
  #actorsInSpawnOrder(): Actor[] {
    return this.#procs.values().sort((a, b) => a.pid.id - b.pid.id)
  }

  stats(): SystemStats {
    return { actors: this.#procs.size, runQueue: this.scheduler.length, ...this.counters }
  }

  isIdle(): boolean {
    return this.scheduler.isIdle()
  }

  whenIdle(): Promise<void> {
    return this.scheduler.whenIdle()
  }

  // ---- shutdown ------------------------------------------------------------------------------------------------

  shutdown(reason: unknown = 'shutdown'): Promise<void> {
    this.#shutdown ??= this.#stopAll(reason)
    return this.#shutdown
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }

  async #stopAll(reason: unknown): Promise<void> {
    // Top-level actors in reverse spawn order; each stops its own subtree (a supervisor stops its children).
    const topLevel = this.#actorsInSpawnOrder()
      .filter((p) => p.parent === undefined || p.parent.equals(this.systemPid) || this.lookup(p.parent) === undefined)
      .reverse()
    for (const actor of topLevel) {
      if (!actor.alive) continue
      await this.stopProcess(actor.pid, reason, SHUTDOWN_WAIT_MS)
    }
    for (const actor of this.#procs.values()) this.die(actor, 'killed')
    this.calls.stopAll()
    this.timers.cancelAll()
  }

  /**
   * Sends `pid` an exit signal with `reason` from `from` and resolves when it has ended; after `timeoutMs`
   * (if given) it is killed. How supervisors and shutdown stop a process.
   */
  stopProcess(pid: Pid, reason: unknown, timeoutMs: number | undefined, from: Pid = this.systemPid): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: unknown
      this.calls.watch(pid, () => {
        if (timer !== undefined) this.clock.clearTimeout(timer)
        resolve()
      })
      if (timeoutMs !== undefined) timer = this.clock.setTimeout(() => this.exit(pid, 'kill', from), timeoutMs)
      this.exit(pid, reason, from)
    })
  }
}

