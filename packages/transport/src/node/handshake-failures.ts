/**
 * Why connections fail before they are up, counted by reason for `stats().handshakeFailures` (and so the
 * `cohort_handshake_failures_total{reason}` metric), and logged once per peer and reason: a node that redials a
 * peer every few seconds for as long as discovery lists it says so once, not on every attempt, and says it again
 * only when the reason changes or after the peer was up in between.
 *
 * A wrong cookie is logged at error level on both sides with what to check: the side that found a proof wrong cannot
 * tell which of the two cookies is the odd one, so neither message blames the other node.
 */
import { CLOSE_CODES } from '../wire/close-codes.ts'

/** Why a connection failed before it was up. */
export type HandshakeFailureReason = 'cookie' | 'timeout' | 'version' | 'invalid' | 'busy' | 'unreachable'

/** Counts by reason. */
export type HandshakeFailureCounts = Record<HandshakeFailureReason, number>

/** What to check, per reason, for the log line an operator reads. */
export const HANDSHAKE_FAILURE_FIXES: Readonly<Record<HandshakeFailureReason, string>> = Object.freeze({
  cookie:
    'the two nodes have different cookies; every node of a cluster needs the same one: compare COHORT_COOKIE ' +
    '(or the file COHORT_COOKIE_FILE names, or the cookie passed to startNode) on this node and on the peer',
  timeout: 'the peer accepted the socket but did not finish the handshake in time: is it overloaded, or not a Cohort node?',
  version: 'the two nodes run Cohort versions that speak different protocol versions: upgrade the older one',
  invalid: 'the peer sent a handshake this node cannot accept (its name, URL or a field); see reason',
  busy: 'the peer had too many handshakes in progress (maxPendingHandshakes); this node will try again',
  unreachable: 'nothing accepts connections at the peer\'s address: is it running, and is its name\'s host an address peers can reach?',
})

/** The reason for a close `code` of a connection that never came up; undefined when it is not a failure. */
export function handshakeFailureReason(code: number, dialErrored: boolean): HandshakeFailureReason | undefined {
  switch (code) {
    case CLOSE_CODES.handshakeFailed:
      return 'cookie'
    case CLOSE_CODES.handshakeTimeout:
      return 'timeout'
    case CLOSE_CODES.versionMismatch:
      return 'version'
    case CLOSE_CODES.handshakeInvalid:
      return 'invalid'
    case CLOSE_CODES.tooManyConnections:
      return 'busy'
    default:
      // A socket error before any close frame: refused, reset, no route, DNS, TLS.
      return dialErrored ? 'unreachable' : undefined
  }
}

/** Counts, and remembers the last reason per peer so that each is logged once. */
export class HandshakeFailures {
  readonly counts: HandshakeFailureCounts = { cookie: 0, timeout: 0, version: 0, invalid: 0, busy: 0, unreachable: 0 }
  readonly #last = new Map<string, HandshakeFailureReason>()

  /** Counts a failure with `peer` (a name, or an address when no name is known); true when it should be logged. */
  record(peer: string, reason: HandshakeFailureReason): boolean {
    this.counts[reason]++
    if (this.#last.get(peer) === reason) return false
    // Bounded: a flood of unnamed addresses must not grow this without limit.
    if (this.#last.size >= 1024) this.#last.clear()
    this.#last.set(peer, reason)
    return true
  }

  /** `peer` is up: its next failure is news again. */
  up(peer: string): void {
    this.#last.delete(peer)
  }
}
