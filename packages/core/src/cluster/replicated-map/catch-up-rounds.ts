/**
 * CatchUpRounds: how a replica learns that a catch-up with a peer has ended (`ReplicatedMap.caughtUp`), so that a
 * node that has just started can wait for its data before it serves reads (the cache's readiness).
 *
 * The catch-up's steps (catch-up.ts) keep no state, and one step may answer with several (a `ranges` with a deeper
 * `ranges` and a `versions`, a `versions` with entries and a `want`), so neither side sees the last one go by. The
 * side that starts a round counts instead, by weights (Mattern's credit recovery): it gives the first step the whole
 * weight, every step splits the weight it carries among the steps it answers with, and a step that answers with none
 * hands its weight back to the starter. The entries a step sends are followed by a `settled` message carrying their
 * share, which the receiver hands back once it has applied them (messages between two actors keep their order). When
 * the starter holds the whole weight again, nothing of the round is left in flight on either side: every entry either
 * side sent has been applied. It then tells the peer (`caughtup`), and both count each other as caught up.
 *
 * Only the node with the smaller name starts catch-ups with a peer (map-actor.ts), so each side knows which one counts.
 * A peer that drops takes its open rounds with it; the next nodeup starts a new one.
 */

/** The weight a round starts with: shares stay whole numbers through far more splits than a catch-up's few levels. */
export const ROUND_WEIGHT = 2 ** 52

/**
 * Open rounds kept per peer: a periodic catch-up starts one every `syncIntervalMs`, and a peer that never answers
 * (it stopped mid-round without a Down yet) must not make them pile up. The oldest goes first.
 */
export const MAX_OPEN_ROUNDS_PER_PEER = 4

/** What a step of a counted round carries. */
export interface RoundShare {
  /** The round, numbered by the side that started it. */
  readonly round: number
  /** The share of the round's weight this step carries. */
  readonly w: number
}

/**
 * Splits `share` among `n` steps (n ≥ 1); the first takes the remainder. A share too small to split goes whole to
 * the first and the others carry 0, which ends nothing: a step with 0 could still be in flight when the round ends.
 * Honest peers never get there: a step answers with at most two, the range tree is 8 levels deep, and the deepest
 * chain of a round (ranges down the tree, then versions, want, entries) leaves shares of about 2^40.
 */
export function splitShare(share: RoundShare, n: number): RoundShare[] {
  if (n <= 1 || share.w < n) return [share, ...Array.from({ length: Math.max(0, n - 1) }, () => ({ round: share.round, w: 0 }))]
  const each = Math.floor(share.w / n)
  const out: RoundShare[] = [{ round: share.round, w: share.w - each * (n - 1) }]
  for (let i = 1; i < n; i++) out.push({ round: share.round, w: each })
  return out
}

/** The share a step carries, if it is one of a counted round: undefined for a step without one (or a malformed one). */
export function shareOf(msg: { round?: unknown; w?: unknown }): RoundShare | undefined {
  const { round, w } = msg
  if (!Number.isSafeInteger(round) || !Number.isSafeInteger(w) || (w as number) < 0 || (w as number) > ROUND_WEIGHT) return undefined
  return { round: round as number, w: w as number }
}

/** The rounds a replica has started, and the peers it has caught up with. */
export class CatchUpRounds {
  #next = 1
  /** Open rounds by number: the peer node and the weight handed back so far. */
  readonly #open = new Map<number, { readonly node: string; readonly startedAt: number; returned: number }>()
  readonly #caughtUp = new Set<string>()

  /** Opens a round with `node` at clock time `now`; its first step carries the returned share. */
  start(node: string, now: number): RoundShare {
    const ofNode = [...this.#open].filter(([, open]) => open.node === node).map(([round]) => round)
    for (let i = 0; i <= ofNode.length - MAX_OPEN_ROUNDS_PER_PEER; i++) this.#open.delete(ofNode[i]!)
    const round = this.#next++
    this.#open.set(round, { node, startedAt: now, returned: 0 })
    return { round, w: ROUND_WEIGHT }
  }

  /** True when `round` is open here with `node`: a share of it comes home, not back to the peer. */
  owns(round: number, node: string): boolean {
    return this.#open.get(round)?.node === node
  }

  /**
   * Takes back a share of an open round from `node`; true when that completes it (the peer is then caught up with).
   * A share of a round not open here with that node (ended, or dropped with the peer) is ignored.
   */
  credit(node: string, share: RoundShare): boolean {
    const open = this.#open.get(share.round)
    if (open === undefined || open.node !== node) return false
    open.returned += share.w
    if (open.returned < ROUND_WEIGHT) return false
    this.#open.delete(share.round)
    this.#caughtUp.add(node)
    return true
  }

  /** Counts `node` as caught up with: the peer that started the round says it ended. */
  markCaughtUp(node: string): void {
    this.#caughtUp.add(node)
  }

  /** Forgets `node`: its open rounds, and that it was caught up with (a new incarnation must be caught up with again). */
  dropPeer(node: string): void {
    this.#caughtUp.delete(node)
    for (const [round, open] of this.#open) if (open.node === node) this.#open.delete(round)
  }

  /** True when `node` has been caught up with since it last joined. */
  isCaughtUp(node: string): boolean {
    return this.#caughtUp.has(node)
  }

  /** The peers caught up with since they last joined. */
  caughtUp(): string[] {
    return [...this.#caughtUp]
  }

  /**
   * True while a round with `node` started less than `maxAgeMs` before `now` is open: a periodic catch-up then waits,
   * since a second round while the first still moves entries would ask for the same entries again. An older one is
   * taken as lost (or as a peer that counts no rounds), and a new round goes ahead.
   */
  busyWith(node: string, now: number, maxAgeMs: number): boolean {
    for (const open of this.#open.values()) if (open.node === node && now - open.startedAt < maxAgeMs) return true
    return false
  }

  /** Rounds started and not ended. */
  get openRounds(): number {
    return this.#open.size
  }

  clear(): void {
    this.#open.clear()
    this.#caughtUp.clear()
  }
}
