/**
 * Splits a watch response (one JSON document per line, chunked at arbitrary byte boundaries) into parsed events.
 * A line longer than `maxLineBytes` fails the stream rather than growing without bound.
 */

export async function* readJsonLines(body: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<unknown> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line !== '') yield JSON.parse(line)
    }
    if (buffered.length > maxLineBytes) throw new Error(`watch event larger than ${maxLineBytes} bytes`)
  }
  buffered += decoder.decode()
  if (buffered.trim() !== '') yield JSON.parse(buffered)
}

/** Reads a whole (bounded) body as text. */
export async function readText(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  for await (const chunk of body) {
    bytes += chunk.byteLength
    if (bytes > maxBytes) throw new Error(`response larger than ${maxBytes} bytes`)
    text += decoder.decode(chunk, { stream: true })
  }
  return text + decoder.decode()
}
