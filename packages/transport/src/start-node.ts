/**
 * startNode: turns this process into a node of a Cohort cluster. It creates the node's ActorSystem, listens with one
 * WebSocket server, dials peers on request (connect, a peer list, or a send to a node whose URL is known), and
 * implements core's Distribution over those connections. Composition roots call it once per process.
 */
import type { ActorSystem, Distribution } from '@cohort/core'
import { ClusterNode } from './cluster-node.ts'
import type { NodeEventMap, NodeEventName } from './node-events.ts'
import { resolveNodeOptions } from './node-options.ts'
import type { NodeOptions } from './node-options.ts'
import type { PeerAddress } from './transport-control.ts'

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
  /** True while this node does not read the connection because an actor it feeds fell behind (flow control). */
  readPaused: boolean
  /** Times this connection stopped being read for that reason. */
  readPauses: number
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

/**
 * Starts a node: creates its ActorSystem, listens, and resolves once the server is bound.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for invalid options (synchronously, as a rejection)
 * @example
 * const node = await startNode({ name: 'a@127.0.0.1', cookie: 'secret', port: 0 })
 * await node.connect({ name: 'b@127.0.0.1', url: 'ws://127.0.0.1:4001' })
 * node.system.send({ name: 'echo', node: 'b@127.0.0.1' }, 'hello')
 */
export async function startNode(options: NodeOptions): Promise<CohortNode> {
  const node = new ClusterNode(resolveNodeOptions(options))
  await node.listen()
  return node
}

