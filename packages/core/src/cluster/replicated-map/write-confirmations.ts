/**
 * WriteConfirmations: the bookkeeping behind `ReplicatedMap.synced()` and `replicatedTo()`, kept by the map actor. A
 * confirmation asks the peers of the call's moment: "do you hold every change this node made before it?".
 *
 * How a peer can say yes: the call notes how many entries the outbox had queued (`upTo`). Once the outbox has taken
 * that many, every change made before the call has gone out in a delta batch (the newest version of each key, which
 * is what a later `get` would see), and the actor then sends each peer a `ping` behind those batches. Messages
 * between two actors arrive in order, so the peer's `pong` says it applied them. What was written before the peer
 * joined reaches it by catch-up, not by the outbox, so a peer counts only once its catch-up with this node has also
 * ended (`CatchUpRounds`): a `pong` that comes first waits for that.
 *
 * A confirmation ends when `atLeast` peers count, when no peer is left to hear from (each answered or left), or at
 * its timeout. A peer that leaves (or comes back as a new incarnation, which never saw the ping) is not waited for.
 * At most `MAX_OPEN_CONFIRMATIONS` wait at once: one without a timeout that a peer never answers (a peer of an
 * earlier version) would otherwise stay for good, its caller long gone; past it the oldest answers what it has.
 */
import type { From } from '../../actor/ctx.ts'
import type { Pid } from '../../pid.ts'
import type { Ref } from '../../ref.ts'

/** The most confirmations a map keeps open; past it the oldest ends at once, as at its timeout. */
export const MAX_OPEN_CONFIRMATIONS = 10_000

/** What a confirmation answers its caller: the peers that hold the writes, and those that did not say so in time. */
export interface ConfirmationOutcome {
  readonly confirmed: string[]
  readonly missing: string[]
}

/** A finished confirmation: whom to answer, the timer to cancel, and the answer. */
export interface FinishedConfirmation {
  readonly from: From
  readonly timer: Ref | undefined
  readonly outcome: ConfirmationOutcome
}

interface Confirmation {
  readonly from: From
  /** The outbox's count of queued entries at the call: once it has taken as many, they are all sent. */
  readonly upTo: number
  readonly atLeast: number
  /** Peers not counted yet, each with the pid it was pinged at (undefined until pinged). */
  readonly waiting: Map<string, Pid | undefined>
  /** Peers that answered before their catch-up with this node ended: they count once it does. */
  readonly answered: Set<string>
  readonly confirmed: string[]
  pinged: boolean
  timer: Ref | undefined
}

/** The open confirmations of one map actor. */
export class WriteConfirmations {
  readonly #open = new Map<number, Confirmation>()
  #nextId = 0

  get size(): number {
    return this.#open.size
  }

  /**
   * Opens a confirmation over `nodes`, finished once `atLeast` of them hold the entries the outbox had queued when
   * it counted `upTo`. Returns its id, or undefined when there is nothing to wait for (no peers, or `atLeast` 0).
   */
  open(from: From, nodes: readonly string[], atLeast: number, upTo: number): number | undefined {
    if (nodes.length === 0 || atLeast <= 0) return undefined
    const id = ++this.#nextId
    const waiting = new Map<string, Pid | undefined>(nodes.map((node) => [node, undefined]))
    this.#open.set(id, { from, upTo, atLeast: Math.min(atLeast, nodes.length), waiting, answered: new Set(), confirmed: [], pinged: false, timer: undefined })
    return id
  }

  setTimer(id: number, timer: Ref): void {
    const c = this.#open.get(id)
    if (c !== undefined) c.timer = timer
  }

  /**
   * The outbox has taken `taken` entries in all: for every confirmation whose entries are all sent and that has not
   * pinged yet, calls `ping(id, node)` for each peer it waits for, which returns the pid pinged (undefined: not a peer
   * any more, so not waited for). Returns the confirmations that this finished.
   */
  pingDue(taken: number, ping: (id: number, node: string) => Pid | undefined): FinishedConfirmation[] {
    const done: FinishedConfirmation[] = []
    for (const [id, c] of this.#open) {
      if (c.pinged || taken < c.upTo) continue
      c.pinged = true
      for (const node of [...c.waiting.keys()]) {
        const pid = ping(id, node)
        if (pid === undefined) c.waiting.delete(node)
        else c.waiting.set(node, pid)
      }
      const finished = this.#finishIfDone(id, c)
      if (finished !== undefined) done.push(finished)
    }
    return done
  }

  /** `from` answered the ping of confirmation `id`; `caughtUp` says whether its catch-up with this node has ended. */
  pong(id: number, from: Pid, caughtUp: boolean): FinishedConfirmation | undefined {
    const c = this.#open.get(id)
    if (c === undefined || c.waiting.get(from.node)?.equals(from) !== true) return undefined
    if (!caughtUp) {
      c.answered.add(from.node)
      return undefined
    }
    this.#count(c, from.node)
    return this.#finishIfDone(id, c)
  }

  /** The catch-up with `node` ended: the confirmations it had answered count it now. */
  caughtUp(node: string): FinishedConfirmation[] {
    const done: FinishedConfirmation[] = []
    for (const [id, c] of this.#open) {
      if (!c.answered.delete(node)) continue
      this.#count(c, node)
      const finished = this.#finishIfDone(id, c)
      if (finished !== undefined) done.push(finished)
    }
    return done
  }

  /**
   * Drops the peers that are gone: `current(node)` is the pid of the node's peer now (undefined when none). A peer
   * pinged at another pid was restarted and never saw the ping. Returns the confirmations that this finished.
   */
  prune(current: (node: string) => Pid | undefined): FinishedConfirmation[] {
    const done: FinishedConfirmation[] = []
    for (const [id, c] of this.#open) {
      for (const [node, pinged] of c.waiting) {
        const now = current(node)
        if (now === undefined || (pinged !== undefined && !pinged.equals(now))) {
          c.waiting.delete(node)
          c.answered.delete(node)
        }
      }
      const finished = this.#finishIfDone(id, c)
      if (finished !== undefined) done.push(finished)
    }
    return done
  }

  /** The oldest confirmation, ended as at its timeout, when more than MAX_OPEN_CONFIRMATIONS are open. */
  overflow(): FinishedConfirmation | undefined {
    if (this.#open.size <= MAX_OPEN_CONFIRMATIONS) return undefined
    const [oldest] = this.#open.keys()
    const c = this.#open.get(oldest!)!
    return { ...this.expire(oldest!)!, timer: c.timer }
  }

  /** Confirmation `id` ran out of time: closes it, with the peers that did not count as missing. */
  expire(id: number): FinishedConfirmation | undefined {
    const c = this.#open.get(id)
    if (c === undefined) return undefined
    this.#open.delete(id)
    return { from: c.from, timer: undefined, outcome: { confirmed: c.confirmed, missing: [...c.waiting.keys()].sort() } }
  }

  #count(c: Confirmation, node: string): void {
    c.waiting.delete(node)
    c.confirmed.push(node)
  }

  #finishIfDone(id: number, c: Confirmation): FinishedConfirmation | undefined {
    if (c.confirmed.length < c.atLeast && c.waiting.size > 0) return undefined
    this.#open.delete(id)
    return { from: c.from, timer: c.timer, outcome: { confirmed: c.confirmed, missing: [] } }
  }
}
