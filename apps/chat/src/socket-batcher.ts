/**
 * SocketBatcher: writes the frames a node sends its browsers in one run of the actors as one write per socket. The
 * first frame to a socket corks it, and every corked socket is uncorked in a microtask, once the scheduler's run
 * that wrote them has returned, so a client that receives ten messages in a burst costs one system call, not ten,
 * and no frame waits for the next turn of the event loop.
 *
 * Hot path: every frame to every browser goes through `write`. Gotchas: `ws` has no public cork, so this reaches its
 * socket (`_socket`); without one (a future `ws`), frames are written one by one, correct but slower.
 */
import type { WebSocket } from 'ws'

interface Corkable {
  cork(): void
  uncork(): void
}

/** Batches socket writes per run of the actors. */
export class SocketBatcher {
  readonly #corked: Corkable[] = []
  #scheduled = false

  /** Sends `data` as a text frame on `socket`, corked until the current run of the actors returns. */
  write(socket: WebSocket, data: string | Buffer): void {
    const raw = (socket as unknown as { _socket?: Corkable & { writableCorked?: number } })._socket
    if (raw !== undefined && raw.writableCorked === 0) {
      raw.cork()
      this.#corked.push(raw)
      if (!this.#scheduled) {
        this.#scheduled = true
        queueMicrotask(this.#flush)
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
