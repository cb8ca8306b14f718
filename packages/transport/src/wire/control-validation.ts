/**
 * Checks that a decoded entry is a control message of a known type with fields of the right types, before anything
 * acts on it. A peer is authenticated but may still run buggy or other-version code; a bad message closes only its
 * connection (code 4007).
 *
 * Hot path: one switch and a few `instanceof` checks per received message.
 */
import { Pid, Ref } from '@cohort/core'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './protocol-error.ts'
import { isNodeName } from '@cohort/core'
import { isWebSocketUrl } from './transport-control.ts'
import type { PeerAddress, WireControl } from './transport-control.ts'

type ReplyControl = Extract<WireControl, { type: 'reply' }>

/** Peer lists longer than this are refused: a cluster of this many nodes is not a full mesh anyone runs. */
export const MAX_PEERS = 10_000

function bad(type: string, field: string): ProtocolError {
  return new ProtocolError(CLOSE_CODES.unknownControl, `${type} control message has an invalid ${field}`)
}

const isPid = (v: unknown): boolean => v instanceof Pid
const isOptionalPid = (v: unknown): boolean => v === undefined || v === null || v instanceof Pid
const isPidOrName = (v: unknown): boolean => v instanceof Pid || typeof v === 'string'
const isRef = (v: unknown): boolean => v instanceof Ref

/**
 * Wire codes of the control messages. On the wire a control message is a positional array `[code, ...fields]`
 * (fields in the order of the interfaces), not an object: msgpack then carries no field names and no record
 * definition per message, which made encoding a third faster and decoding two thirds faster.
 */
export const CONTROL_CODES = Object.freeze({
  send: 1,
  sendName: 2,
  link: 3,
  unlink: 4,
  exit: 5,
  monitor: 6,
  demonitor: 7,
  down: 8,
  spawnRequest: 9,
  spawnReply: 10,
  tick: 11,
  peers: 12,
  leaving: 13,
  fragment: 14,
  sendLocal: 15,
  /** `[16, [entry, entry, …]]`: small sends packed together, one msgpack call per frame. Never fragmented. */
  batch: 16,
  /** A call (monitor and request in one), between the connection's own two nodes: ids, no pids or refs in full. */
  call: 17,
  /** A call's reply, which may release the call's monitor, between the connection's own two nodes. */
  reply: 18,
  /** `[19, encoding, lengths]`: a message whose large Buffers follow as WebSocket messages of their own (attachments.ts). */
  attached: 19,
} as const)

/**
 * The two node names a connection joins: a `send` from an actor of `local` to an actor of `peer` needs neither pid's
 * node name on the wire (code 15, Erlang's atom cache in its simplest form).
 */
export interface WireNames {
  readonly local: string
  readonly peer: string
}

/** The positional form of `control`, as it is encoded on a connection between `names` (when known). */
export function toWire(c: WireControl, names?: WireNames): unknown[] {
  switch (c.type) {
    case 'send':
      // Pids cost half of a small message's encoding; between the connection's own two nodes, ids say it all.
      if (names !== undefined && c.to.node === names.peer && (c.from === undefined || c.from.node === names.local)) {
        return [15, c.to.id, c.to.creation, c.from?.id, c.from?.creation, c.msg]
      }
      return [1, c.to, c.from, c.msg]
    case 'sendName':
      return [2, c.name, c.from, c.msg]
    case 'link':
      return [3, c.from, c.to]
    case 'unlink':
      return [4, c.from, c.to]
    case 'exit':
      return [5, c.from, c.to, c.reason, c.link]
    case 'monitor':
      return [6, c.from, c.to, c.ref]
    case 'demonitor':
      return [7, c.from, c.to, c.ref]
    case 'down':
      return [8, c.from, c.to, c.ref, c.reason]
    case 'spawnRequest':
      return [9, c.from, c.ref, c.behaviour, c.args, c.link]
    case 'spawnReply':
      return [10, c.to, c.ref, c.pid, c.error]
    case 'tick':
      return [11]
    case 'peers':
      return [12, c.peers]
    case 'leaving':
      return [13]
    case 'fragment':
      return [14, c.id, c.total, c.length]
    case 'call': {
      const { to, port, ref } = c
      assertCompactCall(to, port, ref, names)
      return to instanceof Pid ? [17, to.id, to.creation, port.id, ref.id, port.creation, c.request] : [17, to, null, port.id, ref.id, port.creation, c.request]
    }
    case 'reply': {
      const { to, ref } = c
      if (isCompactReply(c, names)) return [18, to.id, ref.id, to.creation, c.released, c.value]
      // A reply to a call made with some other ref (a hand-made From): a plain message, and the caller demonitors.
      return toWire({ type: 'send', to, from: c.from, msg: { $cohort: 'reply', ref, value: c.value } }, names)
    }
  }
}

/**
 * Returns the control message a decoded entry (a positional array) stands for, checking every field first.
 * @throws ProtocolError 4007 when the code is unknown or a field has the wrong type
 */
export function validateControl(value: unknown, names?: WireNames): WireControl {
  if (!Array.isArray(value) || value.length === 0) throw new ProtocolError(CLOSE_CODES.unknownControl, 'entry is not a control message')
  const m = value as unknown[]
  const code = m[0]
  switch (code) {
    case 1: {
      if (!isPid(m[1])) throw bad('send', 'to')
      if (!isOptionalPid(m[2])) throw bad('send', 'from')
      return { type: 'send', to: m[1] as Pid, from: (m[2] ?? undefined) as Pid | undefined, msg: m[3] }
    }
    case 2: {
      if (typeof m[1] !== 'string') throw bad('sendName', 'name')
      if (!isOptionalPid(m[2])) throw bad('sendName', 'from')
      return { type: 'sendName', name: m[1], from: (m[2] ?? undefined) as Pid | undefined, msg: m[3] }
    }
    case 3:
    case 4: {
      const type = code === 3 ? 'link' : 'unlink'
      if (!isPid(m[1])) throw bad(type, 'from')
      if (!isPid(m[2])) throw bad(type, 'to')
      return { type, from: m[1] as Pid, to: m[2] as Pid }
    }
    case 5: {
      if (!isPid(m[1])) throw bad('exit', 'from')
      if (!isPid(m[2])) throw bad('exit', 'to')
      if (typeof m[4] !== 'boolean') throw bad('exit', 'link')
      return { type: 'exit', from: m[1] as Pid, to: m[2] as Pid, reason: m[3], link: m[4] }
    }
    case 6:
    case 7: {
      const type = code === 6 ? 'monitor' : 'demonitor'
      if (!isPid(m[1])) throw bad(type, 'from')
      if (!isPidOrName(m[2])) throw bad(type, 'to')
      if (!isRef(m[3])) throw bad(type, 'ref')
      return { type, from: m[1] as Pid, to: m[2] as Pid | string, ref: m[3] as Ref }
    }
    case 8: {
      if (!isPidOrName(m[1]) && !isNameAddress(m[1])) throw bad('down', 'from')
      if (!isPid(m[2])) throw bad('down', 'to')
      if (!isRef(m[3])) throw bad('down', 'ref')
      return { type: 'down', from: m[1] as Pid | string, to: m[2] as Pid, ref: m[3] as Ref, reason: m[4] }
    }
    case 9: {
      if (!isPid(m[1])) throw bad('spawnRequest', 'from')
      if (!isRef(m[2])) throw bad('spawnRequest', 'ref')
      if (typeof m[3] !== 'string') throw bad('spawnRequest', 'behaviour')
      if (typeof m[5] !== 'boolean') throw bad('spawnRequest', 'link')
      return { type: 'spawnRequest', from: m[1] as Pid, ref: m[2] as Ref, behaviour: m[3], args: m[4], link: m[5] }
    }
    case 10: {
      if (!isPid(m[1])) throw bad('spawnReply', 'to')
      if (!isRef(m[2])) throw bad('spawnReply', 'ref')
      if (!isOptionalPid(m[3])) throw bad('spawnReply', 'pid')
      if (m[4] !== undefined && m[4] !== null && typeof m[4] !== 'string') throw bad('spawnReply', 'error')
      return { type: 'spawnReply', to: m[1] as Pid, ref: m[2] as Ref, pid: (m[3] ?? undefined) as Pid | undefined, error: (m[4] ?? undefined) as string | undefined }
    }
    case 11:
      return TICK
    case 12:
      validatePeers(m[1])
      return { type: 'peers', peers: m[1] }
    case 13:
      return LEAVING
    case 14: {
      if (!isUint32(m[1])) throw bad('fragment', 'id')
      if (!isUint32(m[2]) || (m[2] as number) === 0) throw bad('fragment', 'total')
      if (!isUint32(m[3]) || (m[3] as number) === 0) throw bad('fragment', 'length')
      return { type: 'fragment', id: m[1] as number, total: m[2] as number, length: m[3] as number }
    }
    case 15: {
      // Sent by the peer: `to` is one of this node's actors, `from` one of the peer's.
      if (names === undefined) throw bad('send', 'connection (no names before the handshake)')
      if (!isId(m[1]) || !isId(m[2])) throw bad('send', 'to')
      const hasFrom = m[3] !== undefined && m[3] !== null
      if (hasFrom ? !isId(m[3]) || !isId(m[4]) : m[4] !== undefined && m[4] !== null) throw bad('send', 'from')
      const from = hasFrom ? new Pid(names.peer, m[3] as number, m[4] as number) : undefined
      return { type: 'send', to: new Pid(names.local, m[1] as number, m[2] as number), from, msg: m[5] }
    }
    case 17: {
      // Sent by the peer: the port and the ref are the peer's, the callee (a pid or a registered name) this node's.
      if (names === undefined) throw bad('call', 'connection (no names before the handshake)')
      checkCall(m)
      const to = typeof m[1] === 'string' ? m[1] : new Pid(names.local, m[1] as number, m[2] as number)
      const port = new Pid(names.peer, m[3] as number, m[5] as number)
      return { type: 'call', to, port, ref: new Ref(names.peer, m[4] as number, m[5] as number), request: m[6], from: undefined }
    }
    case 18: {
      if (names === undefined) throw bad('reply', 'connection (no names before the handshake)')
      checkReply(m)
      const creation = m[3] as number
      return { type: 'reply', to: new Pid(names.local, m[1] as number, creation), ref: new Ref(names.local, m[2] as number, creation), value: m[5], released: m[4] as boolean, from: undefined }
    }
    default:
      throw new ProtocolError(CLOSE_CODES.unknownControl, `unknown control message code ${JSON.stringify(String(code)).slice(0, 80)}`)
  }
}

/**
 * A call travels in its compact form only, from the node of its port and ref (made by that node's runtime, with its
 * creation) to the node of its callee; anything else is a bug in the caller.
 */
export function assertCompactCall(to: Pid | string, port: Pid, ref: Ref, names: WireNames | undefined): asserts names is WireNames {
  if (names === undefined || port.node !== names.local || ref.node !== names.local || ref.creation !== port.creation || (to instanceof Pid && to.node !== names.peer)) {
    throw new Error('a call control message travels only from the node of its port to the node of its callee')
  }
}

/** True when a reply's port and ref are the peer's, of one incarnation: only ids need travel. */
export function isCompactReply(c: ReplyControl, names: WireNames | undefined): boolean {
  const { to, ref } = c
  return names !== undefined && to.node === names.peer && ref.node === names.peer && ref.creation === to.creation
}

/**
 * Checks the fields of a call, `[17, to, toCreation, portId, refId, creation, request]` from `at` (its code, or its
 * mark in a batch), sent by the peer: `to` is one of this node's ids with its creation, or a name with nil. For
 * readers that hand the fields on without building the control message.
 * @throws ProtocolError 4007 when a field has the wrong type
 */
export function checkCall(m: readonly unknown[], at = 0): void {
  if (typeof m[at + 1] === 'string' ? m[at + 2] !== null : !isId(m[at + 1]) || !isId(m[at + 2])) throw bad('call', 'to')
  if (!isId(m[at + 3])) throw bad('call', 'port')
  if (!isId(m[at + 4])) throw bad('call', 'ref')
  if (!isId(m[at + 5])) throw bad('call', 'creation')
}

/**
 * Checks the fields of a reply, `[18, toId, refId, creation, released, value]` from `at` (as `checkCall`), sent by
 * the peer: the port and the ref are this node's.
 * @throws ProtocolError 4007 when a field has the wrong type
 */
export function checkReply(m: readonly unknown[], at = 0): void {
  if (!isId(m[at + 1])) throw bad('reply', 'to')
  if (!isId(m[at + 2])) throw bad('reply', 'ref')
  if (!isId(m[at + 3])) throw bad('reply', 'creation')
  if (typeof m[at + 4] !== 'boolean') throw bad('reply', 'released')
}

const TICK: WireControl = Object.freeze({ type: 'tick' as const })
const LEAVING: WireControl = Object.freeze({ type: 'leaving' as const })

function isNameAddress(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { node?: unknown }).node === 'string'
}

/** A pid's or ref's id or creation: a non-negative safe integer. */
export function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function isUint32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff
}

function validatePeers(peers: unknown): asserts peers is PeerAddress[] {
  if (!Array.isArray(peers) || peers.length > MAX_PEERS) throw bad('peers', 'peers list')
  for (const p of peers) {
    if (typeof p !== 'object' || p === null) throw bad('peers', 'peer entry')
    const { name, url } = p as Record<string, unknown>
    if (!isNodeName(name) || !isWebSocketUrl(url)) throw bad('peers', 'peer entry')
  }
}
