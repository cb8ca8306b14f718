/**
 * FirstCatchUp: whether a cache node holds its peers' data yet, for `/readyz` and for the RESP and HTTP servers'
 * LOADING answers. A node that starts or restarts holds nothing until its map's catch-ups with its peers end
 * (`ReplicatedMap.caughtUp`), and a read before then answers "absent" for keys every other node holds. So it waits
 * until discovery has succeeded once, and then until a catch-up has ended with every peer it can reach: the nodes
 * discovery reports that are connected or being dialled, and any node of the scope connected to it. With one peer
 * only, two nodes restarted together would count each other, both still empty. A node cut off from its peers (every
 * one refused its handshake) waits too: they are there, with the data.
 *
 * Once met it stays met for that replica: a node that later loses its peers keeps its data. A replica the supervisor
 * restarted starts empty, so it is waited for again. While nobody can be reached (discovery reports no other node, or
 * every one it reports failed its last dial) the node serves, without that counting as met: a node restarted while
 * cut off from its peers waits for them once they are back. A node that has been alone for `aloneMs` (no node
 * reported, none connected each time it was asked, and no connection in between: `connected`) is the first of its cluster and holds all the data there is: that
 * counts as met, so it keeps serving while nodes that join later catch up from it. Not sooner: a restarted node that
 * others dial (a seed that lists no peers itself) is alone until their next redial, which may be discovery's longest
 * redial delay away.
 *
 * Each wait has an end, `maxWaitMs` after it began: discovery that never succeeds, peers that never accept this node,
 * or a peer that never ends a catch-up (a version without `caughtUp`, in a rolling upgrade; a node that accepts
 * connections but runs no cache) must not keep the node out of service for good. Past it the node serves and says
 * what it gave up on (`onGiveUp`), until the wait changes: discovery succeeds, the node is no longer cut off, or its
 * peers come back after nobody could be reached; the new wait has its own `maxWaitMs`. With 0 it does not wait at
 * all, and says nothing.
 */

import { NOT_JOINED_REASON } from '@cohort/discovery'

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
  /** Every node discovery reports refused this node's handshake (`Cluster.cutOff`). */
  cutOff(): boolean
  members(): ReadonlyArray<{ readonly name: string; readonly state: 'connected' | 'connecting' | 'backoff' }>
}

/** What a wait that ran out was for. */
export type GivenUp = 'join' | 'cut off' | 'catch-up'

export interface FirstCatchUpOptions {
  /** The longest each wait lasts (`CACHE_READY_CATCH_UP_MS`); 0: no waiting at all. */
  readonly maxWaitMs: number
  /** How long a replica must be alone, seen so each time it was asked (at least twice), to hold all the data. */
  readonly aloneMs: number
  /** The clock, in ms. */
  readonly now: () => number
  /** Called once a wait, when it runs out: what for, and the peers no catch-up had ended with (for `catch-up`). */
  readonly onGiveUp?: (what: GivenUp, pending: string[]) => void
  /** Called once when a replica counts as caught up for having been alone for `aloneMs`. */
  readonly onAlone?: () => void
}

/**
 * The reason while every peer refuses this node's handshake, before it has caught up: discovery's cut-off, with what
 * it means for the cache.
 */
export const CUT_OFF_REASON = 'cut off: every peer refused this node\'s handshake, so it cannot catch up (check the cookie on every node)'

/** What the node waits for at the moment: each kind of wait has its own `maxWaitMs`. */
type Wait = GivenUp | 'nobody'

export class FirstCatchUp {
  readonly #map: CatchUpSource
  readonly #cluster: MemberSource
  readonly #o: FirstCatchUpOptions
  /** The replica (its pid) being waited for, and whether its wait is over. */
  #replica: unknown = undefined
  #done = false
  /** The current wait, since when, and whether it ran out. */
  #wait: Wait | undefined = undefined
  #since = 0
  #gaveUp = false
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

  /**
   * A node connected to this one: it is not alone, however briefly the connection lasted. Asking alone would miss a
   * peer that came and went between two asks.
   */
  connected(): void {
    this.#aloneSince = undefined
  }

  /** Why the node may not hold its peers' data yet; undefined once it does, while nobody can be reached, or once a wait ran out. */
  notDoneReason(): string | undefined {
    // Asked before every RESP command (its LOADING check), so the common answer costs a comparison: the replica is
    // told apart by its pid's identity, one object for the replica's life.
    const replica = this.#map.pid
    if (replica !== this.#replica) {
      this.#replica = replica
      this.#done = this.#o.maxWaitMs === 0
      this.#wait = undefined
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
    if (!this.#cluster.joined()) return this.#waitFor('join', now, [], NOT_JOINED_REASON)
    if (this.#cluster.cutOff()) return this.#waitFor('cut off', now, [], CUT_OFF_REASON)
    const members = this.#cluster.members()
    const reachable = new Set(this.#map.peers())
    for (const member of members) if (member.state !== 'backoff') reachable.add(member.name)
    if (reachable.size === 0) {
      this.#wait = 'nobody'
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
    return this.#waitFor('catch-up', now, pending, `catching up: no catch-up has ended yet with ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? `, and ${pending.length - 5} more` : ''}`)
  }

  /** `reason` while the wait for `what` lasts (it begins now unless it is the current one); undefined once it ran out. */
  #waitFor(what: GivenUp, now: number, pending: string[], reason: string): string | undefined {
    if (this.#wait !== what) {
      this.#wait = what
      this.#since = now
      this.#gaveUp = false
      this.#aloneSince = undefined
    }
    if (now - this.#since < this.#o.maxWaitMs) return reason
    if (!this.#gaveUp) {
      this.#gaveUp = true
      this.#o.onGiveUp?.(what, pending)
    }
    return undefined
  }
}
