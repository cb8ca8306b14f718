/**
 * The `global` registry: names unique across the connected cluster, like Erlang's `global`. One registry actor per
 * node (registered as `cohort.global`) owns the registrations of its own processes, monitors them, and replicates
 * them to every other node's registry; `whereis` and `{ global: name }` addresses read the local copy synchronously.
 *
 * Registration protocol (a lock without a lock server):
 * 1. `register(name, pid)` runs on the home node of `pid` (only local processes can be registered). Its registry
 *    refuses at once if its copy shows another holder.
 * 2. The home asks the *leader* — the node whose name sorts first among itself and the registries it has discovered
 *    — to claim the name. The leader's registry handles claims one at a time: it grants a name that neither its copy nor an
 *    earlier grant holds, and reserves it for the claimant. So two nodes racing for a name, seeing the same leader,
 *    end with exactly one winner; the other is refused with NameTakenError (COHORT_ERR_NAME_TAKEN).
 * 3. The home registers the name in its copy, monitors `pid`, and announces it to every peer (the leader drops its
 *    reservation then). If the leader (its node or its registry) goes down mid-claim, the claim is retried with the
 *    next leader, up to `claimAttempts` leaders.
 * 4. Only the home announces and withdraws its registrations (when the process exits, on `unregister`, or when it
 *    loses a conflict), so every copy sees them in order. A node that goes down loses all its names everywhere.
 *
 * Conflicts: nodes on two sides of a partition (or that disagree on the leader while the mesh forms) may accept the
 * same name. When they meet, the registries exchange snapshots (as groups do: `discover`, then `sync`, then
 * deltas); every node applies the same rule (`resolveConflict`, default `keepOldest`) and reads return the winner;
 * the loser's home withdraws the loser's registration everywhere and notifies it (`notifyLoser`, default: exit with
 * reason `{ shutdown: 'nameConflict' }`).
 *
 * Gotchas: uniqueness holds within a connected cluster whose nodes agree on the leader; across a partition both sides
 * can register a name, and the conflict rule settles it at the heal.
 */
import type { Ctx, From } from '../actor/ctx.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { CohortError, InvalidOptionError, NoConnectionError, NoProcError, isCohortError } from '../errors.ts'
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down } from '../signals.ts'
import { installGlobalResolver } from '../system/actor-system.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { NameTakenError, keepOldest } from './name-conflict.ts'
import type { GlobalRegistration, NameConflictResolver } from './name-conflict.ts'
import { NameTable } from './name-table.ts'
import { Peers } from './peers.ts'
import { SnapshotGathering, partBytesOf, partFields, partFieldsValid, splitSnapshot } from './snapshot-parts.ts'
import type { PartFields } from './snapshot-parts.ts'
import { ServiceHandle } from './service-handle.ts'
import { startSingleton } from './singleton.ts'
import type { Singleton, SingletonOptions } from './singleton.ts'

/** Called once, on the loser's home node, when a registration loses a name conflict. */
export type NameLoserNotifier = (name: string, loser: Pid, winner: Pid | undefined, system: ActorSystem) => void

/** Options of `startGlobal`. */
export interface GlobalOptions {
  /**
   * Decides name conflicts met when a partition heals. Must be a pure function, the same on every node.
   * @default keepOldest (the older registration keeps the name; node name breaks ties)
   */
  resolveConflict?: NameConflictResolver
  /**
   * Tells the loser of a conflict. It has already lost the name when this runs.
   * @default exits the loser with reason `{ shutdown: 'nameConflict' }` (as Erlang's `global:random_exit_name`, minus
   * the randomness)
   */
  notifyLoser?: NameLoserNotifier
  /** How many leaders a claim tries when the leader (its node or its registry) goes down during it. @default 3 */
  claimAttempts?: number
}

/** The exit reason a conflict's loser gets by default. */
export const NAME_CONFLICT_EXIT: Readonly<{ shutdown: 'nameConflict' }> = Object.freeze({ shutdown: 'nameConflict' })

/** The defaults of `startGlobal`. */
export const DEFAULT_GLOBAL_OPTIONS: Readonly<{
  resolveConflict: NameConflictResolver
  notifyLoser: NameLoserNotifier
  claimAttempts: number
}> = Object.freeze({
  resolveConflict: keepOldest,
  notifyLoser: (_name: string, loser: Pid, _winner: Pid | undefined, system: ActorSystem) => system.exit(loser, { ...NAME_CONFLICT_EXIT }),
  claimAttempts: 3,
})

/** The registered name of the registry actor on every node. */
export const GLOBAL_ACTOR_NAME = 'cohort.global'

/** The cluster-wide name registry, as seen from one node. */
export interface GlobalRegistry extends AsyncDisposable {
  /** The registry actor of this node. */
  readonly pid: Pid
  /**
   * Registers `name` for the local process `pid`, unique across the connected cluster. Registering the name a pid
   * already holds succeeds. The name is released everywhere when `pid` exits.
   * @throws NameTakenError (COHORT_ERR_NAME_TAKEN), NoProcError (COHORT_ERR_NOPROC) for a dead pid, CohortError
   * (COHORT_ERR_NOT_LOCAL) for a pid of another node, NoConnectionError (COHORT_ERR_NOCONNECTION) when no leader
   * could be reached — all as rejections
   */
  register(name: string, pid: Pid): Promise<void>
  /** Releases `name`, wherever its process lives. Resolves once its home node has withdrawn it. */
  unregister(name: string): Promise<void>
  /** The holder of `name`, from this node's copy (a synchronous lookup). */
  whereis(name: string): Pid | undefined
  /** The names registered now. */
  registered(): string[]
  /**
   * Calls `listener` whenever the holder of a name changes as this node sees it: registered, moved, resolved after a
   * conflict, or gone (`pid` undefined). Returns a function that stops it.
   */
  monitorNames(listener: (event: { name: string; pid: Pid | undefined }) => void): () => void
  /** Sends `msg` to the holder of `name` and returns it. @throws NoProcError (COHORT_ERR_NOPROC) if none */
  send(name: string, msg: unknown): Pid
  /**
   * Keeps one instance of the defined behaviour `behaviour` running in the cluster under the global `name`; start it
   * with the same arguments on every node that may host it.
   */
  singleton<A>(name: string, behaviour: string, args?: A, options?: Omit<SingletonOptions<A>, 'name' | 'behaviour' | 'args'>): Singleton
  /** Stops this node's registry actor (its names are withdrawn everywhere) and removes the resolver. Idempotent. */
  stop(): Promise<void>
}

type Reply = { ok: true } | { ok: false; error: 'taken' | 'noproc' | 'noconnection' | 'unavailable'; holder?: Pid; node?: string }

type GlobalMessage =
  | { t: 'discover'; peer: Pid }
  | ({ t: 'sync'; peer: Pid; regs: GlobalRegistration[] } & PartFields)
  | { t: 'registered'; peer: Pid; reg: GlobalRegistration }
  | { t: 'unregistered'; peer: Pid; name: string }
  | { t: 'claim'; name: string; pid: Pid; tag: number; replyTo: Pid }
  | { t: 'claimed'; tag: number; ok: boolean; holder: Pid | undefined }
  | { t: 'release'; name: string; pid: Pid }
  | { t: 'nodeup'; node: string }

type GlobalCall = { t: 'register'; name: string; pid: Pid } | { t: 'unregister'; name: string }

const running = new WeakMap<ActorSystem, GlobalRegistry>()

/**
 * Starts the global registry on this node (start it on every node) and installs the resolver of `{ global: name }`.
 * @example
 * const global = startGlobal(system)
 * await global.register('scheduler', pid)
 * await system.call({ global: 'scheduler' }, 'status')
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_NAME_TAKEN) if it runs already
 */
export function startGlobal(system: ActorSystem, options: GlobalOptions = {}): GlobalRegistry {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const o = {
    resolveConflict: options.resolveConflict ?? DEFAULT_GLOBAL_OPTIONS.resolveConflict,
    notifyLoser: options.notifyLoser ?? DEFAULT_GLOBAL_OPTIONS.notifyLoser,
    claimAttempts: options.claimAttempts ?? DEFAULT_GLOBAL_OPTIONS.claimAttempts,
  }
  if (typeof o.resolveConflict !== 'function') throw new InvalidOptionError('resolveConflict', o.resolveConflict, 'a function')
  if (typeof o.notifyLoser !== 'function') throw new InvalidOptionError('notifyLoser', o.notifyLoser, 'a function')
  if (!Number.isSafeInteger(o.claimAttempts) || o.claimAttempts < 1) {
    throw new InvalidOptionError('claimAttempts', o.claimAttempts, 'a positive integer')
  }
  if (system.whereis(GLOBAL_ACTOR_NAME) !== undefined) {
    throw new CohortError('COHORT_ERR_NAME_TAKEN', `the global registry is already running on ${system.node}`)
  }
  const table = new NameTable(system.node, o.resolveConflict)
  const peers = new Peers(system, GLOBAL_ACTOR_NAME)
  const pid = system.spawn(registryBehaviour(system, table, peers, o), undefined, { name: GLOBAL_ACTOR_NAME })
  const registry = new GlobalHandle(system, pid, table)
  const stopNodes = system.monitorNodes((event) => {
    if (event.type === 'nodeup') {
      system.send(pid, { t: 'nodeup', node: event.node } satisfies GlobalMessage)
      return
    }
    // At once, as groups do: no read returns a process of a node that is gone.
    peers.drop(event.node)
    table.dropHome(event.node)
  })
  installGlobalResolver(system, (name) => table.whereis(name))
  system.monitor(pid, () => {
    stopNodes()
    table.clear()
    registry.stopped = true
    // A singleton cannot keep its instance unique without the registry.
    for (const singleton of registry.singletons) void singleton.stop()
    if (running.get(system) === registry) {
      running.delete(system)
      // `{ global: name }` addresses fail as unknown names from here on, however the registry ended.
      installGlobalResolver(system, () => undefined)
    }
  })
  running.set(system, registry)
  return registry
}

/** The running global registry of this node. @throws CohortError (COHORT_ERR_NOPROC) when it is not running */
export function globalOf(system: ActorSystem): GlobalRegistry {
  const registry = running.get(system)
  if (registry === undefined) throw new CohortError('COHORT_ERR_NOPROC', `the global registry is not running on ${system.node}`)
  return registry
}

class GlobalHandle extends ServiceHandle implements GlobalRegistry {
  /** The singletons started through this registry, stopped with it. */
  readonly singletons = new Set<Singleton>()
  readonly #system: ActorSystem
  readonly #table: NameTable

  constructor(system: ActorSystem, pid: Pid, table: NameTable) {
    super(system, pid)
    this.#system = system
    this.#table = table
  }

  async register(name: string, pid: Pid): Promise<void> {
    checkName(name)
    if (!(pid instanceof Pid)) throw new InvalidOptionError('pid', pid, 'a Pid')
    if (pid.node !== this.#system.node) {
      throw new CohortError('COHORT_ERR_NOT_LOCAL', `cannot register ${String(pid)} globally from ${this.#system.node}: register it on its own node`)
    }
    this.#running()
    const reply = await this.#system.call<Reply>(this.pid, { t: 'register', name, pid } satisfies GlobalCall)
    if (reply.ok) return
    switch (reply.error) {
      case 'taken':
        throw new NameTakenError(name, reply.holder)
      case 'noproc':
        throw new NoProcError(String(pid))
      case 'noconnection':
        throw new NoConnectionError(`{ global: ${JSON.stringify(name)} }`, reply.node ?? 'unknown')
      case 'unavailable':
        throw new CohortError('COHORT_ERR_NOPROC', `the global registry is not running on the leader ${reply.node ?? 'unknown'}`)
    }
  }

  async unregister(name: string): Promise<void> {
    checkName(name)
    this.#running()
    const holder = this.#table.whereis(name)
    if (holder === undefined) return
    const to = holder.node === this.#system.node ? this.pid : { name: GLOBAL_ACTOR_NAME, node: holder.node }
    try {
      await this.#system.call(to, { t: 'unregister', name } satisfies GlobalCall)
    } catch (error) {
      // A home that is gone takes its names with it.
      if (!isCohortError(error, 'COHORT_ERR_NOCONNECTION') && !isCohortError(error, 'COHORT_ERR_NOPROC')) throw error
    }
  }

  whereis(name: string): Pid | undefined {
    return this.#table.whereis(name)
  }

  monitorNames(listener: (event: { name: string; pid: Pid | undefined }) => void): () => void {
    return this.#table.watch((name, pid) => listener({ name, pid }))
  }

  registered(): string[] {
    return this.#table.names()
  }

  send(name: string, msg: unknown): Pid {
    const pid = this.#table.whereis(name)
    if (pid === undefined) throw new NoProcError(`{ global: ${JSON.stringify(name)} }`)
    this.#system.send(pid, msg)
    return pid
  }

  singleton<A>(name: string, behaviour: string, args?: A, options?: Omit<SingletonOptions<A>, 'name' | 'behaviour' | 'args'>): Singleton {
    this.#running()
    const singleton = startSingleton(this.#system, this, { ...options, name, behaviour, ...(args === undefined ? {} : { args }) })
    this.singletons.add(singleton)
    void singleton.stopped.then(() => this.singletons.delete(singleton))
    return singleton
  }

  #running(): void {
    if (this.stopped) throw new CohortError('COHORT_ERR_NOPROC', `the global registry has stopped on ${this.#system.node}`)
  }
}

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('name', name, 'a non-empty string')
}

interface PendingClaim {
  readonly name: string
  readonly pid: Pid
  readonly from: From
  readonly leader: string
  readonly ref: Ref
  readonly attempts: number
}

interface RegistryState {
  /** pid key → the monitor of an own registered process and its names. */
  readonly owned: Map<string, { ref: Ref; names: Set<string> }>
  /** tag → a claim sent to a leader. */
  readonly pending: Map<number, PendingClaim>
  nextTag: number
}

/** The `sync` messages that carry this node's registrations to a peer: one, or parts of a large snapshot (snapshot-parts.ts). */
function syncParts(self: Pid, regs: GlobalRegistration[], partBytes: number): GlobalMessage[] {
  // A registration: its name (at most 3 bytes a UTF-16 unit), a pid of about 24 bytes and its node's name, a time.
  const parts = splitSnapshot(regs, (r) => 40 + (r.name.length + r.pid.node.length) * 3, partBytes)
  return parts.map((part, i) => ({ t: 'sync', peer: self, regs: part, ...partFields(i, parts.length) }))
}

function registryBehaviour(
  system: ActorSystem,
  table: NameTable,
  peers: Peers,
  o: { resolveConflict: NameConflictResolver; notifyLoser: NameLoserNotifier; claimAttempts: number },
): ServerBehaviour<RegistryState, undefined> {
  // The leader is chosen among the registries this one has discovered (not every connected node: a node without a
  // registry cannot grant claims). `exclude` is a leader that was just lost and may not have been dropped yet.
  const leader = (exclude?: string): string => [system.node, ...peers.nodes().filter((n) => n !== exclude)].sort()[0]!
  const gathering = new SnapshotGathering<GlobalRegistration>()

  const commit = (ctx: Ctx, state: RegistryState, name: string, pid: Pid): void => {
    const reg: GlobalRegistration = { name, pid, registeredAt: system.clock.now() }
    table.add(reg)
    let owned = state.owned.get(pid.key)
    if (owned === undefined) state.owned.set(pid.key, (owned = { ref: ctx.monitor(pid), names: new Set() }))
    owned.names.add(name)
    peers.sendAll(ctx, { t: 'registered', peer: ctx.self, reg } satisfies GlobalMessage)
  }

  /** Withdraws this node's registration of `name` everywhere; returns its pid, if there was one. */
  const withdraw = (ctx: Ctx, state: RegistryState, name: string): Pid | undefined => {
    const reg = table.remove(name, system.node)
    if (reg === undefined) return undefined
    const owned = state.owned.get(reg.pid.key)
    owned?.names.delete(name)
    if (owned?.names.size === 0) {
      state.owned.delete(reg.pid.key)
      ctx.demonitor(owned.ref, { flush: true })
    }
    peers.sendAll(ctx, { t: 'unregistered', peer: ctx.self, name } satisfies GlobalMessage)
    return reg.pid
  }

  /** After a peer's registration of `name` arrived: if this node's own one now loses, give it up. */
  const settleConflict = (ctx: Ctx, state: RegistryState, name: string): void => {
    const own = table.own(name)
    if (own === undefined || table.candidates(name).length < 2) return
    const winner = table.winner(name)
    if (winner !== undefined && winner.pid.equals(own.pid)) return
    withdraw(ctx, state, name)
    ctx.log.info({ name, loser: String(own.pid), winner: winner === undefined ? undefined : String(winner.pid) }, 'global name conflict lost')
    try {
      o.notifyLoser(name, own.pid, winner?.pid, system)
    } catch (error) {
      ctx.log.error({ err: error, name }, 'notifyLoser threw')
    }
  }

  const claim = (ctx: Ctx, state: RegistryState, name: string, pid: Pid, from: From, attempts: number, lost?: string): void => {
    const to = leader(lost)
    if (to === system.node) {
      const holder = table.otherHolder(name, pid)
      if (holder !== undefined) ctx.reply(from, { ok: false, error: 'taken', holder } satisfies Reply)
      else {
        commit(ctx, state, name, pid)
        ctx.reply(from, { ok: true } satisfies Reply)
      }
      return
    }
    const tag = state.nextTag++
    const ref = ctx.monitor({ name: GLOBAL_ACTOR_NAME, node: to })
    state.pending.set(tag, { name, pid, from, leader: to, ref, attempts })
    ctx.send({ name: GLOBAL_ACTOR_NAME, node: to }, { t: 'claim', name, pid, tag, replyTo: ctx.self } satisfies GlobalMessage)
  }

  const claimed = (ctx: Ctx, state: RegistryState, tag: number, ok: boolean, holder: Pid | undefined): void => {
    const p = state.pending.get(tag)
    if (p === undefined) return
    state.pending.delete(tag)
    ctx.demonitor(p.ref, { flush: true })
    if (!ok) {
      ctx.reply(p.from, { ok: false, error: 'taken', ...(holder === undefined ? {} : { holder }) } satisfies Reply)
      return
    }
    const other = table.otherHolder(p.name, p.pid)
    if (other !== undefined || !system.isAlive(p.pid)) {
      ctx.send({ name: GLOBAL_ACTOR_NAME, node: p.leader }, { t: 'release', name: p.name, pid: p.pid } satisfies GlobalMessage)
      ctx.reply(p.from, other !== undefined ? ({ ok: false, error: 'taken', holder: other } satisfies Reply) : ({ ok: false, error: 'noproc' } satisfies Reply))
      return
    }
    commit(ctx, state, p.name, p.pid)
    ctx.reply(p.from, { ok: true } satisfies Reply)
  }

  const leaderLost = (ctx: Ctx, state: RegistryState, tag: number, p: PendingClaim, reason: unknown): void => {
    state.pending.delete(tag)
    if (p.attempts + 1 < o.claimAttempts) {
      claim(ctx, state, p.name, p.pid, p.from, p.attempts + 1, p.leader)
      return
    }
    const error = reason === 'noconnection' ? 'noconnection' : 'unavailable'
    ctx.reply(p.from, { ok: false, error, node: p.leader } satisfies Reply)
  }

  return {
    name: GLOBAL_ACTOR_NAME,
    init(_args, ctx) {
      for (const node of system.nodes()) peers.discover(ctx, node)
      return { owned: new Map(), pending: new Map(), nextTag: 1 }
    },
    handleCall(req: GlobalCall, from, state, ctx) {
      if (req.t === 'unregister') {
        withdraw(ctx, state, req.name)
        return { reply: { ok: true } satisfies Reply, state }
      }
      const { name, pid } = req
      if (!system.isAlive(pid)) return { reply: { ok: false, error: 'noproc' } satisfies Reply, state }
      const holder = table.otherHolder(name, pid)
      if (holder !== undefined) return { reply: { ok: false, error: 'taken', holder } satisfies Reply, state }
      if (table.own(name)?.pid.equals(pid) === true) return { reply: { ok: true } satisfies Reply, state }
      for (const p of state.pending.values()) {
        if (p.name === name) return { reply: { ok: false, error: 'taken', holder: p.pid } satisfies Reply, state }
      }
      claim(ctx, state, name, pid, from, 0)
      return { noreply: state }
    },
    handleInfo(msg: GlobalMessage | Down, state, ctx) {
      if (msg instanceof Down) {
        const pid = msg.pid
        const owned = pid === undefined ? undefined : state.owned.get(pid.key)
        if (owned !== undefined && owned.ref.equals(msg.ref)) {
          for (const name of [...owned.names]) withdraw(ctx, state, name)
          return state
        }
        for (const [tag, p] of state.pending) {
          if (p.ref.equals(msg.ref)) {
            leaderLost(ctx, state, tag, p, msg.reason)
            return state
          }
        }
        peers.handleDown(msg, (node) => {
          gathering.drop(node)
          table.dropHome(node)
        })
        return state
      }
      switch (msg.t) {
        case 'nodeup':
          peers.discover(ctx, msg.node)
          return state
        case 'discover':
          peers.answerDiscover(ctx, msg.peer, syncParts(ctx.self, table.ofHome(), partBytesOf(system)), (node) => table.dropHome(node))
          return state
        case 'sync': {
          if (!peers.accepts(msg.peer)) return state
          if (!Array.isArray(msg.regs) || !partFieldsValid(msg)) {
            gathering.drop(msg.peer.node)
            ctx.log.warn({ peer: String(msg.peer) }, 'global registry dropped a malformed sync')
            return state
          }
          const regs = gathering.receive(msg.peer, msg, msg.regs)
          if (regs === undefined) return state
          peers.add(ctx, msg.peer)
          table.replaceHome(msg.peer.node, regs)
          for (const reg of regs) settleConflict(ctx, state, reg.name)
          return state
        }
        case 'registered':
          if (!peers.has(msg.peer) || msg.reg.pid.node !== msg.peer.node) return state
          table.add(msg.reg)
          settleConflict(ctx, state, msg.reg.name)
          return state
        case 'unregistered': {
          if (!peers.has(msg.peer)) return state
          const reg = table.remove(msg.name, msg.peer.node)
          if (reg !== undefined) table.unreserve(msg.name, reg.pid)
          return state
        }
        case 'claim': {
          const holder = table.otherHolder(msg.name, msg.pid)
          if (holder === undefined) table.reserve({ name: msg.name, pid: msg.pid, registeredAt: system.clock.now() })
          ctx.send(msg.replyTo, { t: 'claimed', tag: msg.tag, ok: holder === undefined, holder } satisfies GlobalMessage)
          return state
        }
        case 'claimed':
          claimed(ctx, state, msg.tag, msg.ok, msg.holder)
          return state
        case 'release':
          table.unreserve(msg.name, msg.pid)
          return state
        default:
          return state
      }
    },
  }
}
