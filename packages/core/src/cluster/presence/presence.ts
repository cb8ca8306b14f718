/**
 * Presence tracker (Phoenix.Tracker and Phoenix.Presence): who is present in which topic, cluster-wide. A process
 * tracks a key (a user id, say) with some meta in a topic; `list(topic)` on any node shows every entry of every
 * connected node, and subscribers of a topic get the joins and leaves as diffs. One key may be present from several
 * pids and nodes (one user in two tabs on two nodes), and `list` shows each.
 *
 * Entries belong to the node of their pid: each node's tracker actor (registered as `cohort.presence.<scope>`)
 * monitors its local tracked pids and tells its peers of its changes. An entry leaves when its pid exits (a monitor,
 * not a heartbeat), when it is untracked, or when its node goes down (nodedown, so within the transport's tick
 * window for a crashed node), and the leaves reach subscribers on every node. Peers find each other as groups do:
 * `discover` on start and on every nodeup, answered with a `sync` snapshot of the answering node's entries; then
 * `track` and `untrack` deltas. After a partition heals, nodeup runs the discovery again and each side delivers the
 * other side's entries as joins.
 *
 * Gotchas: only local pids can be tracked (the node of a pid owns its entries); `list` on another node lags a
 * `track` by one message; a node's entries leave at nodedown even if its processes live on (a partition), and come
 * back as joins when it heals.
 */
import type { ServerBehaviour } from '../../actor/server-behaviour.ts'
import { serializableBound, sharedMessageCodec } from '../../codec.ts'
import { CohortError, InvalidOptionError, describeValue } from '../../errors.ts'
import { Pid } from '../../pid.ts'
import type { Ref } from '../../ref.ts'
import { Down } from '../../signals.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import { Peers } from '../peers.ts'
import { SnapshotGathering, partBytesOf, partFields, partFieldsValid, splitSnapshot } from '../snapshot-parts.ts'
import type { PartFields } from '../snapshot-parts.ts'
import { ServiceHandle } from '../service-handle.ts'
import { DEFAULT_SYNCED_OPTIONS, SyncBarriers } from '../sync-barriers.ts'
import type { BarrierMessage, BarrierOutcome, SyncedOptions } from '../sync-barriers.ts'
import { PresenceTable } from './presence-table.ts'
import type { PresenceDiff, PresenceEntry, PresenceListener, WirePresence } from './presence-table.ts'

/** Options of `startPresence`. */
export interface PresenceOptions {
  /** The scope: trackers of different scopes are independent. Start the same scope on every node. @default 'default' */
  scope?: string
}

/** The defaults of `startPresence`. */
export const DEFAULT_PRESENCE_OPTIONS: Readonly<{ scope: string }> = Object.freeze({ scope: 'default' })

/** A running presence scope on one node. */
export interface Presence extends AsyncDisposable {
  readonly scope: string
  /** The tracker actor of this node. */
  readonly pid: Pid
  /**
   * Tracks `key` in `topic` for the local process `pid`, with `meta`, until `pid` exits or untracks it. Tracking a
   * (pid, topic, key) already tracked replaces its meta, as `update` does. A pid that is already dead is ignored.
   * @throws CohortError (COHORT_ERR_NOT_LOCAL) for a pid of another node; NotSerializableError
   * (COHORT_ERR_NOT_SERIALIZABLE) for a meta that cannot cross a node; CohortError (COHORT_ERR_NOPROC) when stopped
   */
  track(pid: Pid, topic: string, key: string, meta: unknown): void
  /**
   * Replaces the meta of a tracked entry; subscribers see a leave of the old entry and a join of the new.
   * @throws CohortError (COHORT_ERR_NOT_TRACKED) when `pid` does not track `key` in `topic`; as `track`
   */
  update(pid: Pid, topic: string, key: string, meta: unknown): void
  /** Stops tracking `key` (every key, without it) of `pid` in `topic`. @throws as `track` */
  untrack(pid: Pid, topic: string, key?: string): void
  /** Every entry of `topic` on every connected node, as this node knows them. */
  list(topic: string): PresenceEntry[]
  /** The topics with entries. */
  topics(): string[]
  /** Calls `listener` with the joins and leaves of `topic`; returns a function that unsubscribes. */
  subscribe(topic: string, listener: PresenceListener): () => void
  /**
   * Resolves once the tracker of every node connected now holds every track, update and untrack this node made
   * before the call: after `track(pid, topic, key, meta)` then `await synced()`, `list(topic)` on any of those nodes
   * shows the entry. A node that goes down meanwhile is not waited for. @throws CohortError
   * (COHORT_ERR_PRESENCE_NOT_SYNCED) naming the nodes that did not answer within `timeoutMs` (default 5000);
   * InvalidOptionError for a bad option; (COHORT_ERR_NOPROC) when stopped
   */
  synced(options?: SyncedOptions): Promise<void>
  /** Stops this node's tracker: its entries leave on every peer. Idempotent. */
  stop(): Promise<void>
}

type TrackerMessage =
  | { t: 'discover'; peer: Pid }
  | ({ t: 'sync'; peer: Pid; entries: WirePresence[] } & PartFields)
  | { t: 'track'; peer: Pid; entry: WirePresence }
  | { t: 'untrack'; peer: Pid; topic: string; pid: Pid; keys: string[] }
  | { t: 'localTrack'; entry: WirePresence }
  | { t: 'localUntrack'; topic: string; pid: Pid; keys: string[] }
  | { t: 'nodeup'; node: string }
  | { t: 'nodedown'; node: string }
  // A barrier of `synced()` (sync-barriers.ts), sent after every delta the asking node sent before.
  | BarrierMessage

/** The request behind `synced`, answered with a BarrierOutcome. */
type TrackerRequest = { t: 'synced'; timeoutMs: number }

/** The most bytes a meta may take, encoded: every entry crosses in messages of its own to every peer. */
export const MAX_PRESENCE_META_BYTES = 64 * 1024

/** A meta's size as it crosses: its encoding in core's codec. */
function metaBytes(meta: unknown): number {
  return sharedMessageCodec().encode(meta).length
}

/** The registered name of a presence scope's actor on every node. */
export function presenceActorName(scope: string): string {
  return `cohort.presence.${scope}`
}

/**
 * Starts a presence scope on this node (start it on every node).
 * @example
 * const presence = startPresence(system, { scope: 'chat' })
 * presence.track(ctx.self, 'room:lobby', 'ada', { device: 'phone' })
 * presence.subscribe('room:lobby', ({ joins, leaves }) => render(joins, leaves))
 * presence.list('room:lobby') // [{ key: 'ada', meta: { device: 'phone' }, node: 'chat@10.0.0.5', pid }]
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_NAME_TAKEN) if the scope runs already
 */
export function startPresence(system: ActorSystem, options: PresenceOptions = {}): Presence {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const scope = options.scope ?? DEFAULT_PRESENCE_OPTIONS.scope
  if (typeof scope !== 'string' || scope.length === 0) throw new InvalidOptionError('scope', scope, 'a non-empty string')
  const name = presenceActorName(scope)
  if (system.whereis(name) !== undefined) {
    throw new CohortError('COHORT_ERR_NAME_TAKEN', `the presence scope ${JSON.stringify(scope)} is already running on ${system.node}`)
  }
  const logger = system.logger.child({ scope })
  const table = new PresenceTable(logger)
  const peers = new Peers(system, name)
  const pid = system.spawn(trackerBehaviour(system, name, table, peers), undefined, { name })
  const handle = new PresenceHandle(system, scope, pid, table)
  const stopNodes = system.monitorNodes((event) => {
    if (event.type === 'nodeup') system.send(pid, { t: 'nodeup', node: event.node } satisfies TrackerMessage)
    else {
      // At once, so no `list` shows entries of a node that is gone; the peer monitor's Down that follows is ignored.
      if (peers.drop(event.node)) table.dropNode(event.node)
      // A barrier waits for it no longer.
      system.send(pid, { t: 'nodedown', node: event.node } satisfies TrackerMessage)
    }
  })
  system.monitor(pid, () => {
    stopNodes()
    table.clear()
    handle.stopped = true
  })
  return handle
}

class PresenceHandle extends ServiceHandle implements Presence {
  readonly scope: string
  readonly #system: ActorSystem
  readonly #table: PresenceTable
  /** Versions of this node's entries: a peer tells an update from a repeat by them. */
  #version = 0

  constructor(system: ActorSystem, scope: string, pid: Pid, table: PresenceTable) {
    super(system, pid)
    this.#system = system
    this.scope = scope
    this.#table = table
  }

  track(pid: Pid, topic: string, key: string, meta: unknown): void {
    this.#check(pid, topic, 'track')
    checkString('key', key)
    checkMeta(meta)
    if (!this.#system.isAlive(pid)) return
    this.#put(pid, topic, key, meta)
  }

  update(pid: Pid, topic: string, key: string, meta: unknown): void {
    this.#check(pid, topic, 'update')
    checkString('key', key)
    checkMeta(meta)
    if (this.#table.find(topic, pid, key) === undefined) {
      throw new CohortError('COHORT_ERR_NOT_TRACKED', `${String(pid)} does not track ${JSON.stringify(key)} in ${JSON.stringify(topic)} on ${this.#system.node}`)
    }
    this.#put(pid, topic, key, meta)
  }

  untrack(pid: Pid, topic: string, key?: string): void {
    this.#check(pid, topic, 'untrack')
    if (key !== undefined) checkString('key', key)
    const keys = this.#table.remove(topic, pid, key)
    if (keys.length > 0) this.#system.send(this.pid, { t: 'localUntrack', topic, pid, keys } satisfies TrackerMessage)
  }

  list(topic: string): PresenceEntry[] {
    return this.#table.list(topic)
  }

  topics(): string[] {
    return this.#table.topics()
  }

  subscribe(topic: string, listener: PresenceListener): () => void {
    checkString('topic', topic)
    if (typeof listener !== 'function') throw new InvalidOptionError('listener', listener, 'a function')
    return this.#table.subscribe(topic, listener)
  }

  async synced(options: SyncedOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
    const timeoutMs = options.timeoutMs ?? DEFAULT_SYNCED_OPTIONS.timeoutMs
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds')
    }
    if (this.stopped) {
      throw new CohortError('COHORT_ERR_NOPROC', `the presence scope ${JSON.stringify(this.scope)} has stopped on ${this.#system.node}`)
    }
    // The tracker answers at timeoutMs itself, naming the missing nodes; the call's own timeout is only a backstop.
    const outcome = await this.#system.call<BarrierOutcome>(this.pid, { t: 'synced', timeoutMs } satisfies TrackerRequest, timeoutMs + 5_000)
    if (outcome !== null) {
      throw new CohortError(
        'COHORT_ERR_PRESENCE_NOT_SYNCED',
        `the presence scope ${JSON.stringify(this.scope)} of ${outcome.missing.join(', ')} did not confirm ${this.#system.node}'s changes within ${timeoutMs} ms: start the scope there too (startPresence with this scope), or check that node`,
      )
    }
  }

  #put(pid: Pid, topic: string, key: string, meta: unknown): void {
    const v = ++this.#version
    this.#table.put(topic, key, meta, this.#system.node, pid, v)
    this.#system.send(this.pid, { t: 'localTrack', entry: [topic, key, meta, pid, v] } satisfies TrackerMessage)
  }

  #check(pid: Pid, topic: string, verb: 'track' | 'update' | 'untrack'): void {
    if (this.stopped) {
      throw new CohortError('COHORT_ERR_NOPROC', `the presence scope ${JSON.stringify(this.scope)} has stopped on ${this.#system.node}`)
    }
    if (!(pid instanceof Pid)) throw new InvalidOptionError('pid', pid, 'a Pid')
    if (pid.node !== this.#system.node) {
      throw new CohortError('COHORT_ERR_NOT_LOCAL', `cannot ${verb} ${String(pid)} on ${this.#system.node}: only the tracker of its own node can`)
    }
    checkString('topic', topic)
  }
}

/** Throws when `meta` cannot cross a node, or takes more than MAX_PRESENCE_META_BYTES encoded. */
function checkMeta(meta: unknown): void {
  // Measured only when the walk's bound does not already keep it under the limit.
  if (serializableBound(meta, 'meta', { wellFormedStrings: true }) <= MAX_PRESENCE_META_BYTES) return
  const bytes = metaBytes(meta)
  if (bytes > MAX_PRESENCE_META_BYTES) {
    throw new InvalidOptionError('meta', meta, `a meta of at most ${MAX_PRESENCE_META_BYTES} bytes encoded; this one takes ${bytes}`)
  }
}

/** The `sync` messages that carry `entries` to a peer: one, or parts of a large snapshot (snapshot-parts.ts). */
function syncParts(self: Pid, entries: WirePresence[], partBytes: number): TrackerMessage[] {
  // A pid and a version take well under 64 bytes; topic and key at most 3 bytes a UTF-16 unit.
  const parts = splitSnapshot(entries, (e) => 64 + (e[0].length + e[1].length) * 3 + metaBytes(e[2]), partBytes)
  return parts.map((part, i) => ({ t: 'sync', peer: self, entries: part, ...partFields(i, parts.length) }))
}

function checkString(option: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionError(option, value, 'a non-empty string')
  // A lone surrogate crosses as U+FFFD: peers would list the entry under another topic or key.
  if (!value.isWellFormed()) throw new InvalidOptionError(option, value, 'a string without unpaired surrogates (it crosses nodes as UTF-8)')
}

function isWirePresence(w: unknown, node: string): w is WirePresence {
  return (
    Array.isArray(w) &&
    w.length === 5 &&
    typeof w[0] === 'string' &&
    typeof w[1] === 'string' &&
    w[3] instanceof Pid &&
    w[3].node === node &&
    Number.isSafeInteger(w[4])
  )
}

/** The tracker actor's state: the monitors of local tracked pids, and the open barriers of `synced()`. */
interface TrackerState {
  readonly monitors: Map<string, Ref>
  readonly barriers: SyncBarriers
}

function trackerBehaviour(system: ActorSystem, name: string, table: PresenceTable, peers: Peers): ServerBehaviour<TrackerState, undefined> {
  const logger = system.logger
  const gathering = new SnapshotGathering<WirePresence>()
  const malformed = (msg: unknown): void => {
    logger.warn({ msg: describeValue(msg) }, 'a presence tracker dropped a malformed message')
  }
  return {
    name,
    init(_args, ctx) {
      for (const node of system.nodes()) peers.discover(ctx, node)
      return { monitors: new Map(), barriers: new SyncBarriers((node) => peers.pidOf(node)) }
    },
    handleCall(request: TrackerRequest, from, state, ctx) {
      if (request?.t !== 'synced') return { reply: { missing: [] } satisfies BarrierOutcome, state }
      // After every delta sent so far (this call sits behind the local changes in the mailbox), so a ping follows them.
      const reply = state.barriers.open(ctx, from, system.nodes(), request.timeoutMs)
      return reply === undefined ? { noreply: state } : { reply, state }
    },
    handleInfo(msg: TrackerMessage | Down, state, ctx) {
      if (typeof msg !== 'object' || msg === null) {
        malformed(msg)
        return state
      }
      if (msg instanceof Down) {
        const pid = msg.pid
        if (pid !== undefined && state.monitors.get(pid.key)?.equals(msg.ref) === true) {
          state.monitors.delete(pid.key)
          const byTopic = new Map<string, string[]>()
          for (const [topic, key] of table.removePid(pid)) {
            const keys = byTopic.get(topic)
            if (keys === undefined) byTopic.set(topic, [key])
            else keys.push(key)
          }
          for (const [topic, keys] of byTopic) peers.sendAll(ctx, { t: 'untrack', peer: ctx.self, topic, pid, keys } satisfies TrackerMessage)
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
          peers.answerDiscover(ctx, msg.peer, syncParts(ctx.self, table.snapshot(system.node), partBytesOf(system)), (node) => table.dropNode(node))
          // The peer has this node's snapshot now: barriers waiting for it can ask it.
          if (msg.peer instanceof Pid && peers.has(msg.peer)) state.barriers.snapshotSent(ctx, msg.peer.node)
          return state
        case 'sync': {
          if (!peers.accepts(msg.peer)) return state
          const node = msg.peer.node
          if (!Array.isArray(msg.entries) || !msg.entries.every((w) => isWirePresence(w, node)) || !partFieldsValid(msg)) {
            gathering.drop(node)
            malformed(msg)
            return state
          }
          const entries = gathering.receive(msg.peer, msg, msg.entries)
          if (entries === undefined) return state
          peers.add(ctx, msg.peer)
          table.replaceNode(node, entries)
          return state
        }
        case 'track':
          if (!(msg.peer instanceof Pid) || !peers.has(msg.peer)) return state
          if (!isWirePresence(msg.entry, msg.peer.node)) {
            malformed(msg)
            return state
          }
          table.put(msg.entry[0], msg.entry[1], msg.entry[2], msg.peer.node, msg.entry[3], msg.entry[4])
          return state
        case 'untrack':
          if (!(msg.peer instanceof Pid) || !peers.has(msg.peer)) return state
          if (typeof msg.topic !== 'string' || !(msg.pid instanceof Pid) || !Array.isArray(msg.keys)) {
            malformed(msg)
            return state
          }
          for (const key of msg.keys) if (typeof key === 'string') table.remove(msg.topic, msg.pid, key)
          return state
        case 'localTrack': {
          const pid = msg.entry[3]
          // The entry may be gone already (untracked, or its pid exited): then there is nothing to watch or tell.
          if (table.find(msg.entry[0], pid, msg.entry[1])?.v !== msg.entry[4]) return state
          if (!state.monitors.has(pid.key)) state.monitors.set(pid.key, ctx.monitor(pid))
          peers.sendAll(ctx, { t: 'track', peer: ctx.self, entry: msg.entry } satisfies TrackerMessage)
          return state
        }
        case 'localUntrack': {
          const ref = state.monitors.get(msg.pid.key)
          if (ref !== undefined && !table.hasPid(msg.pid)) {
            state.monitors.delete(msg.pid.key)
            ctx.demonitor(ref, { flush: true })
          }
          peers.sendAll(ctx, { t: 'untrack', peer: ctx.self, topic: msg.topic, pid: msg.pid, keys: msg.keys } satisfies TrackerMessage)
          return state
        }
        case 'ping':
        case 'pong':
        case 'syncTimeout':
          state.barriers.handle(ctx, msg)
          return state
        default:
          malformed(msg)
          return state
      }
    },
  }
}

export type { PresenceDiff, PresenceEntry, PresenceListener }
