/**
 * SocketBatcher: writes the frames a node sends its browsers in one event-loop turn as one write per socket. The
 * first frame to a socket in a turn corks it, and every corked socket is uncorked once the turn's work is done
 * (setImmediate), so a client that receives ten messages in a burst costs one system call, not ten.
 *
 * Hot path: every frame to every browser goes through `write`. Gotchas: `ws` has no public cork, so this reaches its
 * socket (`_socket`); without one (a future `ws`), frames are written one by one, correct but slower.
 */
import type { WebSocket } from 'ws'

interface Corkable {
  cork(): void
  uncork(): void
}

/** Batches socket writes per event-loop turn. */
export class SocketBatcher {
  readonly #corked: Corkable[] = []
  #scheduled = false

  /** Sends `data` as a text frame on `socket`, corked until the end of this turn. */
  write(socket: WebSocket, data: string | Buffer): void {
    const raw = (socket as unknown as { _socket?: Corkable & { writableCorked?: number } })._socket
    if (raw !== undefined && raw.writableCorked === 0) {
      raw.cork()
      this.#corked.push(raw)
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#flush)
      }
    }
    socket.send(data, { binary: false })
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const corked = this.#corked.splice(0)
    for (const raw of corked) raw.uncork()
  }
}
