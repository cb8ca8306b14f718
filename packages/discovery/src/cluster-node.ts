/**
 * The node that discovery drives, as a structural interface: @cohort/transport's node satisfies it, and tests use a
 * fake. Discovery never imports the transport (arrows point down; the transport is a sibling, not a dependency).
 */

/** A peer as a strategy reports it: the node name and the URL to dial (`ws://host:port` or `wss://host:port`). */
export interface Peer {
  /** Node name, `basename@host`, e.g. `chat@10.0.0.5`. */
  readonly name: string
  /** Where to dial it, e.g. `ws://10.0.0.5:4370` or `ws://[fd00::5]:4370`. */
  readonly url: string
}

/** What joinCluster needs from a node. */
export interface ClusterNode {
  /** This node's name, e.g. `chat@10.0.0.5`. */
  readonly name: string
  /** Resolves when the connection is up; rejects on failure. */
  connect(peer: { name: string; url: string }): Promise<void>
  disconnect(name: string): void
  /** Connected visible peers. */
  nodes(): string[]
  on(event: 'nodeup', listener: (name: string) => void): unknown
  on(event: 'nodedown', listener: (name: string, reason: string) => void): unknown
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the structural shape the transport's emitter has
  off(event: 'nodeup' | 'nodedown', listener: (...args: any[]) => void): unknown
}
