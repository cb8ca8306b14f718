/**
 * Why a node is not ready, in the words `/readyz` reports: one text for each, so that an application that reports the
 * same state (the cache's LOADING answers, say) says it the same way.
 */

/** Discovery has not succeeded once yet. */
export const NOT_JOINED_REASON = 'not joined: discovery has not succeeded yet'

/** Every peer discovery reports refused this node's handshake (`Cluster.cutOff`). */
export const CUT_OFF_REASON = 'cut off: every peer discovery reports refused this node\'s handshake (check the cookie on every node)'
