/**
 * SocketBatcher: writes the frames a node sends its browsers in one turn of the event loop as one write per socket.
 * The first frame to a socket corks it, and every corked socket is uncorked after the turn's I/O (setImmediate), so
 * a client that receives ten messages in a burst costs one system call, not ten. Per turn, not per run of the
 * actors: a busy node reads many client and peer sockets in one poll phase, each waking the actors for a short run;
 * uncorked after each run (a microtask), a socket got one write per message said by a local client. Measured under
 * the chat bench's saturation, per-turn flushing cut the nodes' CPU per delivered message by about a third; a frame
 * waits at most for the rest of its turn's I/O.
 *
 * Frames built once for many sockets (text-frame.ts: a room's message) are written to the net socket as they are,
 * one chunk each; `ws` would frame them again per socket. That is safe because the server's `ws` sockets neither
 * compress nor queue (no permessage-deflate): every frame `ws` writes goes to the net socket at once, in call order,
 * so raw frames and `ws`'s own interleave whole.
 *
 * Hot path: every frame to every browser goes through `write` or `writeFrame`. Gotchas: `ws` has no public cork nor
 * a way to send a framed message, so this reaches its net socket (`_socket`); without one (a future `ws`), frames
 * go through `ws.send` one by one, correct but slower.
 */
import type { WebSocket } from 'ws'

interface RawSocket {
  cork(): void
  uncork(): void
  write(chunk: Buffer): boolean
  readonly writableCorked?: number
}

/** Batches socket writes per run of the actors. */
export class SocketBatcher {
  readonly #corked: RawSocket[] = []
  #scheduled = false

  /** Sends `data` as a text frame on `socket`, corked until the current run of the actors returns. */
  write(socket: WebSocket, data: string | Buffer): void {
    this.#cork(socket)
    socket.send(data, { binary: false })
  }

  /**
   * Writes `frame`, a whole text frame from `textFrame(payload)`, on `socket` (open), corked as `write` is.
   * `payload` is what `ws` sends instead when its net socket cannot be reached.
   */
  writeFrame(socket: WebSocket, frame: Buffer, payload: Buffer): void {
    const raw = this.#cork(socket)
    if (raw === undefined) socket.send(payload, { binary: false })
    else raw.write(frame)
  }

  /** Corks the net socket of `socket` for this run; returns it, or undefined when `ws` does not expose it. */
  #cork(socket: WebSocket): RawSocket | undefined {
    const raw = (socket as unknown as { _socket?: RawSocket })._socket
    if (raw !== undefined && raw.writableCorked === 0) {
      raw.cork()
      this.#corked.push(raw)
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#flush)
      }
    }
    return raw
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const corked = this.#corked.splice(0)
    for (const raw of corked) raw.uncork()
  }
}
