/**
 * FirstCatchUp: whether a cache node holds its peers' data yet, for `/readyz` and for the RESP and HTTP servers'
 * LOADING answers. A node that starts or restarts holds nothing until its map's catch-ups with its peers end
 * (`ReplicatedMap.caughtUp`), and a read before then answers "absent" for keys every other node holds. So it waits
 * until discovery has succeeded once, and then until a catch-up has ended with every peer it can reach: the nodes
 * discovery reports that are connected or being dialled, and any node of the scope connected to it. With one peer
 * only, two nodes restarted together would count each other, both still empty.
 *
 * Once met it stays met for that replica: a node that later loses its peers keeps its data. A replica the supervisor
 * restarted starts empty, so it is waited for again. While nobody can be reached (discovery reports no other node, or
 * every one it reports failed its last dial) the node serves, without that counting as met: a node restarted while
 * cut off from its peers waits for them once they are back. A node that has been alone for `aloneMs` (no node
 * reported, none connected) is the first of its cluster and holds all the data there is: that counts as met, so it
 * keeps serving while nodes that join later catch up from it. Not sooner: a restarted node that others dial (a seed
 * that lists no peers itself) is alone until their next redial, which may be discovery's longest redial delay away.
 *
 * The wait has an end, `maxWaitMs` after the replica started: discovery that never succeeds, or a peer that never ends
 * a catch-up (a version without `caughtUp`, in a rolling upgrade; a node that accepts connections but runs no cache),
 * must not keep the node out of service for good. Past it the node serves and says which peers it gave up on
 * (`onGiveUp`; none: discovery had not succeeded); with 0 it does not wait, and says nothing.
 */

/** What FirstCatchUp reads of the map. */
export interface CatchUpSource {
  /** The current replica's actor: a new one (a new pid object) holds nothing yet. */
  readonly pid: unknown
  caughtUp(): string[]
  peers(): string[]
}

/** What FirstCatchUp reads of discovery: whether it has succeeded, and the reported nodes and their connections. */
export interface MemberSource {
  /** Discovery has succeeded at least once (`Cluster.ready`, or cut off after joining). */
  joined(): boolean
  members(): ReadonlyArray<{ readonly name: string; readonly state: 'connected' | 'connecting' | 'backoff' }>
}

export interface FirstCatchUpOptions {
  /** The longest a replica waits, from when it is first seen (`CACHE_READY_CATCH_UP_MS`). */
  readonly maxWaitMs: number
  /** How long a replica must be alone, seen so at least twice, before that counts as holding all the data. */
  readonly aloneMs: number
  /** The clock, in ms. */
  readonly now: () => number
  /** Called once when the wait ends unmet, with the peers no catch-up had ended with (none: not joined). */
  readonly onGiveUp?: (pending: string[]) => void
  /** Called once when a replica counts as caught up for having been alone for `aloneMs`. */
  readonly onAlone?: () => void
}

/** The reason while discovery has not succeeded once. */
export const NOT_JOINED_REASON = 'not joined: discovery has not succeeded yet'

export class FirstCatchUp {
  readonly #map: CatchUpSource
  readonly #cluster: MemberSource
  readonly #o: FirstCatchUpOptions
  /** The replica (its pid) being waited for, since when, and whether its wait is over. */
  #replica: unknown = undefined
  #since = 0
  #done = false
  /** Since when the replica has been alone, if it is now. */
  #aloneSince: number | undefined = undefined
  /** The last answer while not done, and when it was worked out: a flood of refused commands works it out once a ms. */
  #lastReason: string | undefined = undefined
  #lastAt = -1

  constructor(map: CatchUpSource, cluster: MemberSource, options: FirstCatchUpOptions) {
    this.#map = map
    this.#cluster = cluster
    this.#o = options
  }

  /** Why the node may not hold its peers' data yet; undefined once it does, while nobody can be reached, or once the wait is over. */
  notDoneReason(): string | undefined {
    // Asked before every RESP command (its LOADING check), so the common answer costs a comparison: the replica is
    // told apart by its pid's identity, one object for the replica's life.
    const replica = this.#map.pid
    if (replica !== this.#replica) {
      this.#replica = replica
      this.#since = this.#o.now()
      this.#done = false
      this.#aloneSince = undefined
      this.#lastAt = -1
    }
    if (this.#done) return undefined
    const now = this.#o.now()
    if (now === this.#lastAt) return this.#lastReason
    this.#lastAt = now
    this.#lastReason = this.#reason(now)
    return this.#lastReason
  }

  #reason(now: number): string | undefined {
    const waited = now - this.#since >= this.#o.maxWaitMs
    if (!this.#cluster.joined()) return waited ? this.#giveUp([]) : NOT_JOINED_REASON
    const members = this.#cluster.members()
    const reachable = new Set(this.#map.peers())
    for (const member of members) if (member.state !== 'backoff') reachable.add(member.name)
    if (reachable.size === 0) {
      if (members.length > 0) this.#aloneSince = undefined
      else if (this.#aloneSince === undefined) this.#aloneSince = now
      else if (now - this.#aloneSince >= this.#o.aloneMs) {
        this.#done = true
        this.#o.onAlone?.()
      }
      return undefined
    }
    this.#aloneSince = undefined
    const caughtUp = new Set(this.#map.caughtUp())
    const pending = [...reachable].filter((node) => !caughtUp.has(node)).sort()
    if (pending.length === 0) {
      this.#done = true
      return undefined
    }
    if (waited) return this.#giveUp(pending)
    return `catching up: no catch-up has ended yet with ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? `, and ${pending.length - 5} more` : ''}`
  }

  #giveUp(pending: string[]): undefined {
    this.#done = true
    // A wait of 0 is the operator's choice not to wait: nothing was given up on, so nothing to warn about.
    if (this.#o.maxWaitMs > 0) this.#o.onGiveUp?.(pending)
    return undefined
  }
}
