/**
 * A server-side Connection over a fake socket, fed bytes by hand, for the tests that look at what it did: what it
 * sent, what it delivered, what it logged and the close code it chose, deadlines and ticks in virtual time. Not part
 * of the build.
 */
import { createMessageCodec } from '@cohort/core'
import type { ControlMessage } from '@cohort/core/distribution'
import { createLogSink, TestClock } from '@cohort/core/testing'
import { Connection } from '../connection/connection.ts'
import type { ConnectionHost, WireSocket } from '../connection/connection.ts'
import { FrameBatcher } from '../connection/frame-batcher.ts'
import { ClientHandshake } from '../connection/handshake.ts'
import type { LocalIdentity } from '../connection/handshake.ts'
import { decodeHandshake, encodeHandshake } from '../wire/handshake-codec.ts'

export const serverIdentity: LocalIdentity = { name: 's@h', creation: 1, url: 'ws://h:1', hidden: false, cookie: 'cookie' }
export const clientIdentity: LocalIdentity = { name: 'c@h', creation: 2, url: 'ws://h:2', hidden: false, cookie: 'cookie' }

/** A socket that records what the connection sent and the codes and reasons it closed with. */
export type FakeSocket = WireSocket & { sent: Uint8Array[]; closed: Array<[number, string]> }

function fakeSocket(): FakeSocket {
  return {
    sent: [],
    closed: [],
    bufferedAmount: 0,
    send(data: Uint8Array, cb?: (err?: Error) => void) {
      this.sent.push(data)
      cb?.()
    },
    close(code, reason) {
      this.closed.push([code, reason])
    },
    terminate() {},
    pause() {},
    resume() {},
  }
}

/**
 * A fresh server-side connection. Delivered messages are recorded as control messages (`{ type: 'send', to, msg }`,
 * `{ type: 'call', to, request }`, `{ type: 'reply', value, released }`), and `closed` has the codes the connection
 * reported closing with. `extra` overrides the host: `maxMessageBytes` (1 KiB here) bounds entries and reassembled
 * messages.
 */
export function fedConnection(extra: Partial<ConnectionHost> = {}) {
  const clock = new TestClock()
  const log = createLogSink('debug')
  const delivered: ControlMessage[] = []
  const closed: number[] = []
  const host: ConnectionHost = {
    local: serverIdentity,
    clock,
    logger: log.logger,
    tickMs: 1000,
    handshakeTimeoutMs: 500,
    helloTimeoutMs: 2_000,
    maxMessageBytes: 1024,
    admit: () => undefined,
    up: (conn) => conn.attach(new FrameBatcher({ codec: createMessageCodec(), clock, fragmentBytes: 1024, flushThresholdBytes: 4096, onProgress: () => {} })),
    endpoint: {
      deliver: (_from, m) => {
        delivered.push(m)
        return undefined
      },
      deliverSends: (to, msgs, start, end) => {
        for (let i = start; i < end; i++) delivered.push({ type: 'send', to, msg: msgs[i] } as ControlMessage)
        return undefined
      },
      deliverCall: (_from, to, _toCreation, _portId, _refId, _creation, request) => {
        delivered.push({ type: 'call', to, request } as unknown as ControlMessage)
        return undefined
      },
      deliverReply: (_toId, _refId, _creation, value, released) =>
        void delivered.push({ type: 'reply', value, released } as unknown as ControlMessage),
      nodeUp: () => {},
      nodeDown: () => {},
    },
    peers: () => {},
    closed: (_conn, code) => void closed.push(code),
    ...extra,
  }
  const socket = fakeSocket()
  const conn = new Connection(host, socket, 'server', '10.0.0.9:5555')
  return { clock, log, delivered, closed, socket, conn }
}

/** Runs the client side of the handshake against `conn` by feeding it bytes, leaving it up if `identity` may join. */
export function handshake(conn: Connection, socket: FakeSocket, identity = clientIdentity): void {
  const hs = new ClientHandshake(identity, serverIdentity.name)
  conn.receive(encodeHandshake(hs.hello()), true)
  const challenge = decodeHandshake(socket.sent.at(-1)!)
  conn.receive(encodeHandshake(hs.challenge(challenge)), true)
  if (conn.state === 'up') hs.accept(decodeHandshake(socket.sent.at(-1)!))
}
