/**
 * Checks that a decoded entry is a control message of a known type with fields of the right types, before anything
 * acts on it. A peer is authenticated but may still run buggy or other-version code; a bad message closes only its
 * connection (code 4007).
 *
 * Hot path: one switch and a few `instanceof` checks per received message.
 */
import { Pid, Ref } from '@cohort/core'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './errors.ts'
import { isNodeName } from './node-name.ts'
import { isWebSocketUrl } from './node-options.ts'
import type { PeerAddress, WireControl } from './transport-control.ts'

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
 * Returns `value` as a control message.
 * @throws ProtocolError 4007 when the type is unknown or a field has the wrong type
 */
export function validateControl(value: unknown): WireControl {
  if (typeof value !== 'object' || value === null) throw new ProtocolError(CLOSE_CODES.unknownControl, 'entry is not a control message')
  const m = value as Record<string, unknown>
  const type = m['type']
  switch (type) {
    case 'send':
      if (!isPid(m['to'])) throw bad(type, 'to')
      if (!isOptionalPid(m['from'])) throw bad(type, 'from')
      break
    case 'sendName':
      if (typeof m['name'] !== 'string') throw bad(type, 'name')
      if (!isOptionalPid(m['from'])) throw bad(type, 'from')
      break
    case 'link':
    case 'unlink':
      if (!isPid(m['from'])) throw bad(type, 'from')
      if (!isPid(m['to'])) throw bad(type, 'to')
      break
    case 'exit':
      if (!isPid(m['from'])) throw bad(type, 'from')
      if (!isPid(m['to'])) throw bad(type, 'to')
      if (typeof m['link'] !== 'boolean') throw bad(type, 'link')
      break
    case 'monitor':
    case 'demonitor':
      if (!isPid(m['from'])) throw bad(type, 'from')
      if (!isPidOrName(m['to'])) throw bad(type, 'to')
      if (!isRef(m['ref'])) throw bad(type, 'ref')
      break
    case 'down':
      if (!isPidOrName(m['from']) && !isNameAddress(m['from'])) throw bad(type, 'from')
      if (!isPid(m['to'])) throw bad(type, 'to')
      if (!isRef(m['ref'])) throw bad(type, 'ref')
      break
    case 'spawnRequest':
      if (!isPid(m['from'])) throw bad(type, 'from')
      if (!isRef(m['ref'])) throw bad(type, 'ref')
      if (typeof m['behaviour'] !== 'string') throw bad(type, 'behaviour')
      if (typeof m['link'] !== 'boolean') throw bad(type, 'link')
      break
    case 'spawnReply':
      if (!isPid(m['to'])) throw bad(type, 'to')
      if (!isRef(m['ref'])) throw bad(type, 'ref')
      if (!isOptionalPid(m['pid'])) throw bad(type, 'pid')
      if (m['error'] !== undefined && m['error'] !== null && typeof m['error'] !== 'string') throw bad(type, 'error')
      break
    case 'tick':
    case 'leaving':
      break
    case 'peers':
      validatePeers(m['peers'])
      break
    case 'fragment':
      if (!isUint32(m['id'])) throw bad(type, 'id')
      if (!isUint32(m['total']) || (m['total'] as number) === 0) throw bad(type, 'total')
      if (!(m['chunk'] instanceof Uint8Array) || m['chunk'].length === 0) throw bad(type, 'chunk')
      break
    default:
      throw new ProtocolError(CLOSE_CODES.unknownControl, `unknown control message type ${JSON.stringify(String(type)).slice(0, 80)}`)
  }
  return value as WireControl
}

function isNameAddress(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { node?: unknown }).node === 'string'
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
