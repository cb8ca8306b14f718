/**
 * The end of a socket that never authenticated (refused, evicted, or failing its handshake): its WebSocket close frame
 * is written, then the socket is ended and destroyed as soon as the kernel has what was written (which the kernel
 * still sends after the descriptor is closed), without waiting for the peer's close frame. Sockets kept for a grace
 * each held as many descriptors as a flood opened in that time, however few handshakes may be pending at once. Callers
 * keep a short timer that terminates the socket anyway, for a peer that reads nothing and so holds the write back.
 */

/** What of a `net` or `tls` socket this needs. */
export interface EndableStream {
  end(): void
  once(event: 'finish', listener: () => void): unknown
  destroy(): void
}

/** Ends `stream` once its pending writes are out (a close frame just written), and then destroys it. */
export function destroyOnceWritten(stream: EndableStream): void {
  stream.once('finish', () => stream.destroy())
  stream.end()
}
