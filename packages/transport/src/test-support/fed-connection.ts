/**
 * A server-side Connection over a fake socket, fed bytes by hand, for tests that throw arbitrary input at it and
 * look only at what it did: what it delivered, and the close code it chose. Not part of the build.
 */
import { createMessageCodec } from '@cohort/core'
import { createLogSink, TestClock } from '@cohort/core/testing'
import { Connection } from '../connection/connection.ts'
import type { ConnectionHost, WireSocket } from '../connection/connection.ts'
import { FrameBatcher } from '../connection/frame-batcher.ts'
import { ClientHandshake } from '../connection/handshake.ts'
import type { LocalIdentity } from '../connection/handshake.ts'
import { decodeHandshake, encodeHandshake } from '../wire/handshake-codec.ts'

export const serverIdentity: LocalIdentity = { name: 's@h', creation: 1, url: 'ws://h:1', hidden: false, cookie: 'cookie' }
export const clientIdentity: LocalIdentity = { name: 'c@h', creation: 2, url: 'ws://h:2', hidden: false, cookie: 'cookie' }

export interface FedConnection {
  conn: Connection
  sent: Uint8Array[]
  /** Close codes the socket was closed with (by the connection). */
  socketCloses: number[]
  delivered: unknown[]
  clock: TestClock
}

/** A fresh server-side connection; `maxMessageBytes` bounds entries and reassembled messages. */
export function fedConnection(maxMessageBytes = 64 * 1024): FedConnection {
  const clock = new TestClock()
  const sent: Uint8Array[] = []
  const socketCloses: number[] = []
  const delivered: unknown[] = []
  const socket: WireSocket = {
    bufferedAmount: 0,
    send: (data, cb) => {
      sent.push(data)
      cb?.()
    },
    close: (code) => void socketCloses.push(code),
    terminate: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  }
  const host: ConnectionHost = {
    local: serverIdentity,
    clock,
    logger: createLogSink('silent').logger,
    tickMs: 1000,
    handshakeTimeoutMs: 500,
    helloTimeoutMs: 500,
    maxMessageBytes,
    admit: () => undefined,
    up: (conn) => conn.attach(new FrameBatcher({ codec: createMessageCodec(), clock, fragmentBytes: 1024, flushThresholdBytes: 4096, onProgress: () => {} })),
    endpoint: {
      deliver: (_from, m) => {
        delivered.push(m)
        return undefined
      },
      deliverSends: (_to, msgs, start, end) => {
        for (let i = start; i < end; i++) delivered.push(msgs[i])
        return undefined
      },
      deliverCall: (_from, _to, _c, _p, _r, _cr, request) => {
        delivered.push(request)
        return undefined
      },
      deliverReply: (_t, _r, _c, value) => void delivered.push(value),
      nodeUp: () => undefined,
      nodeDown: () => undefined,
    },
    peers: () => undefined,
    closed: () => undefined,
  }
  return { conn: new Connection(host, socket, 'server', '10.0.0.9:5555'), sent, socketCloses, delivered, clock }
}

/** Runs a correct client handshake against `fed`, leaving its connection up. */
export function authenticate(fed: FedConnection): void {
  const hs = new ClientHandshake(clientIdentity, serverIdentity.name)
  fed.conn.receive(encodeHandshake(hs.hello()), true)
  fed.conn.receive(encodeHandshake(hs.challenge(decodeHandshake(fed.sent.at(-1)!))), true)
  hs.accept(decodeHandshake(fed.sent.at(-1)!))
}
