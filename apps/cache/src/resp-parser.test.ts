import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { RespParser } from './resp-parser.ts'

function all(parser: RespParser): string[][] {
  const out: string[][] = []
  for (let cmd = parser.next(); cmd !== undefined; cmd = parser.next()) out.push(cmd.map((a) => a.toString('latin1')))
  return out
}

function multibulk(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

describe('RespParser', () => {
  it('parses pipelined multibulk commands from one chunk', () => {
    const p = new RespParser()
    p.push(Buffer.concat([multibulk('SET', 'a', '1'), multibulk('GET', 'a'), multibulk('PING')]))
    expect(all(p)).toEqual([['SET', 'a', '1'], ['GET', 'a'], ['PING']])
  })

  it('parses a command split at every byte boundary', () => {
    const bytes = Buffer.concat([multibulk('SET', 'key', 'a value'), multibulk('GET', 'key')])
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new RespParser()
      p.push(bytes.subarray(0, cut))
      const first = all(p)
      p.push(bytes.subarray(cut))
      expect([...first, ...all(p)]).toEqual([['SET', 'key', 'a value'], ['GET', 'key']])
    }
  })

  it('parses a command fed one byte at a time', () => {
    const bytes = multibulk('MSET', 'a', 'b', 'c', 'd')
    const p = new RespParser()
    const seen: string[][] = []
    for (const b of bytes) {
      p.push(Buffer.from([b]))
      seen.push(...all(p))
    }
    expect(seen).toEqual([['MSET', 'a', 'b', 'c', 'd']])
    expect(p.bufferedBytes).toBe(0)
  })

  it('keeps binary and non-UTF-8 bytes, CRLF and NUL inside arguments as they are', () => {
    const value = Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28])
    const p = new RespParser()
    p.push(multibulk('SET', Buffer.from([0x80, 0x00, 0x81]), value))
    const cmd = p.next()!
    expect(cmd[1]).toEqual(Buffer.from([0x80, 0x00, 0x81]))
    expect(cmd[2]).toEqual(value)
  })

  it('parses inline commands, with or without CR, skipping empty lines', () => {
    const p = new RespParser()
    p.push(Buffer.from('PING\r\n\r\nSET k "a b"\nECHO  x\r\n'))
    expect(all(p)).toEqual([['PING'], ['SET', 'k', 'a b'], ['ECHO', 'x']])
  })

  it('splits inline arguments with quotes and escapes as Redis does (its answers to ECHO, checked beside redis-server)', () => {
    const cases: Array<[string, string]> = [
      ['ECHO "c\\x41\\n"', 'cA\n'],
      ["ECHO 'a\\'b'", "a'b"],
      ['ECHO a"b c"', 'ab c'],
      ['ECHO ""', ''],
      ['ECHO "\\q\\t"', 'q\t'],
      ["ECHO 'x\\y'", 'x\\y'],
      ['ECHO a\\x41', 'a\\x41'],
      ['ECHO "\\x4"', 'x4'],
    ]
    for (const [line, echoed] of cases) {
      const p = new RespParser()
      p.push(Buffer.from(`${line}\r\n`, 'latin1'))
      expect(p.next()?.map((b) => b.toString('latin1')), line).toEqual(['ECHO', echoed])
    }
    for (const line of ['ECHO "a"b', "ECHO 'a'b", 'ECHO "unterminated']) {
      const p = new RespParser()
      p.push(Buffer.from(`${line}\r\n`))
      expect(() => p.next(), line).toThrow(/Protocol error: unbalanced quotes in request/)
    }
  })

  it('skips an empty multibulk, as Redis does', () => {
    const p = new RespParser()
    p.push(Buffer.from('*0\r\n*-1\r\n'))
    p.push(multibulk('PING'))
    expect(all(p)).toEqual([['PING']])
  })

  it('refuses a huge bulk length at once, before any of its bytes arrive', () => {
    const p = new RespParser({ maxRequestBytes: 1024 })
    p.push(Buffer.from('*2\r\n$3\r\nGET\r\n$4294967296\r\n'))
    expect(() => p.next()).toThrow(expect.objectContaining({ code: 'COHORT_ERR_REQUEST_TOO_LARGE' }))
  })

  it('refuses a request whose arguments together pass the limit', () => {
    const p = new RespParser({ maxRequestBytes: 100 })
    p.push(multibulk('MSET', 'a', 'x'.repeat(40), 'b', 'y'.repeat(40)))
    expect(() => p.next()).toThrow(/larger than the limit of 100 bytes/)
  })

  it('bounds an inline command by the request limit too, when that is lower than the inline limit', () => {
    const p = new RespParser({ maxRequestBytes: 1024 })
    p.push(Buffer.from(`SET k ${'x'.repeat(60_000)}\r\n`))
    expect(() => p.next()).toThrow(expect.objectContaining({ code: 'COHORT_ERR_REQUEST_TOO_LARGE', message: expect.stringMatching(/larger than the limit of 1024 bytes/) }))
    const q = new RespParser({ maxRequestBytes: 1024 })
    q.push(Buffer.from(`SET k ${'x'.repeat(1000)}\r\n`))
    expect(q.next()?.[2]?.length).toBe(1000)
  })

  it('accepts a request just under the limit', () => {
    const bytes = multibulk('SET', 'k', 'v'.repeat(50))
    const p = new RespParser({ maxRequestBytes: bytes.length })
    p.push(bytes)
    expect(p.next()?.[2]?.length).toBe(50)
  })

  it('names what is wrong in bytes that are not RESP', () => {
    const cases: Array<[string, RegExp]> = [
      ['*2\r\n$3\r\nGET\r\n:12\r\n', /Protocol error: expected '\$', got ':'/],
      ['*x\r\n', /Protocol error: invalid multibulk length/],
      ['*1\r\n$-5\r\n', /Protocol error: invalid bulk length/],
      ['*1\r\n$abc\r\n', /Protocol error: invalid bulk length/],
      ['*1\r\n$3\r\nGETXX', /Protocol error: expected CRLF after a bulk string/],
      ['*99999999999\r\n', /Protocol error: invalid multibulk length/],
      ['SET k "unterminated\r\n', /Protocol error: unbalanced quotes in request/],
    ]
    for (const [bytes, message] of cases) {
      const p = new RespParser()
      p.push(Buffer.from(bytes))
      expect(() => p.next(), bytes).toThrow(message)
    }
  })

  it('refuses an inline line longer than the inline limit even before its end arrives', () => {
    const p = new RespParser({ maxInlineBytes: 16 })
    p.push(Buffer.from('SET key ' + 'x'.repeat(20)))
    expect(() => p.next()).toThrow(/too big inline request/)
  })

  it('waits for a truncated command without returning part of it', () => {
    const p = new RespParser()
    p.push(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel'))
    expect(p.next()).toBeUndefined()
    expect(p.next()).toBeUndefined()
    p.push(Buffer.from('lo\r\n'))
    expect(p.next()?.map(String)).toEqual(['SET', 'k', 'hello'])
  })

  it('joins a large bulk arriving in many chunks', () => {
    const value = Buffer.alloc(1_000_000, 0x61)
    const bytes = multibulk('SET', 'big', value)
    const p = new RespParser()
    let got: Buffer[] | undefined
    for (let at = 0; at < bytes.length; at += 4096) {
      p.push(bytes.subarray(at, at + 4096))
      got ??= p.next()
    }
    expect(got?.[2]?.equals(value)).toBe(true)
  })
})
