/**
 * Length-prefixed frames over a byte stream, for the bare `net` baseline: a 4-byte big-endian length, then the frame.
 * The reader keeps a list of chunks and concatenates only the bytes of one frame.
 */

/** Feeds stream chunks in; calls `onFrame` with each complete frame. */
export function frameReader(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let chunks: Buffer[] = []
  let total = 0
  let need = -1
  return (chunk) => {
    chunks.push(chunk)
    total += chunk.length
    for (;;) {
      if (need < 0) {
        if (total < 4) return
        const head = chunks[0]!.length >= 4 ? chunks[0]! : Buffer.concat(chunks)
        need = head.readUInt32BE(0)
        consume(4)
      }
      if (total < need) return
      const frame = take(need)
      need = -1
      onFrame(frame)
    }
  }
  function consume(n: number): void {
    take(n)
  }
  function take(n: number): Buffer {
    const first = chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) chunks.shift()
      else chunks[0] = first.subarray(n)
      total -= n
      return out
    }
    const all = Buffer.concat(chunks, total)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    chunks = rest.length > 0 ? [rest] : []
    total -= n
    return out
  }
}
