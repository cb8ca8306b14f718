/**
 * The strategy contract: a strategy yields the current set of peers (`{ name, url }`) and reports failed lookups.
 * joinCluster starts it with a context carrying the clock, randomness, a logger and two callbacks.
 * Gotchas: a failed lookup is reported with `fail`, never as an empty `update` — a failure never means "no peers".
 */
import type { Clock, Random } from '@cohort/core'
import type { Logger } from 'pino'
import type { Peer } from './cluster-node.ts'

/** One successful lookup: every peer to dial (including this node, which joinCluster skips). */
export interface PeerSet {
  /** The peers to keep connected to. */
  readonly peers: readonly Peer[]
  /**
   * Names the strategy saw but will not dial (not ready, terminating). Only used to check that this node's own name
   * is known to discovery.
   */
  readonly pending?: readonly string[]
}

/** What a running strategy talks to. */
export interface StrategyContext {
  readonly clock: Clock
  readonly random: Random
  /** A child logger bound to `{ strategy }`. */
  readonly logger: Logger
  /** Reports the full current set after a successful lookup. */
  update(set: PeerSet): void
  /** Reports a failed lookup; the last known set stays in force. */
  fail(error: Error): void
}

/** A running strategy. */
export interface StrategyRun {
  /** Stops polling or watching; idempotent. */
  stop(): Promise<void>
}

/** A way of finding peers. Build one with `staticPeers`, `localPorts`, `dnsA`, `dnsSrv` or `kubernetes`. */
export interface Strategy {
  /** Short name for logs and errors, e.g. `dnsA`. */
  readonly name: string
  start(context: StrategyContext): StrategyRun
}
