/**
 * The RESP connections with received bytes, run together once the event loop has delivered every readable socket's
 * data: one pass right after the poll phase (a `setImmediate`), as Redis serves all ready clients in one iteration.
 * A pass runs every connection's commands first, then writes every connection's replies, as Redis writes its replies
 * just before it waits for I/O again. On loopback a reply wakes its client at once, and the client then took the CPU
 * from the pass, once per connection: under redis-benchmark with 50 pipelining clients a node was switched out 5,900
 * times a second (2,400 with the replies written last), and more requests waited for it.
 *
 * Between the two, the pass hands the writes it made to the transport (`beforeReplies`, the map's `flush`), so each
 * peer's copy is on the wire before any client learns its write was done. Left to the map's own flush, the copies
 * left three event-loop passes after the replies, and a client that wrote on one node and read on another could wake
 * and ask before the other node was sent anything.
 *
 * Hot path: one pass per event-loop iteration with RESP input.
 */

/** A connection's two steps in a pass. */
export interface ReadyConnection {
  /** Runs the commands it has received (their replies are buffered). */
  run(): void
  /** Writes the buffered replies (and closes the connection, if its commands asked for it). */
  reply(): void
}

export class ReadyConnections {
  readonly #ready = new Set<ReadyConnection>()
  readonly #schedule: (pass: () => void) => void
  readonly #beforeReplies: () => void
  #scheduled = false

  /**
   * `beforeReplies` runs in every pass once the commands ran and before any reply is written. `schedule` runs the pass
   * after this event-loop iteration's I/O (tests give their own).
   */
  constructor(beforeReplies: () => void, schedule: (pass: () => void) => void = setImmediate) {
    this.#beforeReplies = beforeReplies
    this.#schedule = schedule
  }

  /** Marks a connection as having received bytes; it runs in the next pass, once however often it was marked. */
  add(connection: ReadyConnection): void {
    this.#ready.add(connection)
    if (this.#scheduled) return
    this.#scheduled = true
    this.#schedule(this.#pass)
  }

  readonly #pass = (): void => {
    this.#scheduled = false
    for (const connection of this.#ready) connection.run()
    this.#beforeReplies()
    for (const connection of this.#ready) connection.reply()
    this.#ready.clear()
  }
}
