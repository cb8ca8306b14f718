/**
 * When a node may dial a peer again. A send to a node that is down used to dial at once, for almost every send: 485
 * connection attempts and 485 nodedowns in the 5 s after a peer was killed. Every dial, whoever asks for it (a send,
 * `connect`, discovery, a peer list), goes through the peer's backoff: after a failed dial the next waits
 * `reconnectMinMs`, doubling per further failure up to `reconnectMaxMs`, with "equal jitter" (a uniform pick in the
 * upper half) so that nodes that lost the same peer do not redial it in step. A dial that comes up resets it; so does
 * a connection that was up and then ended, so that a restarted peer is redialled at once.
 */
import type { Random } from '@cohort/core'

/** The backoff of one peer. */
export class ReconnectBackoff {
  /** Dials that failed in a row. */
  failures = 0
  /** The earliest time (clock ms) of the next dial. */
  notBefore = 0

  /** A dial failed at `now`: the next waits longer. */
  failed(now: number, minMs: number, maxMs: number, random: Random): void {
    this.failures++
    const base = Math.min(maxMs, minMs * 2 ** Math.min(this.failures - 1, 30))
    this.notBefore = now + Math.round(base / 2 + (random() * base) / 2)
  }

  /** A connection came up, or a live one ended: the next dial may go at once. */
  reset(): void {
    this.failures = 0
    this.notBefore = 0
  }

  /** Milliseconds until a dial may go (0: now). */
  waitMs(now: number): number {
    return Math.max(0, this.notBefore - now)
  }
}
