/**
 * FirstCatchUp: whether a cache node holds its peers' data yet, for `/readyz`. A node that starts or restarts holds
 * nothing until its map's catch-ups with its peers end (`ReplicatedMap.caughtUp`), and a read before then answers
 * "absent" for keys every other node holds. So readiness waits until a catch-up has ended with every peer it can
 * reach: the nodes discovery reports that are connected or being dialled, and any node of the scope connected to it.
 * With one peer only, two nodes restarted together would count each other, both still empty.
 *
 * Once met it stays met for that replica: a node that later loses its peers keeps its data. A replica the supervisor
 * restarted starts empty, so it is waited for again. A node that discovery reports alone is the first of its cluster
 * and holds all the data there is: that counts as met, so it keeps serving when others join and catch up from it
 * (counted as not met, a cluster scaled from one node to two lost its only serving node for the new one's catch-up).
 * While every node discovery reports failed its last dial, the node is ready without that counting as met: a node
 * restarted while cut off from its peers serves, and waits for them once they are back.
 *
 * The wait has an end, `maxWaitMs` after the replica started: a peer that never ends a catch-up (a version without
 * `caughtUp`, in a rolling upgrade; a node that accepts connections but runs no cache) must not keep the node out of
 * service for good. Past it the node is ready and says which peers it gave up on (`onGiveUp`); with 0 it does not wait,
 * and says nothing.
 */

/** What FirstCatchUp reads of the map. */
export interface CatchUpSource {
  /** The current replica's actor: a new one (a new pid) holds nothing yet. */
  readonly pid: unknown
  caughtUp(): string[]
  peers(): string[]
}

/** What FirstCatchUp reads of discovery: the reported nodes and whether each is connected, being dialled, or not. */
export interface MemberSource {
  members(): ReadonlyArray<{ readonly name: string; readonly state: 'connected' | 'connecting' | 'backoff' }>
}

export interface FirstCatchUpOptions {
  /** The longest a replica waits, from when it is first seen (`CACHE_READY_CATCH_UP_MS`). */
  readonly maxWaitMs: number
  /** The clock, in ms. */
  readonly now: () => number
  /** Called once when the wait ends unmet, with the peers no catch-up had ended with. */
  readonly onGiveUp?: (pending: string[]) => void
}

export class FirstCatchUp {
  readonly #map: CatchUpSource
  readonly #cluster: MemberSource
  readonly #o: FirstCatchUpOptions
  /** The replica (its pid) being waited for, since when, and whether its wait is over. */
  #replica: unknown = undefined
  #since = 0
  #done = false

  constructor(map: CatchUpSource, cluster: MemberSource, options: FirstCatchUpOptions) {
    this.#map = map
    this.#cluster = cluster
    this.#o = options
  }

  /**
   * Why the node may not hold its peers' data yet; undefined once it does, while nobody can be reached, or once the
   * wait is over. Ask only once discovery has succeeded: before that, no node is reported.
   */
  notDoneReason(): string | undefined {
    // Asked before every RESP command (its LOADING check), so the common answer costs a comparison: the replica is
    // told apart by its pid's identity, one object for the replica's life.
    const replica = this.#map.pid
    if (replica !== this.#replica) {
      this.#replica = replica
      this.#since = this.#o.now()
      this.#done = false
    }
    if (this.#done) return undefined
    const members = this.#cluster.members()
    const reachable = new Set(this.#map.peers())
    for (const member of members) if (member.state !== 'backoff') reachable.add(member.name)
    if (reachable.size === 0) {
      if (members.length === 0) this.#done = true
      return undefined
    }
    const caughtUp = new Set(this.#map.caughtUp())
    const pending = [...reachable].filter((node) => !caughtUp.has(node)).sort()
    if (pending.length === 0) {
      this.#done = true
      return undefined
    }
    if (this.#o.now() - this.#since >= this.#o.maxWaitMs) {
      this.#done = true
      // A wait of 0 is the operator's choice not to wait: nothing was given up on, so nothing to warn about.
      if (this.#o.maxWaitMs > 0) this.#o.onGiveUp?.(pending)
      return undefined
    }
    return `catching up: no catch-up has ended yet with ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? `, and ${pending.length - 5} more` : ''}`
  }
}
