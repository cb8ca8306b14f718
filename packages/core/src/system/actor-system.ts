/**
 * ActorSystem: one per Node process (one node). Spawns actors, routes messages to local and remote addresses, owns
 * the local name registry, the timers and the scheduler. The implementation is system/runtime.ts.
 */
import type { Logger } from 'pino'
import type { Address, SpawnOptions } from '../actor/ctx.ts'
import type { Behaviour } from '../actor/behaviour.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { Clock } from '../clock.ts'
import type { Distribution, DistributionEndpoint } from '../distribution/distribution.ts'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { Down } from '../signals.ts'
import type { TraceObserver } from '../trace.ts'
import { Runtime } from './runtime.ts'
import type { ActorSystemOptions } from './system-options.ts'

/** A node's view of one of its actors, for tools (the CLI's cluster view, metrics). */
export interface ProcessInfo {
  pid: Pid
  name: string | undefined
  behaviour: string
  mailboxDepth: number
  links: number
  /** Monitors this actor holds on others. */
  monitors: number
  /** Monitors others hold on this actor (Erlang's `monitored_by`), a pending call's among them. */
  monitoredBy: number
  trapExit: boolean
}

/** Counters of a system. */
export interface SystemStats {
  actors: number
  runQueue: number
  spawned: number
  exited: number
  messagesDelivered: number
  deadLetters: number
  /** Children restarted by supervisors since the system started. */
  restarts: number
}

/** A supervisor restarted a child, for `monitorRestarts`. */
export interface RestartEvent {
  supervisor: Pid
  /** The child spec's id. */
  child: string
  /** The exit reason that made the supervisor restart it. */
  reason: unknown
}

/** A connection event, for `monitorNodes`. `hidden` marks a connection outside the mesh (a CLI, an observer). */
export type NodeEvent =
  | { type: 'nodeup'; node: string; hidden: boolean }
  | { type: 'nodedown'; node: string; reason: string; hidden: boolean }

/** Resolves `{ global: name }` addresses; installed by the `global` cluster service. */
export type GlobalResolver = (name: string) => Pid | undefined

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
  /** Connects this system to other nodes (transport or in-memory network); returns the endpoint for inbound events. */
  attachDistribution(distribution: Distribution): DistributionEndpoint
  /** The connected nodes. */
  nodes(): string[]
  /** Installs the resolver of `{ global: name }` addresses. */
  setGlobalResolver(resolver: GlobalResolver): void
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
