/**
 * Process groups (Erlang's pg): named groups of processes that span the cluster, within a scope. Each node runs one
 * scope actor per scope; it owns its node's memberships, monitors their processes, and exchanges them with the
 * same-named scope on every other node (a snapshot on discovery, then join and leave deltas). Reads are synchronous
 * lookups in a table shared with the actor. Chat rooms, presence and pub-sub are built on it.
 *
 * Protocol (between the scope actors of one scope, addressed `{ name: 'cohort.groups.<scope>', node }`):
 * - start and `nodeup`: send `discover(self)` to the other node's scope;
 * - `discover(peer)`: answer `sync(self, localSnapshot)`; if `peer` was unknown, monitor it and send `discover` back;
 * - `sync(peer, snapshot)`: replace what this node holds for `peer`'s node by the snapshot (monitoring a new peer);
 * - `join` / `leave(peer, group, pids)`: deltas, sent to every known peer after each local change, in order;
 *   deltas from an unknown peer are stale (they crossed a nodedown) and dropped;
 * - `nodedown` (or `Down` of a peer scope): that node's members are dropped at once;
 * - `Down` of a local member: it leaves all its groups and a `leave` goes to every peer;
 * - `<bytes>` (a Uint8Array): a broadcast, `[group, msg]` encoded once by the sender for every node it goes to, sent
 *   to this node's scope pid; the scope decodes it and delivers `msg` to its local members of `group`;
 * - `broadcast(group, msg)`: the same, unencoded (sent by name while the peer's scope pid is not known yet);
 * - `ping(peer, id)` → `pong(node, id)`: a barrier of `synced()` (sync-barriers.ts), sent after every delta the
 *   asking scope sent before, so the answer means the asked node holds all of them.
 *
 * Eventually consistent, no lock: after a partition heals, `nodeup` runs the discovery again and every node ends with
 * every other node's snapshot followed by its later deltas, so all views converge.
 *
 * Gotchas: only local processes can join (the scope of a member's node owns it); a dead pid is ignored by `join`;
 * `members` on another node lags a `join` by one message (`await groups.synced()` waits until it does not).
 */
import type { Address, Ctx } from '../actor/ctx.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { createMessageCodec } from '../codec.ts'
import type { MessageCodec } from '../codec.ts'
import { CohortError, InvalidOptionError } from '../errors.ts'
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down } from '../signals.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { DEFAULT_SYNCED_OPTIONS, SyncBarriers } from './sync-barriers.ts'
import type { BarrierMessage, BarrierOutcome, SyncedOptions } from './sync-barriers.ts'
import { GroupTable } from './group-table.ts'
import type { GroupListener, GroupSnapshot } from './group-table.ts'
import { Peers } from './peers.ts'
import { SnapshotGathering, partBytesOf, partFields, partFieldsValid, splitSnapshot } from './snapshot-parts.ts'
import type { PartFields } from './snapshot-parts.ts'
import { ServiceHandle } from './service-handle.ts'

/** Options of `startGroups`. */
export interface GroupsOptions {
  /**
   * The scope: groups of different scopes are independent, each with its own actor per node. Start the same scope
   * on every node that takes part. @default 'default'
   */
  scope?: string
}

/** The defaults of `startGroups`. */
export const DEFAULT_GROUPS_OPTIONS: Readonly<{ scope: string }> = Object.freeze({ scope: 'default' })

/** Options of `broadcast` and `publish`. */
export interface SendOptions {
  /**
   * The actor that sends, so that backpressure from a busy peer pauses it (as for its own `ctx.send`).
   * @default undefined (sent on behalf of the system)
   */
  sender?: Ctx
}

export { DEFAULT_SYNCED_OPTIONS }
export type { SyncedOptions }

/** A running scope of process groups on one node. */
export interface Groups extends AsyncDisposable {
  readonly scope: string
  /** The scope actor of this node. */
  readonly pid: Pid
  /**
   * Adds local processes to `group` (a process already in it stays in once). A member that exits leaves all its
   * groups. @throws CohortError (COHORT_ERR_NOT_LOCAL) for a pid of another node; (COHORT_ERR_NOPROC) when the scope
   * has stopped
   */
  join(group: string, pids: Pid | readonly Pid[]): void
  /** Removes local processes from `group`. @throws as `join` */
  leave(group: string, pids: Pid | readonly Pid[]): void
  /** Every member of `group` on every connected node, as this node knows them (a synchronous lookup). */
  members(group: string): readonly Pid[]
  /** The members of `group` on this node. */
  localMembers(group: string): readonly Pid[]
  /** The groups with members anywhere; with `pid`, the groups `pid` belongs to. */
  whichGroups(pid?: Pid): string[]
  /**
   * Delivers a GroupEvent to `target` (a local pid, or a function) each time processes join or leave `group`, and
   * returns the members at that moment. A pid target's monitor ends when that process exits.
   * @throws CohortError (COHORT_ERR_NOT_LOCAL) for a pid of another node
   */
  monitor(group: string, target: Pid | GroupListener): { ref: Ref; members: readonly Pid[] }
  /** As `monitor`, for every group of the scope; returns the groups that have members now. */
  monitorScope(target: Pid | GroupListener): { ref: Ref; groups: string[] }
  /** Stops a group monitor; returns false if it was unknown. */
  demonitor(ref: Ref): boolean
  /**
   * Sends `msg` once to every member of `group`: directly to local members, and as one message per other node with
   * members, which that node's scope delivers to its members. Returns how many members it was addressed to.
   */
  broadcast(group: string, msg: unknown, options?: SendOptions): number
  /**
   * Resolves once the scope of every node connected now holds every join and leave this node made before the call
   * (nodes still discovering each other included): after `join(g, pid)` then `await synced()`, `members(g)` on any
   * of those nodes lists `pid`, and a `broadcast` from any of them reaches it. A node that goes down meanwhile is not
   * waited for. @throws CohortError (COHORT_ERR_GROUPS_NOT_SYNCED) naming the nodes that did not answer within
   * `timeoutMs`; (COHORT_ERR_NOPROC) when the scope has stopped
   */
  synced(options?: SyncedOptions): Promise<void>
  /** Stops this node's scope actor; peers drop its members. Idempotent. */
  stop(): Promise<void>
}

type ScopeMessage =
  | { t: 'discover'; peer: Pid }
  | ({ t: 'sync'; peer: Pid; groups: GroupSnapshot } & PartFields)
  | { t: 'join'; peer: Pid; group: string; pids: Pid[] }
  | { t: 'leave'; peer: Pid; group: string; pids: Pid[] }
  | { t: 'broadcast'; group: string; msg: unknown }
  | { t: 'localJoin'; group: string; pids: Pid[] }
  | { t: 'localLeave'; group: string; pids: Pid[] }
  | { t: 'nodeup'; node: string }
  | { t: 'nodedown'; node: string }
  | BarrierMessage

/** The request behind `synced`, answered with a BarrierOutcome. */
type ScopeRequest = { t: 'synced'; timeoutMs: number }

/** The registered name of a scope's actor on every node. */
export function scopeActorName(scope: string): string {
  return `cohort.groups.${scope}`
}

const running = new WeakMap<ActorSystem, Map<string, Groups>>()

/**
 * Starts a scope of process groups on this node (start it on every node of the cluster).
 * @example
 * const groups = startGroups(system)
 * groups.join('room:lobby', ctx.self)
 * groups.broadcast('room:lobby', { text: 'hi' })
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_NAME_TAKEN) if the scope runs already
 */
export function startGroups(system: ActorSystem, options: GroupsOptions = {}): Groups {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const scope = options.scope ?? DEFAULT_GROUPS_OPTIONS.scope
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new InvalidOptionError('scope', scope, 'a non-empty string')
  }
  const name = scopeActorName(scope)
  if (system.whereis(name) !== undefined) {
    throw new CohortError('COHORT_ERR_NAME_TAKEN', `the groups scope ${JSON.stringify(scope)} is already running on ${system.node}`)
  }
  const logger = system.logger.child({ scope })
  const table = new GroupTable(scope, system.node, (to, msg) => system.send(to, msg), logger)
  const peers = new Peers(system, name)
  const pid = system.spawn(scopeBehaviour(system, name, table, peers), undefined, { name })
  const groups = new GroupsHandle(system, scope, name, pid, table, peers)
  const stopNodes = system.monitorNodes((event) => {
    if (event.type === 'nodeup') system.send(pid, { t: 'nodeup', node: event.node } satisfies ScopeMessage)
    else {
      // Dropped here, synchronously, so no read sees members of a node that is gone; the Down of the peer's monitor
      // that follows finds no peer and is ignored.
      if (peers.drop(event.node)) table.dropNode(event.node)
      system.send(pid, { t: 'nodedown', node: event.node } satisfies ScopeMessage)
    }
  })
  system.monitor(pid, () => {
    stopNodes()
    table.clear()
    groups.stopped = true
    running.get(system)?.delete(scope)
  })
  let scopes = running.get(system)
  if (scopes === undefined) running.set(system, (scopes = new Map()))
  scopes.set(scope, groups)
  return groups
}

/**
 * The running scope `scope` of this node.
 * @throws CohortError (COHORT_ERR_NOPROC) when it is not running
 */
export function groupsOf(system: ActorSystem, scope: string = DEFAULT_GROUPS_OPTIONS.scope): Groups {
  const groups = running.get(system)?.get(scope)
  if (groups === undefined) {
    throw new CohortError('COHORT_ERR_NOPROC', `the groups scope ${JSON.stringify(scope)} is not running on ${system.node}`)
  }
  return groups
}

class GroupsHandle extends ServiceHandle implements Groups {
  readonly scope: string
  readonly #system: ActorSystem
  readonly #name: string
  readonly #table: GroupTable
  readonly #peers: Peers
  /** Encodes each broadcast once, for every node it goes to. */
  readonly #codec: MessageCodec = createMessageCodec()

  constructor(system: ActorSystem, scope: string, name: string, pid: Pid, table: GroupTable, peers: Peers) {
    super(system, pid)
    this.#system = system
    this.scope = scope
    this.#name = name
    this.#table = table
    this.#peers = peers
  }

  join(group: string, pids: Pid | readonly Pid[]): void {
    const local = this.#check(group, pids).filter((p) => this.#system.isAlive(p))
    const added = this.#table.add(this.#system.node, group, local)
    if (added.length > 0) this.#system.send(this.pid, { t: 'localJoin', group, pids: added } satisfies ScopeMessage)
  }

  leave(group: string, pids: Pid | readonly Pid[]): void {
    const removed = this.#table.remove(group, this.#check(group, pids))
    if (removed.length > 0) this.#system.send(this.pid, { t: 'localLeave', group, pids: removed } satisfies ScopeMessage)
  }

  members(group: string): readonly Pid[] {
    return this.#table.members(group)
  }

  localMembers(group: string): readonly Pid[] {
    return this.#table.localMembers(group)
  }

  whichGroups(pid?: Pid): string[] {
    return this.#table.whichGroups(pid)
  }

  monitor(group: string, target: Pid | GroupListener): { ref: Ref; members: readonly Pid[] } {
    checkGroup(group)
    return { ref: this.#watch(group, target), members: this.#table.members(group) }
  }

  monitorScope(target: Pid | GroupListener): { ref: Ref; groups: string[] } {
    return { ref: this.#watch(undefined, target), groups: this.#table.whichGroups() }
  }

  demonitor(ref: Ref): boolean {
    this.#system.demonitor(ref)
    return this.#table.unwatch(ref)
  }

  broadcast(group: string, msg: unknown, options?: SendOptions): number {
    const sender = options?.sender
    const system = this.#system
    const send = (to: Address, m: unknown): void => (sender === undefined ? system.send(to, m) : sender.send(to, m))
    let count = 0
    for (const pid of this.#table.localMembers(group)) {
      send(pid, msg)
      count++
    }
    // Encoded once, the same bytes for every node: the transport copies a small Buffer into its frame as it is,
    // where an object would be encoded again for each connection.
    let bytes: Uint8Array | undefined
    for (const [node, members] of this.#table.remoteNodesOf(group)) {
      const peer = this.#peers.pidOf(node)
      if (peer === undefined) send({ name: this.#name, node }, { t: 'broadcast', group, msg } satisfies ScopeMessage)
      else send(peer, (bytes ??= this.#codec.encode([group, msg])))
      count += members.size
    }
    return count
  }

  async synced(options: SyncedOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
    const timeoutMs = options.timeoutMs ?? DEFAULT_SYNCED_OPTIONS.timeoutMs
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds')
    }
    this.#running()
    // The scope answers at timeoutMs itself, naming the missing nodes; the call's own timeout is only a backstop.
    const outcome = await this.#system.call<BarrierOutcome>(this.pid, { t: 'synced', timeoutMs } satisfies ScopeRequest, timeoutMs + 5_000)
    if (outcome !== null) {
      throw new CohortError(
        'COHORT_ERR_GROUPS_NOT_SYNCED',
        `the groups scope ${JSON.stringify(this.scope)} of ${outcome.missing.join(', ')} did not confirm ${this.#system.node}'s changes within ${timeoutMs} ms: start the scope there too (startGroups with this scope), or check that node`,
      )
    }
  }

  #watch(group: string | undefined, target: Pid | GroupListener): Ref {
    this.#running()
    if (typeof target === 'function') {
      // A monitor of the scope actor gives a cluster-unique ref, and ends with the scope.
      const ref = this.#system.monitor(this.pid, () => {})
      this.#table.watch(ref, group, target)
      return ref
    }
    if (!(target instanceof Pid)) throw new InvalidOptionError('target', target, 'a local Pid or a function')
    if (target.node !== this.#system.node) {
      throw new CohortError('COHORT_ERR_NOT_LOCAL', `cannot monitor groups for ${String(target)}: not a process of ${this.#system.node}`)
    }
    const ref: Ref = this.#system.monitor(target, () => this.#table.unwatch(ref))
    this.#table.watch(ref, group, target)
    return ref
  }

  #check(group: string, pids: Pid | readonly Pid[]): Pid[] {
    checkGroup(group)
    this.#running()
    const list = pids instanceof Pid ? [pids] : Array.isArray(pids) ? (pids as Pid[]) : undefined
    if (list === undefined) throw new InvalidOptionError('pids', pids, 'a Pid or an array of Pids')
    for (const pid of list) {
      if (!(pid instanceof Pid)) throw new InvalidOptionError('pids', pid, 'a Pid')
      if (pid.node !== this.#system.node) {
        throw new CohortError(
          'COHORT_ERR_NOT_LOCAL',
          `cannot change the groups of ${String(pid)} on ${this.#system.node}: only the scope of its own node can`,
        )
      }
    }
    return list
  }

  #running(): void {
    if (this.stopped) {
      throw new CohortError('COHORT_ERR_NOPROC', `the groups scope ${JSON.stringify(this.scope)} has stopped on ${this.#system.node}`)
    }
  }
}

function checkGroup(group: unknown): void {
  if (typeof group !== 'string' || group.length === 0) throw new InvalidOptionError('group', group, 'a non-empty string')
}

/** The scope actor's state: the monitors of local members, the open barriers of `synced` (the table and peers are
 * shared with the handle). */
interface ScopeState {
  readonly memberRefs: Map<string, Ref>
  readonly barriers: SyncBarriers
}

/**
 * The `sync` messages that carry this node's members to a peer: one, or parts of a large snapshot (snapshot-parts.ts),
 * a group's members split across parts when they are many.
 */
function syncParts(self: Pid, snapshot: GroupSnapshot, partBytes: number): ScopeMessage[] {
  const members: [string, Pid][] = []
  for (const [group, pids] of snapshot) for (const pid of pids) members.push([group, pid])
  // A pid takes about 24 bytes and its node's name; a group's name is counted with each member, an upper bound.
  const parts = splitSnapshot(members, ([group, pid]) => 24 + (group.length + pid.node.length) * 3, partBytes)
  if (parts.length === 1) return [{ t: 'sync', peer: self, groups: snapshot }]
  return parts.map((part, i) => ({ t: 'sync', peer: self, groups: joinGroups(part.map(([group, pid]) => [group, [pid]])), ...partFields(i, parts.length) }))
}

/** True for a `[group, pids]` entry of a snapshot as a peer must send it. */
function isSnapshotGroup(entry: unknown): boolean {
  return Array.isArray(entry) && typeof entry[0] === 'string' && Array.isArray(entry[1]) && entry[1].every((p) => p instanceof Pid)
}

/** One entry a group, its members in order: parts of a snapshot may each hold some members of one group. */
function joinGroups(snapshot: readonly (readonly [string, readonly Pid[]])[]): GroupSnapshot {
  const byGroup = new Map<string, Pid[]>()
  for (const [group, pids] of snapshot) {
    const members = byGroup.get(group)
    if (members === undefined) byGroup.set(group, [...pids])
    else for (const pid of pids) members.push(pid)
  }
  return [...byGroup]
}

function scopeBehaviour(system: ActorSystem, name: string, table: GroupTable, peers: Peers): ServerBehaviour<ScopeState, undefined> {
  const codec = createMessageCodec()
  const gathering = new SnapshotGathering<[string, Pid[]]>()
  return {
    name,
    init(_args, ctx) {
      for (const node of system.nodes()) peers.discover(ctx, node)
      return { memberRefs: new Map(), barriers: new SyncBarriers((node) => peers.pidOf(node)) }
    },
    handleCall(request: ScopeRequest, from, state, ctx) {
      if (request?.t !== 'synced') return { reply: { missing: [] } satisfies BarrierOutcome, state }
      // After every delta sent so far (this call sits behind them in the mailbox), so a ping follows them.
      const reply = state.barriers.open(ctx, from, system.nodes(), request.timeoutMs)
      return reply === undefined ? { noreply: state } : { reply, state }
    },
    handleInfo(msg: ScopeMessage | Down | Uint8Array, state, ctx) {
      if (msg instanceof Uint8Array) {
        let decoded: unknown
        try {
          decoded = codec.decode(msg)
        } catch (err) {
          ctx.log.warn({ err }, 'groups scope dropped a broadcast it could not decode')
          return state
        }
        if (!Array.isArray(decoded) || typeof decoded[0] !== 'string') {
          ctx.log.warn({ msgType: typeof decoded }, 'groups scope dropped a malformed broadcast')
          return state
        }
        for (const pid of table.localMembers(decoded[0])) ctx.send(pid, decoded[1])
        return state
      }
      if (msg instanceof Down) {
        const pid = msg.pid
        if (pid !== undefined && state.memberRefs.get(pid.key)?.equals(msg.ref) === true) {
          state.memberRefs.delete(pid.key)
          const groups = table.removePid(pid)
          for (const group of groups) peers.sendAll(ctx, { t: 'leave', peer: ctx.self, group, pids: [pid] } satisfies ScopeMessage)
          return state
        }
        peers.handleDown(msg, (node) => {
          gathering.drop(node)
          table.dropNode(node)
        })
        return state
      }
      switch (msg.t) {
        case 'nodeup':
          peers.discover(ctx, msg.node)
          return state
        case 'nodedown':
          state.barriers.nodeDown(ctx, msg.node)
          return state
        case 'discover':
          peers.answerDiscover(ctx, msg.peer, syncParts(ctx.self, table.snapshot(), partBytesOf(system)), (node) => table.dropNode(node))
          // The peer has this node's snapshot now: barriers waiting for it can ask it.
          if (peers.has(msg.peer)) state.barriers.snapshotSent(ctx, msg.peer.node)
          return state
        case 'sync': {
          if (!peers.accepts(msg.peer)) return state
          if (!Array.isArray(msg.groups) || !msg.groups.every(isSnapshotGroup) || !partFieldsValid(msg)) {
            gathering.drop(msg.peer.node)
            ctx.log.warn({ peer: String(msg.peer) }, 'groups scope dropped a malformed sync')
            return state
          }
          const groups = gathering.receive(msg.peer, msg, msg.groups)
          if (groups === undefined) return state
          peers.add(ctx, msg.peer)
          table.replaceNode(msg.peer.node, joinGroups(groups))
          return state
        }
        case 'join':
          if (peers.has(msg.peer)) table.add(msg.peer.node, msg.group, msg.pids)
          return state
        case 'leave':
          if (peers.has(msg.peer)) table.remove(msg.group, msg.pids.filter((p) => p.node === msg.peer.node))
          return state
        case 'broadcast':
          for (const pid of table.localMembers(msg.group)) ctx.send(pid, msg.msg)
          return state
        case 'ping':
        case 'pong':
        case 'syncTimeout':
          state.barriers.handle(ctx, msg)
          return state
        case 'localJoin':
          for (const pid of msg.pids) {
            if (table.hasMember(pid) && !state.memberRefs.has(pid.key)) state.memberRefs.set(pid.key, ctx.monitor(pid))
          }
          peers.sendAll(ctx, { t: 'join', peer: ctx.self, group: msg.group, pids: msg.pids } satisfies ScopeMessage)
          return state
        case 'localLeave':
          for (const pid of msg.pids) {
            const ref = state.memberRefs.get(pid.key)
            if (ref !== undefined && !table.hasMember(pid)) {
              state.memberRefs.delete(pid.key)
              ctx.demonitor(ref, { flush: true })
            }
          }
          peers.sendAll(ctx, { t: 'leave', peer: ctx.self, group: msg.group, pids: msg.pids } satisfies ScopeMessage)
          return state
        default:
          return state
      }
    },
  }
}
