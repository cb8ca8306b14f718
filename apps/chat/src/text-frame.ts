/**
 * A WebSocket text frame built once for every socket it goes to: a server's frames are unmasked, so the bytes of a
 * frame do not depend on the socket, and a room actor that hands one message to many browsers on its node frames it
 * once (RFC 6455 §5.2: FIN and opcode 1, then the payload length in 7, 7+16 or 7+64 bits, then the payload).
 * Written through SocketBatcher.writeFrame, each is one chunk on each socket, where `ws` would frame it again per
 * socket as a header and a payload.
 */

/** The frame of a final, unmasked text message holding `payload` (UTF-8). */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x81
  if (header === 2) {
    frame[1] = length
  } else if (header === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  payload.copy(frame, header)
  return frame
}
