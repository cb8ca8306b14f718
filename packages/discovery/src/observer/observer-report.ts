/**
 * What the cluster observer reports: one node's view of itself (`NodeReport`) and the cluster as one node sees it
 * (`ClusterReport`: a report per connected node plus the nodes it saw leave). Plain data, so reports cross the wire
 * as ordinary messages and the page, `cohort status` and tests read the same shapes.
 */

/** One supervisor child in a supervision tree. */
export interface TreeEntry {
  id: string
  /** `String(pid)`, or undefined while the child is not running. */
  pid: string | undefined
  type: 'worker' | 'supervisor'
  children: TreeEntry[]
}

/** One actor among a node's deepest mailboxes. */
export interface MailboxEntry {
  pid: string
  name: string | undefined
  behaviour: string
  mailboxDepth: number
}

/** The connection to one peer, with its traffic (counters of the current connection). */
export interface PeerReport {
  node: string
  state: 'up' | 'connecting'
  /** A connection outside the mesh: a CLI or another tool. */
  hidden: boolean
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Bytes waiting to be written to this peer. */
  queuedBytes: number
  /** Messages per second received from this peer since the previous report, or undefined for the first one. */
  inPerSecond: number | undefined
  /** Messages per second sent to this peer since the previous report, or undefined for the first one. */
  outPerSecond: number | undefined
}

/** Something that happened on a node: a peer came or went, a supervisor restarted a child. */
export type ObserverEvent =
  | { at: number; node: string; type: 'nodeup'; peer: string }
  | { at: number; node: string; type: 'nodedown'; peer: string; reason: string }
  | { at: number; node: string; type: 'restart'; child: string; supervisor: string; reason: string }

/** One node's view of itself. */
export interface NodeReport {
  node: string
  /** When the report was made (milliseconds since the epoch, from the system's clock). */
  at: number
  /** This incarnation of the node. */
  creation: number
  /** Visible peers connected now. */
  nodes: string[]
  peers: PeerReport[]
  actors: number
  runQueue: number
  messagesDelivered: number
  /** Messages per second delivered to this node's actors since the previous report, or undefined for the first. */
  deliveredPerSecond: number | undefined
  deadLetters: number
  restarts: number
  deepestMailboxes: MailboxEntry[]
  /** The tree of the supervisor the observer runs under (the node's root in every Cohort app). */
  tree: TreeEntry[]
  /** The latest events, oldest first. */
  events: ObserverEvent[]
}

/** A node this node saw leave and has not seen come back. */
export interface DownNode {
  node: string
  /** When it went down (milliseconds since the epoch). */
  since: number
  reason: string
}

/** A node that is connected but whose observer did not answer. */
export interface SilentNode {
  node: string
  error: string
}

/** The cluster as one node sees it. */
export interface ClusterReport {
  /** The node that made this report. */
  observedFrom: string
  at: number
  /** Reports of this node and every connected peer that answered, sorted by name. */
  nodes: NodeReport[]
  /** Peers that left (nodedown) and have not come back, sorted by name. */
  down: DownNode[]
  /** Connected peers whose observer did not answer in time (for example, nodes that do not run one). */
  silent: SilentNode[]
}
