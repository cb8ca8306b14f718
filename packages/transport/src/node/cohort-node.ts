/**
 * CohortNode: what `startNode` returns, one running node: its actors (`system`), its connections to peers, their
 * counters and events, and its shutdown. The implementation is websocket-node.ts.
 */
import type { HandshakeFailureCounts } from './handshake-failures.ts'
import type { ActorSystem } from '@cohort/core'
import type { Distribution } from '@cohort/core/distribution'
import type { NodeEventMap, NodeEventName } from './node-events.ts'
import type { PeerAddress } from '../wire/transport-control.ts'

/** Traffic counters of one peer (of its current connection and session). */
export interface PeerStats {
  node: string
  state: 'up' | 'connecting'
  hidden: boolean
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Bytes queued for the peer and not yet handed to the kernel (our queue plus the socket's buffer). */
  queuedBytes: number
  /** The `tickMs` the peer announced in its handshake (the connection uses the larger of it and ours). */
  tickMs: number | undefined
  /** True while this node does not read the connection because an actor it feeds fell behind (flow control). */
  readPaused: boolean
  /** Times this connection stopped being read for that reason. */
  readPauses: number
  /** Large frames read straight into memory of their size (`readInPlace`); 0 where the connection reads Node's default way. */
  framesReadInPlace: number
}

/** A node's counters. */
export interface NodeStats {
  node: string
  url: string
  peers: PeerStats[]
  /** Inbound connections still in their handshake. */
  pendingHandshakes: number
  connectionsAccepted: number
  /** Inbound connections refused at once because `maxPendingHandshakes` were in progress. */
  connectionsRefused: number
  /** Connections closed for bad input, a failed handshake or silence. */
  connectionsFailed: number
  /** Pending handshakes closed to make room for newer sockets (idle ones first; `maxPendingHandshakes`). */
  connectionsEvicted: number
  /** Unauthenticated sockets destroyed for sending more than 16 KiB before their handshake finished. */
  connectionsOversized: number
  /**
   * Connections, in either direction, that failed before they were up, by reason: `cookie` (the cookies differ),
   * `timeout`, `version`, `invalid`, `busy` (the peer's maxPendingHandshakes), `unreachable` (a dial's socket error).
   */
  handshakeFailures: HandshakeFailureCounts
}

/** A running node. */
export interface CohortNode extends AsyncDisposable {
  readonly name: string
  /** The port the server listens on (the real one when `port: 0` was asked). */
  readonly port: number
  /** The URL peers dial to reach this node. */
  readonly url: string
  readonly hidden: boolean
  /** This node's actors. */
  readonly system: ActorSystem
  /** The Distribution attached to `system` (for tools and tests that send control messages directly). */
  readonly distribution: Distribution
  /** Connects to `peer`; resolves once it is up, rejects with HandshakeFailedError (COHORT_ERR_HANDSHAKE_FAILED). */
  connect(peer: PeerAddress): Promise<void>
  /** Closes the connection to `name` (nodedown with reason `'disconnect'`). */
  disconnect(name: string): void
  /** Visible peers connected now. */
  nodes(): string[]
  /** Hidden peers connected now (CLI and observers, or every peer of a hidden node). */
  hiddenNodes(): string[]
  /** Resolves once unsent bytes to `peer` are below the low-water mark. */
  drain(peer: string): Promise<void>
  stats(): NodeStats
  on<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): this
  off<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): this
  /** Tells every peer this node is leaving (they log a departure, not a crash), then closes. */
  leave(): Promise<void>
  /** Stops the system, closes every connection and the server. Idempotent. */
  close(): Promise<void>
}
