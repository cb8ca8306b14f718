/**
 * ActorSystem: one per Node process (one node). The interface users hold, and its implementation: a facade over the
 * narrow parts of this folder, each owning one concept and depending only on the parts below it:
 *
 *   process-table   identity (pids, refs), the actors and callback processes by pid, dead letters
 *   registry        local names                      definitions   behaviours defined by name
 *   router          every send: local mailboxes, the Distribution, backpressure
 *   links-and-monitors   every signal, local or remote, one path
 *   calls, remote-spawn  request and reply over callback processes; spawnOn
 *   timers, lifecycle    sendAfter; an actor's birth and death
 *   system-shutdown      stopping one process, and the whole system
 *   node-membership      nodeup and nodedown, for listeners
 *   remote-delivery      the one inbound path from a distribution (the DistributionEndpoint)
 *
 * Only this file knows every part; no part imports it. Actors reach their node through `ActorHost` (actor.ts), which
 * the facade assembles from the parts.
 */
import type { Logger } from 'pino'
import type { Address, SpawnOptions } from '../actor/ctx.ts'
import type { Behaviour } from '../actor/behaviour.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { Clock } from '../clock.ts'
import { createMessageCodec } from '../codec.ts'
import type { Distribution, DistributionEndpoint } from '../distribution/distribution.ts'
import { CohortError, InvalidOptionError } from '../errors.ts'
import { internNodeName } from '../node-name.ts'
import type { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { Down, MonitorTarget } from '../signals.ts'
import type { TraceObserver } from '../trace.ts'
import type { ActorHost } from './actor.ts'
import { Calls } from './calls.ts'
import { Definitions } from './definitions.ts'
import { Lifecycle } from './lifecycle.ts'
import { LinksAndMonitors } from './links-and-monitors.ts'
import { defaultLimits } from './mailbox-pressure.ts'
import { NodeMembership } from './node-membership.ts'
import type { NodeEvent } from './node-membership.ts'
import { ProcessTable } from './process-table.ts'
import { Registry } from './registry.ts'
import { RemoteDelivery } from './remote-delivery.ts'
import type { InboundCounts } from './remote-delivery.ts'
import { RemoteSpawn } from './remote-spawn.ts'
import { Router } from './router.ts'
import type { GlobalResolver } from './router.ts'
import { Scheduler } from './scheduler.ts'
import type { ProcessInfo, RestartEvent, SystemStats } from './system-stats.ts'
import { Restarts } from './restarts.ts'
import { SystemShutdown } from './system-shutdown.ts'
import { resolveActorSystemOptions } from './system-options.ts'
import type { ActorSystemOptions, ResolvedActorSystemOptions } from './system-options.ts'
import { Timers } from './timers.ts'
import { Tracer } from './tracer.ts'

export type { ProcessInfo, SystemStats, NodeEvent, GlobalResolver, RestartEvent }

/** One node's actors. */
export interface ActorSystem extends AsyncDisposable {
  /** This node's name. */
  readonly node: string
  /** This node's incarnation. */
  readonly creation: number
  readonly clock: Clock
  readonly logger: Logger
  /**
   * Spawns an actor from a behaviour, a process function, or the name of a defined behaviour. Returns at once;
   * `init` runs on the scheduler.
   * @example
   * const counter = system.spawn({ init: () => 0, handleCall: (_req, _from, n) => ({ reply: n + 1, state: n + 1 }) })
   * await system.call(counter, 'next') // 1
   */
  spawn<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid
  /** Spawns and resolves once `init` succeeded. @throws StartFailedError (COHORT_ERR_START_FAILED) if init failed */
  start<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Promise<Pid>
  /** Spawns a defined behaviour on another node. */
  spawnOn(node: string, behaviour: string, args?: unknown): Promise<Pid>
  /** Sends `msg`; a dead or unknown target makes a dead letter, never a throw. */
  send(to: Address, msg: unknown): void
  /**
   * Calls `to` and resolves with its reply.
   * @throws CallTimeoutError, NoProcError, NoConnectionError, CalleeExitedError (as rejections)
   */
  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number): Promise<R>
  cast(to: Address, request: unknown): void
  /** Sends an exit signal to `pid` (`'kill'` cannot be trapped). */
  exit(pid: Pid, reason: unknown): void
  /** Registers a local actor under `name`. @throws CohortError (COHORT_ERR_NAME_TAKEN) */
  register(name: string, pid: Pid): void
  unregister(name: string): void
  whereis(name: string): Pid | undefined
  registered(): string[]
  isAlive(pid: Pid): boolean
  /** Calls `onDown` once when `target` ends (or at once with 'noproc'); returns the monitor's ref. */
  monitor(target: Pid | string | { name: string; node: string }, onDown: (down: Down) => void): Ref
  demonitor(ref: Ref): void
  /** Registers a behaviour under a name, so other nodes can spawn it and it can be upgraded. */
  define(name: string, behaviour: Behaviour): void
  /** Replaces a defined server behaviour; running actors switch at their next message via `codeChange`. */
  upgrade(name: string, behaviour: ServerBehaviour, extra?: unknown): void
  /** Observes trace records; returns a function that stops observing. */
  trace(observer: TraceObserver): () => void
  /**
   * Observes nodeup/nodedown of the mesh (with `{ hidden: true }`, of hidden connections too, as Erlang's
   * `net_kernel:monitor_nodes(true, [{node_type, all}])`); returns a function that stops observing.
   */
  monitorNodes(listener: (event: NodeEvent) => void, options?: { hidden?: boolean }): () => void
  /**
   * Observes every child restart by this system's supervisors, without turning tracing on (the observer's event
   * feed, restart metrics); returns a function that stops observing.
   */
  monitorRestarts(listener: (event: RestartEvent) => void): () => void
  /** The connected nodes. */
  nodes(): string[]
  /** Every actor of this node, oldest first. */
  processes(): ProcessInfo[]
  stats(): SystemStats
  /** Waits until no actor has work queued (for tests and tools). */
  whenIdle(): Promise<void>
  isIdle(): boolean
  /** Stops every actor (children before parents, in reverse spawn order), then the system. Idempotent. */
  shutdown(reason?: unknown): Promise<void>
}

/** Creates the actor system of this node. @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) */
export function createActorSystem(options?: ActorSystemOptions): ActorSystem {
  return new Runtime(options)
}

/**
 * Connects `system` to other nodes through `distribution` (the transport, or the in-memory network); returns the
 * endpoint the distribution hands what arrives to. For distributions only: exported by `@cohort/core/distribution`.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) when `system` was not made by `createActorSystem`
 */
export function attachDistribution(system: ActorSystem, distribution: Distribution): DistributionEndpoint {
  return runtimeOf(system, 'attachDistribution').attachDistribution(distribution)
}

/** How many times each inbound path of `system` was taken (for the Distribution contract suite). */
export function inboundCounts(system: ActorSystem): Readonly<InboundCounts> {
  return { ...runtimeOf(system, 'inboundCounts').endpoint.counts }
}

/** Installs the resolver of `{ global: name }` addresses (the `global` cluster service does). Internal to core. */
export function installGlobalResolver(system: ActorSystem, resolver: GlobalResolver): void {
  runtimeOf(system, 'installGlobalResolver').router.globalResolver = resolver
}

/**
 * Writes what is queued for `node` now, when the distribution can (`Distribution.flush`); otherwise it leaves at the
 * end of the event loop's pass as always. Internal to core: the replicated map's `flush`.
 */
export function flushDistribution(system: ActorSystem, node: string): void {
  if (system instanceof Runtime) system.router.distribution?.flush?.(node)
}

/** The largest message the distribution sends (`Distribution.maxMessageBytes`), when it says. Internal to core. */
export function distributionMaxMessageBytes(system: ActorSystem): number | undefined {
  return system instanceof Runtime ? system.router.distribution?.maxMessageBytes : undefined
}

function runtimeOf(system: ActorSystem, what: string): Runtime {
  if (system instanceof Runtime) return system
  throw new InvalidOptionError(`${what}(system)`, system, 'an ActorSystem made by createActorSystem')
}

/** The facade: one ActorSystem, assembled from its parts. */
class Runtime implements ActorSystem {
  readonly options: ResolvedActorSystemOptions
  readonly node: string
  readonly creation: number
  readonly clock: Clock
  readonly logger: Logger
  readonly tracer: Tracer
  readonly table: ProcessTable
  readonly registry = new Registry()
  readonly definitions = new Definitions()
  readonly scheduler: Scheduler
  readonly router: Router
  readonly signals: LinksAndMonitors
  readonly timers: Timers
  readonly calls: Calls
  readonly remoteSpawn: RemoteSpawn
  readonly lifecycle: Lifecycle
  readonly membership: NodeMembership
  readonly restarts: Restarts
  readonly endpoint: RemoteDelivery
  readonly stopping: SystemShutdown

  constructor(input?: ActorSystemOptions) {
    const o = resolveActorSystemOptions(input)
    this.options = o
    // The same string as every decoded pid of this node, so `to.node === node` compares pointers.
    this.node = internNodeName(o.node)
    this.creation = o.creation
    this.clock = o.clock
    this.logger = o.logger
    const tracer = (this.tracer = new Tracer(o.logger))
    const table = (this.table = new ProcessTable(this.node, o.creation, tracer, o.logger))
    const scheduler = (this.scheduler = new Scheduler(o.clock, o.messagesPerTurn, o.timeSliceMs))
    const router = (this.router = new Router(table, this.registry, tracer, scheduler, o.strictMessages ? createMessageCodec() : undefined))
    const signals = (this.signals = new LinksAndMonitors(table, this.registry, router, tracer))
    const timers = (this.timers = new Timers(table, router, o.clock))
    const calls = (this.calls = new Calls(table, router, signals, o.clock))
    this.membership = new NodeMembership(tracer, o.logger)
    const restarts = (this.restarts = new Restarts(table.counters, tracer, o.logger))
    const host: ActorHost = {
      logger: o.logger,
      clock: o.clock,
      scheduler,
      tracer,
      counters: table.counters,
      definitions: this.definitions,
      route: (to, msg, sender) => router.route(to, msg, sender),
      call: (to, request, timeoutMs, from) => calls.call(to, request, timeoutMs ?? o.defaultCallTimeoutMs, from),
      reply: (sender, from, value) => router.reply(sender, from, value),
      spawn: (parent, behaviour, args, options) => lifecycle.spawn(parent, behaviour, args, options),
      start: (parent, behaviour, args, options) => lifecycle.start(parent, behaviour, args, options),
      spawnOn: (node, behaviour, args, linkTo) => remoteSpawn.spawnOn(node, behaviour, args, linkTo),
      link: (actor, pid) => signals.link(actor, pid),
      unlink: (actor, pid) => signals.unlink(actor, pid),
      monitor: (actor, target) => signals.monitor(actor, target),
      demonitor: (actor, ref) => signals.demonitor(actor, ref),
      exit: (pid, reason, from) => signals.exit(pid, reason, from),
      die: (actor, reason) => lifecycle.die(actor, reason),
      sendAfter: (to, msg, delayMs, owner) => timers.sendAfter(to, msg, delayMs, owner),
      cancelTimer: (ref) => timers.cancel(ref),
      stopProcess: (pid, reason, timeoutMs, from) => stopping.stopProcess(pid, reason, timeoutMs, from),
      noteRestart: (event) => restarts.note(event),
      defaultMailboxLimits: defaultLimits(o.mailboxHighWaterMessages, o.mailboxHighWaterBytes),
      deadLetter: (to, msg, reason) => table.deadLetter(to, msg, reason),
    }
    const lifecycle = (this.lifecycle = new Lifecycle(
      { table, registry: this.registry, definitions: this.definitions, signals, timers, tracer, logger: o.logger },
      host,
    ))
    const remoteSpawn = (this.remoteSpawn = new RemoteSpawn(table, router, signals, (behaviour, args) => lifecycle.spawn(undefined, behaviour, args, undefined)))
    const stopping = (this.stopping = new SystemShutdown({ table, signals, calls, lifecycle, remoteSpawn, timers, clock: o.clock }))
    this.endpoint = new RemoteDelivery({
      table,
      registry: this.registry,
      signals,
      remoteSpawn: this.remoteSpawn,
      membership: this.membership,
      logger: o.logger,
    })
  }

  // ---- spawning and definitions --------------------------------------------------------------------------------

  spawn<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid {
    return this.lifecycle.spawn(undefined, behaviour as Behaviour | string, args, options)
  }

  start<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Promise<Pid> {
    return this.lifecycle.start(undefined, behaviour as Behaviour | string, args, options)
  }

  spawnOn(node: string, behaviour: string, args?: unknown): Promise<Pid> {
    return this.remoteSpawn.spawnOn(node, behaviour, args, undefined)
  }

  define(name: string, behaviour: Behaviour): void {
    this.definitions.define(name, behaviour)
  }

  upgrade(name: string, behaviour: ServerBehaviour, extra?: unknown): void {
    // Idle actors switch at their next message; nothing to wake.
    this.definitions.upgrade(name, behaviour, extra)
  }

  // ---- messages and signals ------------------------------------------------------------------------------------

  send(to: Address, msg: unknown): void {
    this.router.route(to, msg, undefined)
  }

  cast(to: Address, request: unknown): void {
    this.router.route(to, { $cohort: 'cast', request }, undefined)
  }

  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number): Promise<R> {
    return this.calls.call<R>(to, request, timeoutMs ?? this.options.defaultCallTimeoutMs, undefined)
  }

  exit(pid: Pid, reason: unknown): void {
    this.signals.exit(pid, reason, this.table.systemPid)
  }

  monitor(target: MonitorTarget, onDown: (down: Down) => void): Ref {
    return this.calls.watch(target, onDown)
  }

  demonitor(ref: Ref): void {
    if (ref instanceof Ref) this.calls.unwatch(ref)
  }

  // ---- names ---------------------------------------------------------------------------------------------------

  register(name: string, pid: Pid): void {
    const actor = this.table.actor(pid)
    if (actor === undefined || !actor.alive) {
      throw new CohortError(this.table.isLocal(pid) ? 'COHORT_ERR_NOPROC' : 'COHORT_ERR_NOT_LOCAL', `cannot register ${JSON.stringify(name)}: ${String(pid)} is not a live local actor`)
    }
    this.registry.register(name, actor)
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
    return this.table.actor(pid)?.alive === true
  }

  // ---- other nodes ---------------------------------------------------------------------------------------------

  /** Connects this system to other nodes; returns the one inbound path (`attachDistribution` above). */
  attachDistribution(distribution: Distribution): DistributionEndpoint {
    this.router.distribution = distribution
    return this.endpoint
  }

  nodes(): string[] {
    return this.router.nodes()
  }

  monitorNodes(listener: (event: NodeEvent) => void, options?: { hidden?: boolean }): () => void {
    return this.membership.monitorNodes(listener, options)
  }

  monitorRestarts(listener: (event: RestartEvent) => void): () => void {
    return this.restarts.monitor(listener)
  }

  // ---- observation ---------------------------------------------------------------------------------------------

  trace(observer: TraceObserver): () => void {
    return this.tracer.observe(observer)
  }

  processes(): ProcessInfo[] {
    return this.table.processes()
  }

  stats(): SystemStats {
    return { actors: this.table.actorCount, runQueue: this.scheduler.length, ...this.table.counters }
  }

  isIdle(): boolean {
    return this.scheduler.isIdle()
  }

  whenIdle(): Promise<void> {
    return this.scheduler.whenIdle()
  }

  // ---- shutdown ------------------------------------------------------------------------------------------------

  shutdown(reason: unknown = 'shutdown'): Promise<void> {
    return this.stopping.shutdown(reason)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }
}
