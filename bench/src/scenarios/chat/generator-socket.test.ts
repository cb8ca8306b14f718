import { describe, expect, it } from 'vitest'
import { ServerFrameReader } from './generator-socket.ts'
import type { FrameHandlers } from './generator-socket.ts'

/** A server's unmasked frame: FIN, `opcode`, the payload's length in 7, 7+16 or 7+64 bits, the payload. */
function frame(opcode: number, payload: string, fin = true): Buffer {
  const body = Buffer.from(payload)
  const header = body.length < 126 ? Buffer.from([0, body.length]) : Buffer.alloc(4)
  if (body.length >= 126) {
    header[1] = 126
    header.writeUInt16BE(body.length, 2)
  }
  header[0] = (fin ? 0x80 : 0) | opcode
  return Buffer.concat([header, body])
}

function recorder(): { log: string[]; handlers: FrameHandlers } {
  const log: string[] = []
  return {
    log,
    handlers: {
      text: (data, from, to) => log.push(`text ${data.toString('utf8', from, to)}`),
      ping: (payload) => log.push(`ping ${payload.toString()}`),
      close: () => log.push('close'),
      fail: (reason) => log.push(`fail ${reason}`),
    },
  }
}

describe('ServerFrameReader', () => {
  it('hands on every text frame of a read, each as its own payload', () => {
    const { log, handlers } = recorder()
    new ServerFrameReader(handlers).push(Buffer.concat([frame(1, 'a'), frame(1, '{"text":"1|2|3.5|"}'), frame(1, '')]))
    expect(log).toEqual(['text a', 'text {"text":"1|2|3.5|"}', 'text '])
  })

  it('keeps a frame cut between reads, in the header or in the payload, until its end arrives', () => {
    const long = 'x'.repeat(300)
    const bytes = Buffer.concat([frame(1, 'first'), frame(1, long), frame(1, 'last')])
    for (let cut = 1; cut < bytes.length; cut++) {
      const { log, handlers } = recorder()
      const reader = new ServerFrameReader(handlers)
      reader.push(bytes.subarray(0, cut))
      reader.push(bytes.subarray(cut, cut + 2))
      reader.push(bytes.subarray(cut + 2))
      expect(log).toEqual(['text first', `text ${long}`, 'text last'])
    }
  })

  it('answers pings, ends on a close and refuses fragments', () => {
    const { log, handlers } = recorder()
    new ServerFrameReader(handlers).push(Buffer.concat([frame(9, 'p'), frame(10, 'pong'), frame(1, 'part', false), frame(8, '')]))
    expect(log).toEqual(['ping p', 'fail the server sent a fragmented frame, which the chat generator does not read', 'close'])
  })
})
