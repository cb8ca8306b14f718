/**
 * FirstCatchUp: whether a cache node holds its peers' data yet, for `/readyz`. A node that starts or restarts holds
 * nothing until its map's first catch-up with a peer ends (`ReplicatedMap.caughtUp`), and a read before then answers
 * "absent" for keys every other node holds. So readiness waits for one catch-up to end, unless there is nobody to
 * catch up from: discovery reports no other node, or every node it reports refuses connections (the first node of a
 * new cluster, or the only one left). Once met it stays met for that replica: a node that later loses its peers keeps
 * its data. A replica the supervisor restarted starts empty, so it is waited for again.
 *
 * Gotcha: a reported node that accepts the connection but runs no cache map (another app behind the same discovery)
 * is waited for as long as it stays connected.
 */

/** What FirstCatchUp reads of the map. */
export interface CatchUpSource {
  /** The current replica's actor: a new one holds nothing yet. */
  readonly pid: { toString(): string }
  caughtUp(): string[]
  peers(): string[]
}

/** What FirstCatchUp reads of discovery: the reported nodes and whether each is connected, being dialled, or not. */
export interface MemberSource {
  members(): ReadonlyArray<{ readonly name: string; readonly state: 'connected' | 'connecting' | 'backoff' }>
}

export class FirstCatchUp {
  readonly #map: CatchUpSource
  readonly #cluster: MemberSource
  /** The replica (its pid) that has caught up, or had nobody to catch up from. */
  #doneFor: string | undefined = undefined

  constructor(map: CatchUpSource, cluster: MemberSource) {
    this.#map = map
    this.#cluster = cluster
  }

  /**
   * Why the node may not hold its peers' data yet; undefined once it does, or once there is nobody to get it from.
   * Ask only once discovery has succeeded: before that, no node is reported and this would pass at once.
   */
  notDoneReason(): string | undefined {
    const replica = String(this.#map.pid)
    if (this.#doneFor === replica) return undefined
    if (this.#map.caughtUp().length > 0) {
      this.#doneFor = replica
      return undefined
    }
    const reachable = new Set(this.#map.peers())
    for (const member of this.#cluster.members()) if (member.state !== 'backoff') reachable.add(member.name)
    if (reachable.size === 0) {
      this.#doneFor = replica
      return undefined
    }
    const names = [...reachable].sort()
    return `catching up: no catch-up with a peer has ended yet (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`
  }
}
