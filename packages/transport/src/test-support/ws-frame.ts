/**
 * WebSocket frames written by hand (RFC 6455), for tests that feed a reader or a socket the bytes a peer would send:
 * binary, final, with the shortest length encoding, as ws writes them. A masked frame gets a zero key, so its payload
 * goes as it is (any key is valid). Not part of the build.
 */
import { Buffer } from 'node:buffer'

/** The header of a binary frame announcing `length` payload bytes. */
export function wsFrameHeader(length: number, masked: boolean): Buffer {
  const ext = length < 126 ? 0 : length < 0x10000 ? 2 : 8
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0))
  head[0] = 0x82
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? length : ext === 2 ? 126 : 127)
  if (ext === 2) head.writeUInt16BE(length, 2)
  if (ext === 8) head.writeBigUInt64BE(BigInt(length), 2)
  return head
}

/** A whole binary frame carrying `payload`. */
export function wsFrame(payload: Uint8Array, masked: boolean): Buffer {
  return Buffer.concat([wsFrameHeader(payload.length, masked), payload])
}
