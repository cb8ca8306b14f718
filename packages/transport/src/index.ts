/**
 * @cohort/transport — node-to-node distribution over WebSockets and msgpack: `startNode` turns a process into a node
 * of a Cohort cluster (handshake, liveness, transitive mesh, backpressure, fragmentation, optional TLS).
 */
export { startNode } from './start-node.ts'
export { DEFAULT_NODE_OPTIONS, resolveNodeOptions } from './node-options.ts'
export { parseNodeName, isNodeName } from './node-name.ts'
export { HandshakeFailedError, MessageTooLargeError } from './errors.ts'
export { CLOSE_CODES } from './close-codes.ts'
export { PROTOCOL_VERSION } from './handshake.ts'
export { RECOMMENDED_GLIBC_TUNABLES } from './allocator.ts'
export { cookieStrengthBits, isWeakCookie, WEAK_COOKIE_BITS } from './cookie-strength.ts'
export { UNAUTHENTICATED_BYTES } from './unauthenticated-bytes.ts'

export type { CohortNode, NodeStats, PeerStats } from './start-node.ts'
export type { NodeOptions, ResolvedNodeOptions } from './node-options.ts'
export type { TlsOptions } from './tls-options.ts'
export type { NodeName } from './node-name.ts'
export type { NodeEventMap, NodeEventName } from './node-events.ts'
export type { CloseCode } from './close-codes.ts'
export type { PeerAddress } from './transport-control.ts'
