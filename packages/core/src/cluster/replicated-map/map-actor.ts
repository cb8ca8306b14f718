/**
 * The map actor of a replicated map scope, one per node: finds the scope's peers, sends them the local changes in
 * delta batches, merges theirs, catches up with each new peer by comparing range hashes (catch-up.ts), and expires
 * TTL'd keys and collects tombstones on its sweep timer.
 */
import type { Ctx } from '../../actor/ctx.ts'
import type { ServerBehaviour } from '../../actor/server-behaviour.ts'
import { CohortError, describeValue } from '../../errors.ts'
import { Pid } from '../../pid.ts'
import type { Ref } from '../../ref.ts'
import { Down } from '../../signals.ts'
import { flushDistribution } from '../../system/actor-system.ts'
import type { Peers } from '../peers.ts'
import { partBytesOf } from '../snapshot-parts.ts'
import {
  childHashes,
  compareRanges,
  compareVersionLists,
  decodeRangeHashShift,
  decodeRangeNumbers,
  decodeVersions,
  encodeRangeNumbers,
  rangesProblem,
  roundHashShift,
  versionsOf,
  decodeWant,
  encodeWant,
  wantedEntries,
} from './catch-up.ts'
import { MAX_OPEN_ROUNDS_PER_PEER, shareOf, splitShare } from './catch-up-rounds.ts'
import type { RoundShare } from './catch-up-rounds.ts'
import { DeltaBatchBuilder, decodeDeltaBatch } from './delta-batch.ts'
import type { ApplyEntry, FindEntry, WarmEntries } from './delta-batch.ts'
import { dropPeer, FLUSH } from './map-shared.ts'
import type { ConfirmRequest, MapMessage, Shared } from './map-shared.ts'
import type { Entry } from './entry.ts'
import type { ReplicaStore } from './replica-store.ts'
import { WriteConfirmations } from './write-confirmations.ts'
import type { ConfirmationOutcome, FinishedConfirmation } from './write-confirmations.ts'

/** The map actor's own state: its timers. */
interface ActorState {
  sweepTimer: Ref | undefined
}

export function mapBehaviour<V>(shared: Shared<V>, name: string): ServerBehaviour<ActorState, undefined> {
  const { system, store, outbox, peers, options } = shared
  const logger = system.logger.child({ scope: options.scope })
  const drop = (from: Pid, what: string, problem: string): void => {
    logger.warn({ peer: String(from), problem }, `dropped a malformed ${what} message from a replicated map peer`)
  }
  const applyEntry: ApplyEntry = (key, wall, counter, node, deleted, expiresAt, value, placeAs, held, start, end) => {
    store.applyRemote(key, wall, counter, node, deleted, expiresAt, value, placeAs, held, start, end)
  }
  const findEntry: FindEntry = (bytes, start, end, keyHash) => store.entryOfAscii(bytes, start, end, keyHash)
  const warmEntries: WarmEntries = (keyHashes, count) => store.warmAscii(keyHashes, count)
  // Reused: its scratch buffer grows once to the size of a batch.
  const flushBatch = new DeltaBatchBuilder(store.blocks)
  const confirmations = new WriteConfirmations()
  const finish = (ctx: Ctx, done: readonly FinishedConfirmation[]): void => {
    for (const { from, timer, outcome } of done) {
      if (timer !== undefined) ctx.cancelTimer(timer)
      ctx.reply(from, outcome satisfies ConfirmationOutcome)
    }
  }
  /** Pings the peers of every confirmation whose entries have now all been sent, behind those entries' batches. */
  const pingDue = (ctx: Ctx): void => {
    if (confirmations.size === 0) return
    const done = confirmations.pingDue(outbox.taken, (id, node) => {
      const to = peerPid(peers, node)
      if (to !== undefined) ctx.send(to, { t: 'ping', peer: ctx.self, id } satisfies MapMessage)
      return to
    })
    finish(ctx, done)
  }
  /**
   * Sends a batch of `entries` to `to`. A batch over the transport's `maxMessageBytes` (a node whose limit is below
   * the map's `maxEntryBytes`) goes again one entry a message, so that the others get through (its deletes still
   * acknowledged); an entry that is over on its own is logged and stays unsent, to be tried again by the next
   * catch-up. The actor never crashes on it.
   */
  const sendDelta = (ctx: Ctx, to: Pid, msg: MapMessage, entries: readonly Entry[]): void => {
    try {
      ctx.send(to, msg)
    } catch (err) {
      if (!(err instanceof CohortError && err.code === 'COHORT_ERR_MESSAGE_TOO_LARGE')) throw err
      if (entries.length === 1) {
        logger.error({ peer: String(to), key: entries[0]!.key, err }, 'a replicated map entry is too large to send to a peer; lower maxEntryBytes below maxMessageBytes')
        return
      }
      // The batch's acknowledgement number (it carried this node's deletes) goes on the last message, and the
      // deletes (small, never over) go last: the peer's ack then says it applied all of them, as for the batch.
      const seq = msg.t === 'delta' ? msg.seq : undefined
      const ordered = seq === undefined ? entries : [...entries.filter((e) => !e.deleted), ...entries.filter((e) => e.deleted)]
      const one = new DeltaBatchBuilder(store.blocks)
      ordered.forEach((e, i) => {
        one.add(e)
        const last = i === ordered.length - 1
        sendDelta(ctx, to, { t: 'delta', peer: ctx.self, ...one.take(), ...(last && seq !== undefined ? { seq } : {}) }, [e])
      })
    }
  }
  const sendEntries = (ctx: Ctx, to: Pid, entries: Iterable<Entry>): void => {
    const batch = new DeltaBatchBuilder(store.blocks)
    const batchBytes = partBytesOf(system)
    let inBatch: Entry[] = []
    const send = (): void => {
      sendDelta(ctx, to, { t: 'delta', peer: ctx.self, ...batch.take() }, inBatch)
      inBatch = []
    }
    for (const e of entries) {
      batch.add(e)
      inBatch.push(e)
      if (batch.length === options.batchSize || batch.bytes >= batchBytes) send()
    }
    if (batch.length > 0) send()
  }
  /**
   * Sends the outbox's pending entries to every peer, up to `batchSize` of them or until the batch reaches
   * `partBytesOf(system)` (1 MiB, or a quarter of the transport's `maxMessageBytes` when lower, so large values never
   * add up past it); returns false when none was pending.
   */
  const sendBatch = (ctx: Ctx): boolean => {
    let deletes: Entry[] | undefined
    const batchBytes = partBytesOf(system)
    const entries = outbox.take(options.batchSize, (e) => {
      flushBatch.add(e)
      if (e.deleted && e.node === system.node) (deletes ??= []).push(e)
      return flushBatch.bytes >= batchBytes
    })
    if (flushBatch.length === 0) return false
    // One message for every peer: the batch is encoded once, and messages are never changed after sending. A batch
    // with this node's deletes carries a sequence number, for the peers to acknowledge.
    const seq = deletes === undefined ? undefined : shared.acks.stamp(deletes)
    const msg = { t: 'delta', peer: ctx.self, ...flushBatch.take(), ...(seq === undefined ? {} : { seq }) } satisfies MapMessage
    for (const node of outbox.nodes()) {
      const to = peerPid(peers, node)
      if (to !== undefined) sendDelta(ctx, to, msg, entries)
    }
    return true
  }
  /**
   * The handle's `flush`, run in its caller's turn, outside the actor's: the pending entries leave as the actor's
   * own messages (in order with everything else it sends each peer), batch by batch until none is left or a peer's
   * connection is backed up, and the transport writes them at once. A queued FLUSH still comes and finds less to do.
   * A paused actor sends nothing: its connection is backed up, and the outbox keeps one pending entry per key meanwhile.
   */
  const flushNow = (ctx: Ctx & { readonly paused: boolean }): void => {
    let sent = false
    while (!ctx.paused && sendBatch(ctx)) sent = true
    pingDue(ctx)
    if (sent) for (const node of outbox.nodes()) flushDistribution(system, node)
  }
  const startSync = (ctx: Ctx, node: string): void => {
    const peer = peerPid(peers, node)
    if (peer === undefined) return
    const share = shared.rounds.start(node, system.clock.now())
    const shift = roundHashShift(share.round)
    const hashes = childHashes(store.digest, [0], shift)
    ctx.send(peer, { t: 'ranges', peer: ctx.self, parents: encodeRangeNumbers([0]), hashes, ...(shift === 0 ? {} : { shift }), ...share } satisfies MapMessage)
  }
  /**
   * Hands back a share of a catch-up round whose step has nothing more to answer with (catch-up-rounds.ts): counted
   * here when this node started the round (the one with the smaller name), sent to the peer that did otherwise.
   */
  const settle = (ctx: Ctx, peer: unknown, share: RoundShare | undefined): void => {
    // Only to and from the current peer of a node: a step with no pid, or from an old incarnation, settles nothing.
    if (share === undefined || share.w === 0 || !isCurrent(peers, peer)) return
    if (system.node > peer.node) {
      ctx.send(peer, { t: 'settled', peer: ctx.self, ...share } satisfies MapMessage)
    } else if (shared.rounds.credit(peer.node, share)) {
      ctx.send(peer, { t: 'caughtup', peer: ctx.self, round: share.round } satisfies MapMessage)
      finish(ctx, confirmations.caughtUp(peer.node))
    }
  }
  /** Sends catch-up entries, and after them the share of the round they answer, once the peer has applied them. */
  const sendSettledEntries = (ctx: Ctx, to: Pid, entries: readonly Entry[], share: RoundShare | undefined): void => {
    sendEntries(ctx, to, entries)
    if (share !== undefined && share.w > 0) ctx.send(to, { t: 'settled', peer: ctx.self, ...share } satisfies MapMessage)
  }
  const added = (ctx: Ctx, peer: Pid, change: 'new' | 'known' | 'replaced'): void => {
    if (change === 'known') return
    // A new incarnation of the peer holds none of what the old one was caught up with, and never saw a ping of the
    // old one's; the old one's Down will not come (its monitor is dropped).
    if (change === 'replaced') {
      shared.rounds.dropPeer(peer.node)
      if (confirmations.size > 0) finish(ctx, confirmations.prune((n) => peerPid(peers, n)))
    }
    outbox.addPeer(peer.node)
    shared.acks.addPeer(peer.node)
    // One side starts the catch-up, so a pair does not run it twice.
    if (system.node < peer.node) startSync(ctx, peer.node)
  }
  const arm = (ctx: Ctx, state: ActorState): void => {
    shared.armRequested = false
    const due = store.nextDue()
    if (due === undefined || due >= shared.armedAt) return
    if (state.sweepTimer !== undefined) ctx.cancelTimer(state.sweepTimer)
    shared.armedAt = due
    state.sweepTimer = ctx.sendAfter(ctx.self, { t: 'sweep' } satisfies MapMessage, Math.max(0, due - system.clock.now()))
  }

  return {
    name,
    init(_args, ctx) {
      // The actor is its own ctx (system/actor.ts), and its `paused` says whether backpressure holds it.
      shared.flushNow = () => flushNow(ctx as Ctx & { readonly paused: boolean })
      for (const node of system.nodes()) peers.discover(ctx, node)
      if (options.syncIntervalMs > 0) ctx.sendAfter(ctx.self, { t: 'sync' } satisfies MapMessage, options.syncIntervalMs)
      return { sweepTimer: undefined }
    },
    handleCall(request: ConfirmRequest, from, state, ctx) {
      if (request?.t !== 'confirm') return { reply: { confirmed: [], missing: [] } satisfies ConfirmationOutcome, state }
      const id = confirmations.open(from, peers.nodes(), request.atLeast, request.upTo)
      if (id === undefined) return { reply: { confirmed: [], missing: [] } satisfies ConfirmationOutcome, state }
      if (request.timeoutMs !== Infinity) confirmations.setTimer(id, ctx.sendAfter(ctx.self, { t: 'confirmTimeout', id } satisfies MapMessage, request.timeoutMs))
      const oldest = confirmations.overflow()
      if (oldest !== undefined) finish(ctx, [oldest])
      // What the confirmation waits for leaves now, not after the turn's flush; then the pings follow it.
      while (outbox.taken < request.upTo && !(ctx as Ctx & { readonly paused: boolean }).paused && sendBatch(ctx));
      pingDue(ctx)
      return { noreply: state }
    },
    handleInfo(msg: MapMessage | Down, state, ctx) {
      if (typeof msg !== 'object' || msg === null) {
        logger.warn({ msg: describeValue(msg) }, 'a replicated map actor ignored an unknown message')
        return state
      }
      if (msg instanceof Down) {
        const node = peers.downOf(msg)
        if (node !== undefined) {
          peers.drop(node)
          dropPeer(shared, node)
        }
        // A peer's end, whether or not the node monitor dropped it first: confirmations no longer wait for it.
        if (confirmations.size > 0) finish(ctx, confirmations.prune((n) => peerPid(peers, n)))
        return state
      }
      switch (msg.t) {
        case 'flush': {
          outbox.flushQueued = false
          sendBatch(ctx)
          pingDue(ctx)
          // The rest goes in later turns, so other actors (and the sockets) run in between.
          if (outbox.hasPending() && !outbox.flushQueued) {
            outbox.flushQueued = true
            ctx.send(ctx.self, FLUSH)
          }
          return state
        }
        case 'nodeup':
          peers.discover(ctx, msg.node)
          return state
        case 'discover':
          if (!peers.accepts(msg.peer)) return state
          ctx.send(msg.peer, { t: 'hello', peer: ctx.self } satisfies MapMessage)
          {
            const change = peers.add(ctx, msg.peer)
            added(ctx, msg.peer, change)
            if (change !== 'known') peers.discover(ctx, msg.peer.node)
          }
          return state
        case 'hello':
          if (peers.accepts(msg.peer)) added(ctx, msg.peer, peers.add(ctx, msg.peer))
          return state
        case 'delta': {
          decodeDeltaBatch(
            msg,
            (problem) => drop(msg.peer, 'delta', problem),
            applyEntry,
            findEntry,
            warmEntries,
          )
          // The values that won were copied out of the frame: the view kept for those copies must not keep it alive.
          store.blocks.releaseSource()
          if (msg.seq !== undefined && Number.isSafeInteger(msg.seq) && isCurrent(peers, msg.peer)) {
            ctx.send(msg.peer, { t: 'ack', peer: ctx.self, seq: msg.seq } satisfies MapMessage)
          }
          arm(ctx, state)
          return state
        }
        case 'ack': {
          if (!isCurrent(peers, msg.peer) || !Number.isSafeInteger(msg.seq)) {
            drop(msg.peer, 'ack', 'seq must be an integer from a current peer')
            return state
          }
          shared.acks.acked(msg.peer.node, msg.seq)
          const { entries, counted } = shared.acks.collectable(system.clock.now())
          if (entries.length === 0) return state
          const keys: string[] = []
          const fps: number[] = []
          for (const e of entries) {
            keys.push(e.key)
            fps.push(e.fp >>> 0)
            store.collect(e)
          }
          peers.sendAll(ctx, { t: 'collect', peer: ctx.self, keys, fps, counted } satisfies MapMessage)
          return state
        }
        case 'collect': {
          const { keys, fps, counted } = msg
          if (!Array.isArray(keys) || !Array.isArray(fps) || keys.length !== fps.length || !Array.isArray(counted)) {
            drop(msg.peer, 'collect', 'keys and fps must be arrays of one length, counted an array')
            return state
          }
          if (!isCurrent(peers, msg.peer) || !shared.acks.mayFollow(msg.peer.node, counted as string[], system.clock.now())) return state
          for (let i = 0; i < keys.length; i++) {
            if (typeof keys[i] === 'string' && Number.isInteger(fps[i])) store.collectKey(keys[i] as string, fps[i] as number)
          }
          return state
        }
        case 'ranges': {
          const parents = decodeRangeNumbers(msg.parents)
          const shift = decodeRangeHashShift(msg.shift)
          const problem = rangesProblem(parents, msg.hashes) ?? (shift === undefined ? 'shift must be 0 or 8' : undefined)
          if (problem !== undefined) {
            drop(msg.peer, 'ranges', problem)
            return state
          }
          const { descend, settle: settleBy } = compareRanges(store as ReplicaStore<unknown>, parents!, msg.hashes, shift)
          const share = shareOf(msg)
          const answers = (descend.length > 0 ? 1 : 0) + (settleBy.length > 0 ? 1 : 0)
          if (answers === 0) settle(ctx, msg.peer, share)
          const [first, second] = share === undefined ? [] : splitShare(share, Math.max(answers, 1))
          if (descend.length > 0) {
            const hashes = childHashes(store.digest, descend, shift)
            const step = { t: 'ranges', peer: ctx.self, parents: encodeRangeNumbers(descend), hashes, ...(shift === 0 ? {} : { shift }), ...first } satisfies MapMessage
            ctx.send(msg.peer, step)
          }
          if (settleBy.length > 0) {
            const versions = versionsOf(store as ReplicaStore<unknown>, settleBy)
            ctx.send(msg.peer, { t: 'versions', peer: ctx.self, ...versions, ...(descend.length > 0 ? second : first) } satisfies MapMessage)
          }
          return state
        }
        case 'versions': {
          const step = decodeVersions(msg)
          if (typeof step === 'string') {
            drop(msg.peer, 'versions', step)
            return state
          }
          const answer = compareVersionLists(store as ReplicaStore<unknown>, step)
          const share = shareOf(msg)
          const pushes = answer.push.length > 0
          const wants = answer.wantNodes.length > 0
          if (!pushes && !wants) settle(ctx, msg.peer, share)
          const [first, second] = share === undefined ? [] : splitShare(share, pushes && wants ? 2 : 1)
          if (pushes) sendSettledEntries(ctx, msg.peer, answer.push, first)
          if (wants) {
            ctx.send(msg.peer, { t: 'want', peer: ctx.self, ...encodeWant(answer.wantNodes, answer.wantKeys), ...(pushes ? second : first) } satisfies MapMessage)
          }
          return state
        }
        case 'want': {
          const want = decodeWant(msg)
          if (typeof want === 'string') {
            drop(msg.peer, 'want', want)
            return state
          }
          const entries = wantedEntries(store as ReplicaStore<unknown>, want.nodes, want.keys)
          if (entries.length === 0) settle(ctx, msg.peer, shareOf(msg))
          else sendSettledEntries(ctx, msg.peer, entries, shareOf(msg))
          return state
        }
        case 'settled': {
          const share = shareOf(msg)
          if (share === undefined) {
            drop(msg.peer, 'settled', 'round and w must be whole numbers, w at most the round\'s weight')
            return state
          }
          settle(ctx, msg.peer, share)
          return state
        }
        case 'caughtup':
          // Only the peer that starts catch-ups (the smaller name) says so.
          if (isCurrent(peers, msg.peer) && msg.peer.node < system.node) {
            shared.rounds.markCaughtUp(msg.peer.node)
            finish(ctx, confirmations.caughtUp(msg.peer.node))
          }
          return state
        case 'sweep':
          state.sweepTimer = undefined
          shared.armedAt = Infinity
          store.sweep()
          arm(ctx, state)
          return state
        case 'arm':
          arm(ctx, state)
          return state
        case 'sync': {
          // Not with a peer whose catch-up is still under way (a large one can outlast the interval): a second round
          // would ask for the entries still in flight again. One open for MAX_OPEN_ROUNDS_PER_PEER intervals is lost.
          const now = system.clock.now()
          const maxAgeMs = MAX_OPEN_ROUNDS_PER_PEER * options.syncIntervalMs
          for (const node of peers.nodes()) if (system.node < node && !shared.rounds.busyWith(node, now, maxAgeMs)) startSync(ctx, node)
          ctx.sendAfter(ctx.self, { t: 'sync' } satisfies MapMessage, options.syncIntervalMs)
          return state
        }
        case 'ping':
          if (!(msg.peer instanceof Pid) || !Number.isSafeInteger(msg.id)) {
            drop(msg.peer, 'ping', 'peer must be a pid and id an integer')
            return state
          }
          // Every batch the peer sent before this ping is applied: messages between two actors arrive in order.
          ctx.send(msg.peer, { t: 'pong', peer: ctx.self, id: msg.id } satisfies MapMessage)
          return state
        case 'pong':
          if (!Number.isSafeInteger(msg.id)) {
            drop(msg.peer, 'pong', 'id must be an integer')
            return state
          }
          // One from an incarnation that was replaced meanwhile counts for nothing.
          if (isCurrent(peers, msg.peer)) {
            const done = confirmations.pong(msg.id, msg.peer, shared.rounds.isCaughtUp(msg.peer.node))
            if (done !== undefined) finish(ctx, [done])
          }
          return state
        case 'confirmTimeout': {
          const expired = confirmations.expire(msg.id)
          if (expired !== undefined) finish(ctx, [expired])
          return state
        }
        default:
          logger.warn({ msg: describeValue(msg) }, 'a replicated map actor ignored an unknown message')
          return state
      }
    },
  }
}

/** True when `pid` is the current peer of its node (a message from an old incarnation, or not from a pid, is not). */
function isCurrent(peers: Peers, pid: unknown): pid is Pid {
  return pid instanceof Pid && peers.has(pid)
}

/** The pid of the current peer on `node`. */
function peerPid(peers: Peers, node: string): Pid | undefined {
  return peers.pidOf(node)
}
