/**
 * The WebSocket close codes this transport sends (RFC 6455 leaves 4000–4999 to applications). Each one is listed in
 * the README; a peer that sees one knows why its connection ended without reading our logs.
 */

/** Close code → meaning. Values are stable: they are part of the protocol. */
export const CLOSE_CODES = Object.freeze({
  /** This node is closing, or `disconnect(node)` was called. */
  shutdown: 4000,
  /** The peer could not prove it knows the cookie (or we could not verify its proof). */
  handshakeFailed: 4001,
  /** The handshake did not finish within `handshakeTimeoutMs`. */
  handshakeTimeout: 4002,
  /** The peer speaks another protocol version. */
  versionMismatch: 4003,
  /** A handshake message was malformed or out of order, or the peer's name is invalid or ours. */
  handshakeInvalid: 4004,
  /** A connection between these two nodes already exists (or won the tie rule). */
  duplicate: 4005,
  /** A frame could not be decoded: garbage, truncated msgpack, a bad Pid/Ref extension payload. */
  malformed: 4006,
  /** A decoded control message has an unknown type or fields of the wrong type. */
  unknownControl: 4007,
  /** A message (or a fragmented message being reassembled) is larger than `maxMessageBytes`. */
  messageTooLarge: 4008,
  /** A text frame arrived; the protocol is binary only. */
  textFrame: 4009,
  /** The peer was silent for `tickMs`. */
  tickTimeout: 4010,
  /** The peer announced that it is leaving the cluster (sent by the leaving node after its `leaving` control). */
  leaving: 4011,
  /** Too many handshakes were in progress (`maxPendingHandshakes`); try again later. */
  tooManyConnections: 4012,
  /** A new incarnation (higher creation) of the same node connected; this older connection is replaced. */
  superseded: 4013,
})

/** One of the close codes above. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES]

const NAMES = new Map<number, string>(Object.entries(CLOSE_CODES).map(([name, code]) => [code, name]))

/** The name of a close code (ours, or `ws:<code>` for a standard one), for log lines. */
export function closeCodeName(code: number): string {
  return NAMES.get(code) ?? `ws:${code}`
}
