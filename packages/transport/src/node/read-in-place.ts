/**
 * Switches an upgraded TCP or TLS socket to reading through an `InPlaceFrameReader`, with Node's `onread` mode:
 * each read goes into memory the reader chooses, and the reader's chunks reach `ws` (and every other `data` listener)
 * as `data` events, in order, as the socket's own would have. A TLS socket's reads are what it decrypted: Node's TLS
 * layer copies each record's plaintext (16 KiB at most) into the memory the reader chose, where by default each went
 * into a Buffer of its own that `ws` then joined into the frame.
 *
 * Node offers `onread` only to `net.connect` and `new net.Socket`, before the socket exists; a socket `ws` upgraded
 * (an accepted one, or one the HTTP client dialled) is switched through what Node's `net` does with that option: the
 * socket's `kBuffer`, `kBufferGen` and `kBufferCb` properties (found by their symbols' descriptions) and the handle's
 * `useUserBuffer`. These are not documented; they came with `onread` in Node 12.2, and the tests find them on Node
 * 20.19 to 26.12. When one is missing the socket is left as it is (`'node-internals-differ'`), so a Node that changes
 * them costs the speed, not the connection.
 *
 * Gotchas: call it synchronously from `ws`'s `open` or `connection` event, after `ws` added its `data` listener and
 * before the socket read anything more. The bytes that came with the upgrade are then in the socket's readable
 * buffer and still reach `ws` as a `data` event of Node's; the listener added here passes those to the reader's
 * `skip`. Pausing keeps working: with `onread`, Node's `pause()` stops the handle reading.
 */
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { InPlaceFrameReader } from '../wire/in-place-frame-reader.ts'

interface NodeReadSymbols {
  readonly buffer: symbol
  readonly bufferGen: symbol
  readonly bufferCb: symbol
}

/** Node's symbols for a socket's `onread` state, as `net.Socket`'s constructor sets them on every socket. */
function readSymbols(socket: Socket): NodeReadSymbols | NotReadInPlace {
  const found = new Map<string | undefined, symbol>()
  for (const s of Object.getOwnPropertySymbols(socket)) found.set(s.description, s)
  const buffer = found.get('kBuffer')
  const bufferGen = found.get('kBufferGen')
  const bufferCb = found.get('kBufferCb')
  if (buffer === undefined || bufferGen === undefined || bufferCb === undefined) return 'node-internals-differ'
  // An ordinary socket has all three null; anything else means it already reads another way.
  const state = socket as unknown as Record<symbol, unknown>
  if (state[buffer] !== null || state[bufferGen] !== null || state[bufferCb] !== null) return 'reads-another-way'
  return { buffer, bufferGen, bufferCb }
}

/**
 * Why a socket reads the default way: not an open TCP or TLS socket (a stream of another kind, or not connected),
 * one that reads through `onread` already, or a Node whose internals differ.
 */
export type NotReadInPlace = 'not-an-open-socket' | 'reads-another-way' | 'node-internals-differ'

/**
 * Makes `socket` read through a new `InPlaceFrameReader` bounded by `maxPayload`, and returns it; else, with the
 * socket untouched, why not.
 */
export function readInPlace(socket: Duplex, maxPayload: number): InPlaceFrameReader | NotReadInPlace {
  if (!(socket instanceof Socket) || socket.destroyed || socket.connecting) return 'not-an-open-socket'
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle
  if (handle === null || handle === undefined) return 'not-an-open-socket'
  if (typeof handle.useUserBuffer !== 'function') return 'node-internals-differ'
  const symbols = readSymbols(socket)
  if (typeof symbols === 'string') return symbols
  let handingOn = false
  const reader = new InPlaceFrameReader((chunk) => {
    // A listener may destroy the socket; what it read after that goes nowhere, as with Node's own reads.
    if (socket.destroyed) return
    handingOn = true
    try {
      socket.emit('data', chunk)
    } finally {
      handingOn = false
    }
  }, maxPayload)
  socket.prependListener('data', (chunk: Buffer) => {
    if (!handingOn) reader.skip(chunk)
  })
  const state = socket as unknown as Record<symbol, unknown>
  state[symbols.bufferGen] = () => reader.nextBuffer()
  state[symbols.bufferCb] = (nread: number) => {
    reader.read(nread)
  }
  const first = reader.nextBuffer()
  state[symbols.buffer] = first
  ;(handle.useUserBuffer as (buffer: Uint8Array) => void).call(handle, first)
  return reader
}
