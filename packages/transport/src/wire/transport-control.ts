/**
 * The control messages the transport itself speaks, beside core's ControlMessage union: liveness ticks, peer lists
 * for the transitive mesh, a graceful-departure notice and fragments of large messages. Each kind has the same fields
 * in the same order (monomorphic). A peer list carries URLs, so what a peer's URL must be (`isWebSocketUrl`) is
 * defined here too; the node's options check their own `url` with it.
 */
import type { ControlMessage } from '@cohort/core/distribution'

/** Sent after `tickMs / 4` without other traffic, so the peer knows this node is alive. */
export interface TickControl {
  type: 'tick'
}
/** A node this peer should also connect to (the transitive mesh). */
export interface PeerAddress {
  name: string
  url: string
}
/** The sender's visible peers (the receiver excluded); sent after the handshake and whenever it changes. */
export interface PeersControl {
  type: 'peers'
  peers: PeerAddress[]
}
/** The sender is leaving the cluster on purpose; the connection closes next (code 4011). */
export interface LeavingControl {
  type: 'leaving'
}
/**
 * The head of a slice of one large encoded control message: its `length` bytes follow as the next WebSocket message,
 * raw. Fragments of one message share `id` and arrive in order; `total` is the size of the whole encoded message;
 * the message is complete when `total` bytes have arrived.
 */
export interface FragmentControl {
  type: 'fragment'
  id: number
  total: number
  length: number
}

export type TransportControl = TickControl | PeersControl | LeavingControl | FragmentControl

/** Anything that can arrive in an entry. */
export type WireControl = ControlMessage | TransportControl

export const TICK_CONTROL: TickControl = Object.freeze({ type: 'tick' as const })
export const LEAVING_CONTROL: LeavingControl = Object.freeze({ type: 'leaving' as const })

/** True for a parsable `ws:` or `wss:` URL. */
export function isWebSocketUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const u = new URL(value)
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname.length > 0
  } catch {
    return false
  }
}
