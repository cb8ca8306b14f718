/**
 * Singleton: one instance of a defined behaviour kept running somewhere in the cluster under a `global` name, and
 * started again on another node when its node goes down. Every node that may host it runs a small manager actor;
 * the managers never talk to each other, only to the global registry, which makes the name (and so the instance)
 * unique.
 *
 * Each manager monitors the current holder of the name. When there is none, it waits `rank × staggerMs` — its rank is
 * its node's place among the connected nodes by name — so the first node by name tries first and the others find
 * the name taken; then it spawns an instance and registers it. A manager that loses the registration stops its
 * instance. After a partition heals, the global conflict rule keeps one instance and stops the other.
 *
 * Gotchas: the behaviour must be `system.define`d on every node under the same name. In a race (a partition, or a
 * node that starts while the name's snapshot is on its way) an instance may be started and then stopped with
 * `'shutdown'` or `{ shutdown: 'nameConflict' }`, so its `init` should not assume it will keep running.
 */
import type { Ctx } from '../actor/ctx.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { CohortError, InvalidOptionError } from '../errors.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down } from '../signals.ts'
import type { ActorSystem } from '../system/actor-system.ts'

/** What a singleton needs of the global registry (GlobalRegistry provides it). */
export interface SingletonRegistry {
  register(name: string, pid: Pid): Promise<void>
  whereis(name: string): Pid | undefined
}

/** Options of a singleton. */
export interface SingletonOptions<A = unknown> {
  /** The global name the instance is registered under. */
  name: string
  /** The name of a behaviour defined (`system.define`) on every node. */
  behaviour: string
  /** The instance's start arguments. @default undefined */
  args?: A
  /**
   * How much longer each node waits than the node before it (by name) before starting a missing instance, so the
   * first node by name starts it and the others find it registered. @default 500
   */
  staggerMs?: number
  /** Extra wait before restarting an instance that crashed (not a lost node), against crash loops. @default 1000 */
  restartDelayMs?: number
}

/** The defaults of a singleton's options. */
export const DEFAULT_SINGLETON_OPTIONS: Readonly<{ staggerMs: number; restartDelayMs: number }> = Object.freeze({
  staggerMs: 500,
  restartDelayMs: 1000,
})

/** This node's part of a singleton. */
export interface Singleton extends AsyncDisposable {
  readonly name: string
  /** This node's manager actor. */
  readonly manager: Pid
  /** The running instance, wherever it is, as this node's registry knows it. */
  whereis(): Pid | undefined
  /** Stops this node's manager and, if it runs here, the instance (another node's manager takes over). Idempotent. */
  stop(): Promise<void>
  /** Resolves when this node's manager has stopped, however it stopped. */
  readonly stopped: Promise<void>
}

/** The registered name of a singleton's manager on each node. */
export function singletonManagerName(name: string): string {
  return `cohort.singleton.${name}`
}

type ManagerMessage =
  | { t: 'check' }
  | { t: 'attempt' }
  | { t: 'registered'; pid: Pid }
  | { t: 'refused'; pid: Pid }

interface ManagerState {
  /** The holder this manager monitors, with its monitor. */
  holder: { pid: Pid; ref: Ref } | undefined
  /** An instance spawned here whose registration is under way. */
  starting: { pid: Pid; ref: Ref } | undefined
  /** A pending `attempt` timer. */
  timer: Ref | undefined
}

/**
 * Starts this node's manager of a singleton. Usually called as `global.singleton(name, behaviour, args)`.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_UNKNOWN_BEHAVIOUR) when the
 * behaviour is not defined here (found by its first start); (COHORT_ERR_NAME_TAKEN) if this node manages it already
 */
export function startSingleton<A>(system: ActorSystem, registry: SingletonRegistry, options: SingletonOptions<A>): Singleton {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const o = {
    name: options.name,
    behaviour: options.behaviour,
    args: options.args,
    staggerMs: options.staggerMs ?? DEFAULT_SINGLETON_OPTIONS.staggerMs,
    restartDelayMs: options.restartDelayMs ?? DEFAULT_SINGLETON_OPTIONS.restartDelayMs,
  }
  if (typeof o.name !== 'string' || o.name.length === 0) throw new InvalidOptionError('name', o.name, 'a non-empty string')
  if (typeof o.behaviour !== 'string' || o.behaviour.length === 0) {
    throw new InvalidOptionError('behaviour', o.behaviour, 'the name of a behaviour defined with system.define on every node')
  }
  if (typeof o.staggerMs !== 'number' || !Number.isFinite(o.staggerMs) || o.staggerMs < 0) {
    throw new InvalidOptionError('staggerMs', o.staggerMs, 'a non-negative number of milliseconds')
  }
  if (typeof o.restartDelayMs !== 'number' || !Number.isFinite(o.restartDelayMs) || o.restartDelayMs < 0) {
    throw new InvalidOptionError('restartDelayMs', o.restartDelayMs, 'a non-negative number of milliseconds')
  }
  const managerName = singletonManagerName(o.name)
  if (system.whereis(managerName) !== undefined) {
    throw new CohortError('COHORT_ERR_NAME_TAKEN', `the singleton ${JSON.stringify(o.name)} is already managed on ${system.node}`)
  }
  /** The instance spawned on this node, shared with the handle so that stopping the manager stops it. */
  const local: { pid: Pid | undefined } = { pid: undefined }
  const manager = system.spawn(managerBehaviour(system, registry, o, local), undefined, { name: managerName })
  let stopped = false
  const done = new Promise<void>((resolve) => {
    system.monitor(manager, () => {
      stopped = true
      if (local.pid !== undefined) system.exit(local.pid, 'shutdown')
      resolve()
    })
  })
  return {
    name: o.name,
    manager,
    whereis: () => registry.whereis(o.name),
    stopped: done,
    stop: async () => {
      if (!stopped) system.exit(manager, 'shutdown')
      await done
    },
    [Symbol.asyncDispose]: async () => {
      if (!stopped) system.exit(manager, 'shutdown')
      await done
    },
  }
}

function managerBehaviour(
  system: ActorSystem,
  registry: SingletonRegistry,
  o: { name: string; behaviour: string; args: unknown; staggerMs: number; restartDelayMs: number },
  local: { pid: Pid | undefined },
): ServerBehaviour<ManagerState, undefined> {
  const rank = (): number => [system.node, ...system.nodes()].sort().indexOf(system.node)

  const follow = (ctx: Ctx, state: ManagerState, pid: Pid): void => {
    if (state.holder?.pid.equals(pid) === true) return
    if (state.holder !== undefined) ctx.demonitor(state.holder.ref, { flush: true })
    state.holder = { pid, ref: ctx.monitor(pid) }
  }

  /** Follows the holder if there is one; otherwise arranges an attempt after this node's turn (plus `extraMs`). */
  const check = (ctx: Ctx, state: ManagerState, extraMs: number): void => {
    if (state.starting !== undefined || state.timer !== undefined) return
    const holder = registry.whereis(o.name)
    if (holder !== undefined) {
      follow(ctx, state, holder)
      return
    }
    const delay = extraMs + rank() * o.staggerMs
    if (delay === 0) attempt(ctx, state)
    else state.timer = ctx.sendAfter(ctx.self, { t: 'attempt' } satisfies ManagerMessage, delay)
  }

  const attempt = (ctx: Ctx, state: ManagerState): void => {
    const holder = registry.whereis(o.name)
    if (holder !== undefined) {
      follow(ctx, state, holder)
      return
    }
    const { pid, ref } = ctx.spawnMonitor(o.behaviour, o.args)
    local.pid = pid
    state.starting = { pid, ref }
    const self = ctx.self
    registry.register(o.name, pid).then(
      () => system.send(self, { t: 'registered', pid } satisfies ManagerMessage),
      () => system.send(self, { t: 'refused', pid } satisfies ManagerMessage),
    )
  }

  return {
    name: 'singletonManager',
    init(_args, ctx) {
      ctx.send(ctx.self, { t: 'check' } satisfies ManagerMessage)
      return { holder: undefined, starting: undefined, timer: undefined }
    },
    handleInfo(msg: ManagerMessage | Down, state, ctx) {
      if (msg instanceof Down) {
        if (state.starting?.ref.equals(msg.ref) === true) {
          // The instance ended before its registration settled (init failed, or it stopped at once).
          state.starting = undefined
          local.pid = undefined
          check(ctx, state, o.restartDelayMs)
        } else if (state.holder?.ref.equals(msg.ref) === true) {
          const wasLocal = local.pid?.equals(state.holder.pid) === true
          if (wasLocal) local.pid = undefined
          state.holder = undefined
          // A crash here waits restartDelayMs; a lost node or a lost conflict is taken over at once (by rank).
          const crashed = wasLocal && !isExpectedExit(msg.reason) && msg.reason !== 'noconnection'
          check(ctx, state, crashed ? o.restartDelayMs : 0)
        }
        return state
      }
      switch (msg.t) {
        case 'check':
          check(ctx, state, 0)
          return state
        case 'attempt':
          state.timer = undefined
          if (state.starting === undefined) attempt(ctx, state)
          return state
        case 'registered':
          if (state.starting?.pid.equals(msg.pid) !== true) return state
          if (state.holder !== undefined) ctx.demonitor(state.holder.ref, { flush: true })
          state.holder = state.starting
          state.starting = undefined
          return state
        case 'refused':
          if (state.starting?.pid.equals(msg.pid) !== true) return state
          ctx.demonitor(state.starting.ref, { flush: true })
          ctx.exitOther(msg.pid, 'shutdown')
          state.starting = undefined
          local.pid = undefined
          check(ctx, state, o.staggerMs)
          return state
        default:
          return state
      }
    },
  }
}
