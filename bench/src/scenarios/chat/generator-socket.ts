/**
 * The chat load generator's WebSocket client, the same for both sides: a plain TCP socket upgraded by an HTTP
 * request (RFC 6455 §4), that hands each text frame's payload to its owner as a view of the bytes read, and writes
 * each sent text frame as one buffer with a zero mask key (legal: the key only has to be present, §5.3).
 *
 * Why not the `ws` client: one generator process reads every delivery of every client of a side, and at saturation
 * it shares the two vCPUs with the servers it measures, so what it spends per delivery takes more from the faster
 * side. Reading the same chat frames from 100 sockets, the `ws` client with the text decoded to find the fields cost
 * 3.7–4.8 µs of CPU per frame and this one 3.1–4.0 (`ws`'s receiver stream and state machine, an event and a Buffer
 * per message, UTF-8 validation, the decoded string); most of the rest is the kernel's (40–55 %: a read per socket
 * per wake-up), which no client removes. Both sides use this client, so the definitions stay the same for both.
 *
 * Gotchas: server frames are never masked and, from these servers, never fragmented (a fragment ends the
 * connection with an error naming it). A ping is answered with a pong; a close ends the socket.
 */
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import type { Socket } from 'node:net'

/** Called with each text frame's payload: `data[from, to)`, valid only during the call. */
export type TextHandler = (data: Buffer, from: number, to: number) => void

/** One generator client's socket. */
export class GeneratorSocket {
  readonly #socket: Socket
  readonly #reader: ServerFrameReader
  #closed = false

  private constructor(socket: Socket, onText: TextHandler) {
    this.#socket = socket
    this.#reader = new ServerFrameReader({
      text: onText,
      ping: (payload) => {
        // A pong carries the ping's payload back (§5.5.3), masked (key 0) as every client frame is.
        const pong = Buffer.alloc(6 + payload.length)
        pong[0] = 0x8a
        pong[1] = 0x80 | payload.length
        payload.copy(pong, 6)
        socket.write(pong)
      },
      close: () => {
        this.#closed = true
        socket.end()
      },
      fail: (reason) => socket.destroy(new Error(reason)),
    })
  }

  /** Opens `url` (ws://host:port/path?query) and resolves once the server accepted the upgrade. */
  static connect(url: string, onText: TextHandler, onError: (err: Error) => void): Promise<GeneratorSocket> {
    const target = new URL(url)
    return new Promise((resolve, reject) => {
      const req = request({
        host: target.hostname,
        port: Number(target.port),
        path: `${target.pathname}${target.search}`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        },
      })
      req.once('error', reject)
      req.once('response', (res) => {
        reject(new Error(`${url} answered the WebSocket upgrade with HTTP ${res.statusCode}`))
        res.resume()
      })
      req.once('upgrade', (_res, socket: Socket, head: Buffer) => {
        socket.setNoDelay(true)
        const client = new GeneratorSocket(socket, onText)
        socket.on('data', (chunk: Buffer) => client.#reader.push(chunk))
        socket.on('error', (err) => {
          if (!client.#closed) onError(err)
        })
        socket.on('close', () => {
          client.#closed = true
        })
        resolve(client)
        // After the caller's reaction to `resolve`, which is queued first: it may need the client for the first frame.
        if (head.length > 0) queueMicrotask(() => client.#reader.push(head))
      })
      req.end()
    })
  }

  /** Sends `text` as one masked text frame (key 0: the payload goes as it is). */
  send(text: string): void {
    const length = Buffer.byteLength(text)
    const header = length < 126 ? 6 : length < 0x10000 ? 8 : 14
    const frame = Buffer.allocUnsafe(header + length)
    frame[0] = 0x81
    if (header === 6) {
      frame[1] = 0x80 | length
    } else if (header === 8) {
      frame[1] = 0x80 | 126
      frame.writeUInt16BE(length, 2)
    } else {
      frame[1] = 0x80 | 127
      frame.writeBigUInt64BE(BigInt(length), 2)
    }
    frame.writeUInt32BE(0, header - 4)
    frame.write(text, header)
    this.#socket.write(frame)
  }

  /** Ends the connection at once. */
  terminate(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve())
      this.#socket.destroy()
    })
  }
}

/** What a ServerFrameReader hands on. */
export interface FrameHandlers {
  text: TextHandler
  /** A ping's payload (a view, valid only during the call). */
  ping(payload: Buffer): void
  close(): void
  /** A frame this reader does not read; the connection should end. */
  fail(reason: string): void
}

/**
 * Splits the bytes a server sends into frames (RFC 6455 §5.2: unmasked, each whole in one FIN frame), across reads:
 * a frame cut between two reads is kept until its end arrives.
 */
export class ServerFrameReader {
  readonly #on: FrameHandlers
  /** Bytes of a frame not read whole yet. */
  #rest: Buffer | undefined

  constructor(handlers: FrameHandlers) {
    this.#on = handlers
  }

  /** Reads `chunk`, the next bytes from the server. */
  push(chunk: Buffer): void {
    let data = chunk
    if (this.#rest !== undefined) {
      data = Buffer.concat([this.#rest, chunk])
      this.#rest = undefined
    }
    let at = 0
    while (at + 2 <= data.length) {
      const first = data[at]!
      let length = data[at + 1]! & 0x7f
      let start = at + 2
      if (length === 126) {
        if (start + 2 > data.length) break
        length = data.readUInt16BE(at + 2)
        start += 2
      } else if (length === 127) {
        if (start + 8 > data.length) break
        length = Number(data.readBigUInt64BE(at + 2))
        start += 8
      }
      if (start + length > data.length) break
      this.#frame(first, data, start, start + length)
      at = start + length
    }
    if (at < data.length) this.#rest = data.subarray(at)
  }

  #frame(first: number, data: Buffer, from: number, to: number): void {
    const opcode = first & 0x0f
    if ((first & 0x80) === 0 || opcode === 0) this.#on.fail('the server sent a fragmented frame, which the chat generator does not read')
    else if (opcode === 1) this.#on.text(data, from, to)
    else if (opcode === 9) this.#on.ping(data.subarray(from, to))
    else if (opcode === 8) this.#on.close()
  }
}
