/**
 * The byte budget of a socket whose peer has not proven the cookie yet. `ws` buffers a WebSocket message until its
 * last byte arrives, up to the 4 MiB frame limit, so a socket that sends most of a large frame and stops would make
 * the node hold megabytes for someone who never authenticated. This counts the raw bytes read from such a socket and
 * destroys it once they pass `UNAUTHENTICATED_BYTES`; the handshake needs well under 1 KiB.
 *
 * Gotchas: the listener must be added after `ws`'s own (it is, for accepted sockets and from the client's `open`),
 * so the chunk that carries the last handshake message, and lifts the limit, is not counted against it.
 */
import type { Duplex } from 'node:stream'

/**
 * Bytes an unauthenticated socket may send before it is destroyed: the four handshake messages take a few hundred;
 * the rest is headroom for long names and URLs. What a node holds per such socket is this plus one socket read.
 */
export const UNAUTHENTICATED_BYTES = 16 * 1024

/**
 * Destroys `socket` once more than `maxBytes` have been read from it, until the returned function lifts the limit.
 * `onExceeded` runs just before the socket is destroyed.
 */
export function limitUnauthenticatedBytes(socket: Duplex, maxBytes: number, onExceeded: (bytes: number) => void): () => void {
  let bytes = 0
  let lifted = false
  const onData = (chunk: Buffer): void => {
    if (lifted) return
    bytes += chunk.length
    if (bytes <= maxBytes) return
    lifted = true
    socket.off('data', onData)
    onExceeded(bytes)
    socket.destroy()
  }
  socket.on('data', onData)
  return () => {
    if (lifted) return
    lifted = true
    socket.off('data', onData)
  }
}
