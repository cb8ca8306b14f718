/**
 * @cohort/transport — node-to-node distribution over WebSockets and msgpack: `startNode` turns a process into a node
 * of a Cohort cluster (handshake, liveness, transitive mesh, backpressure, fragmentation, optional TLS).
 */
export { startNode } from './start-node.ts'
export { DEFAULT_NODE_OPTIONS, resolveNodeOptions } from './node/node-options.ts'
export { parseNodeName, isNodeName } from '@cohort/core'
export { AddressInUseError, HandshakeFailedError, MessageTooLargeError } from './errors.ts'
export { checkNameHost, listenProblem } from './node/name-host-check.ts'
export { CLOSE_CODES } from './wire/close-codes.ts'
export { PROTOCOL_VERSION } from './connection/handshake.ts'
export { RECOMMENDED_GLIBC_TUNABLES } from './node/allocator.ts'
export { RECOMMENDED_NODE_FLAGS } from './node/node-flags.ts'
export { cookieStrengthBits, isWeakCookie, WEAK_COOKIE_BITS } from './node/cookie-strength.ts'
export { UNAUTHENTICATED_BYTES } from './node/unauthenticated-bytes.ts'

export type { CohortNode, NodeStats, PeerStats } from './node/cohort-node.ts'
export type { HandshakeFailureCounts, HandshakeFailureReason } from './node/handshake-failures.ts'
export type { NameHostCheck, NameHostCheckIo } from './node/name-host-check.ts'
export type { NodeOptions, ResolvedNodeOptions } from './node/node-options.ts'
export type { TlsOptions } from './node/tls-options.ts'
export type { NodeName } from '@cohort/core'
export type { TransportErrorCode } from './errors.ts'
export type { NodeEventMap, NodeEventName } from './node/node-events.ts'
export type { CloseCode } from './wire/close-codes.ts'
export type { PeerAddress } from './wire/transport-control.ts'
