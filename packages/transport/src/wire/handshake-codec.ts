/**
 * The bytes of a handshake message: one standard msgpack map with string keys, one per binary WebSocket message.
 * Deliberately plain (no msgpackr records, no extension types): anyone can build a handshake from the README with any
 * msgpack library, and the code that reads the first bytes an unauthenticated socket sends is as small as it can be.
 *
 * Gotchas: decoded maps become null-prototype objects, so a hostile `__proto__` key is only a key.
 */
import { Packr, Unpackr } from 'msgpackr'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './protocol-error.ts'

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false })

/**
 * Encodes a handshake message (a flat object of strings, numbers, booleans and byte arrays) as a msgpack map. A field
 * whose value is undefined (a `tickMs` this node has none of) is left out, not written as msgpackr's undefined.
 */
export function encodeHandshake(message: object): Buffer {
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(message)) if (value !== undefined) fields[key] = value
  return packr.pack(fields)
}

/**
 * Decodes one handshake message: a msgpack map with string keys spanning all of `bytes`.
 * @throws ProtocolError 4004 for anything else (garbage, truncation, another type, non-string keys)
 */
export function decodeHandshake(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = unpackr.unpack(bytes)
  } catch (error) {
    throw new ProtocolError(CLOSE_CODES.handshakeInvalid, `undecodable handshake message: ${(error as Error).message}`, { cause: error })
  }
  if (!(value instanceof Map)) throw new ProtocolError(CLOSE_CODES.handshakeInvalid, 'a handshake message must be a msgpack map')
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [key, field] of value) {
    if (typeof key !== 'string') throw new ProtocolError(CLOSE_CODES.handshakeInvalid, 'handshake map keys must be strings')
    out[key] = field
  }
  return out
}
