import { createRequire } from 'node:module'
import type { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { textFrame } from './text-frame.ts'

/** ws's frame parser (exported by the package, not by its type definitions). */
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void }
}

/** What ws's own parser reads from `bytes`, as a client would. */
function parse(bytes: Buffer): string[] {
  const messages: string[] = []
  const receiver = new Receiver({ isServer: false })
  receiver.on('message', (data: Buffer, isBinary: boolean) => messages.push(`${isBinary ? 'binary' : 'text'}:${data.toString('utf8')}`))
  receiver.write(bytes)
  return messages
}

describe('textFrame', () => {
  it('frames payloads of each length encoding as ws parses them', () => {
    for (const size of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
      const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2)
      const payload = Buffer.from(text)
      expect(payload.length).toBe(size)
      expect(parse(textFrame(payload))).toEqual([`text:${text}`])
    }
  })

  it('frames back to back parse as separate messages', () => {
    expect(parse(Buffer.concat([textFrame(Buffer.from('{"a":1}')), textFrame(Buffer.from('{"b":2}'))]))).toEqual(['text:{"a":1}', 'text:{"b":2}'])
  })
})
