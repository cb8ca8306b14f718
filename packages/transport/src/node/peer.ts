/**
 * What a node knows about one peer: where to reach it, its live connection (at most one), a connection being dialled,
 * and the current session — the outgoing queue and backpressure that live from the first send or connect until the
 * peer goes down. Queued messages survive a lost tie (they go out on whichever connection wins), not a nodedown.
 */
import { createMessageCodec } from '@cohort/core'
import { internNodeName } from '@cohort/core/distribution'
import type { Clock, TimerHandle } from '@cohort/core'
import type { Logger } from 'pino'
import { Backpressure } from '../connection/backpressure.ts'
import type { Connection } from '../connection/connection.ts'
import { FrameBatcher } from '../connection/frame-batcher.ts'
import type { WireNames } from '../wire/control-validation.ts'
import { ReconnectBackoff } from './reconnect-backoff.ts'

/** One outgoing session to a peer. */
export interface PeerSession {
  readonly batcher: FrameBatcher
  readonly backpressure: Backpressure
  messagesOut: number
  /** A connection carried this session (so a nodedown is owed when it ends). */
  wasUp: boolean
}

/** A connect() caller waiting for the peer to come up. */
export interface ConnectWaiter {
  resolve(): void
  reject(error: Error): void
}

/** A peer of this node. */
export interface Peer {
  readonly name: string
  /** Where to dial it; learnt from connect(), a peer list, or its handshake. */
  url: string | undefined
  /** The connection that is up, if any. */
  conn: Connection | undefined
  /** The connection this node is dialling, if any. */
  outbound: Connection | undefined
  session: PeerSession | undefined
  waiters: ConnectWaiter[]
  /** When this node may dial the peer again (reconnect-backoff.ts). */
  readonly backoff: ReconnectBackoff
  /** A dial waiting for the backoff to pass, if one is scheduled. */
  dialTimer: TimerHandle | undefined
}

export function createPeer(name: string, url: string | undefined): Peer {
  // Interned: the peer table is looked up by the node of every pid sent to, and those share this string.
  return { name: internNodeName(name), url, conn: undefined, outbound: undefined, session: undefined, waiters: [], backoff: new ReconnectBackoff(), dialTimer: undefined }
}

/** Sizes and hooks of a session's queue. */
export interface SessionOptions {
  /** This node's and the peer's names (compact sends between them). */
  readonly names: WireNames
  /** Size at which a batch of small sends is sealed (0: no batching). */
  readonly batchBytes: number
  readonly clock: Clock
  readonly fragmentBytes: number
  readonly flushThresholdBytes: number
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  readonly logger: Logger
}

export function createSession(o: SessionOptions): PeerSession {
  const backpressure = new Backpressure(o.highWaterMarkBytes, o.lowWaterMarkBytes)
  const batcher: FrameBatcher = new FrameBatcher({
    codec: createMessageCodec(),
    names: o.names,
    batchBytes: o.batchBytes,
    clock: o.clock,
    fragmentBytes: o.fragmentBytes,
    flushThresholdBytes: o.flushThresholdBytes,
    onProgress: () => {
      if (backpressure.hasWaiters) backpressure.update(batcher.unsentBytes)
    },
    onDropped: (fromId, error) => {
      // The sender changed the message after sending it (the README forbids it): the fault stays with that message.
      o.logger.warn(
        { peer: o.names.peer, pid: fromId === null ? undefined : `<${o.names.local}.${fromId}>`, err: error },
        'message changed after send could not be encoded: dropped',
      )
    },
  })
  return { batcher, backpressure, messagesOut: 0, wasUp: false }
}
