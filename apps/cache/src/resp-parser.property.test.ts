import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RespParser } from './resp-parser.ts'

function multibulk(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'))
  return Buffer.concat(parts)
}

/** Every command `parse` reports, read through its offsets (or `list`) as latin1 strings. */
function parsed(p: RespParser): string[][] {
  const out: string[][] = []
  for (let argc = p.parse(); argc !== 0; argc = p.parse()) {
    const args: string[] = []
    if (p.list !== undefined) {
      expect(p.list.length).toBe(argc)
      for (const a of p.list) args.push(a.toString('latin1'))
    } else {
      for (let i = 0; i < argc; i++) args.push(p.chunk.toString('latin1', p.starts[i], p.ends[i]))
    }
    out.push(args)
  }
  return out
}

const argument = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))
const command = fc.array(argument, { minLength: 1, maxLength: 6 })

describe('RespParser.parse (offsets into the chunk)', () => {
  it('reports a whole pipeline received in one chunk as offsets into that chunk, without a list', () => {
    const commands = [['SET', 'key:000000012345', 'xxx'], ['GET', 'key:000000012345'], ['PING']]
    const bytes = Buffer.concat(commands.map((c) => multibulk(c.map((a) => Buffer.from(a)))))
    const p = new RespParser()
    p.push(bytes)
    const seen: string[][] = []
    for (let argc = p.parse(); argc !== 0; argc = p.parse()) {
      expect(p.list).toBeUndefined()
      expect(p.chunk).toBe(bytes)
      seen.push(Array.from({ length: argc }, (_, i) => bytes.toString('latin1', p.starts[i], p.ends[i])))
    }
    expect(seen).toEqual(commands)
    expect(p.bufferedBytes).toBe(0)
  })

  it('gives a command that arrived in pieces as a list, and the ones after it as offsets again', () => {
    const p = new RespParser()
    p.push(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv'))
    expect(p.parse()).toBe(0)
    p.push(Buffer.from('v\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'))
    expect(p.parse()).toBe(3)
    expect(p.list?.map((a) => a.toString())).toEqual(['SET', 'k', 'vv'])
    expect(p.parse()).toBe(2)
    expect(p.list).toBeUndefined()
    expect(p.chunk.toString('latin1', p.starts[1], p.ends[1])).toBe('k')
  })

  it('grows its offsets for a command with many arguments', () => {
    const args = Array.from({ length: 1001 }, (_, i) => Buffer.from(i === 0 ? 'MSET' : `k${i}`))
    const p = new RespParser()
    p.push(multibulk(args))
    expect(parsed(p)).toEqual([args.map((a) => a.toString('latin1'))])
  })

  it('parses any pipeline split at every byte boundary into the same commands', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), (commands) => {
        const bytes = Buffer.concat(commands.map(multibulk))
        const expected = commands.map((c) => c.map((a) => a.toString('latin1')))
        for (let cut = 0; cut <= bytes.length; cut++) {
          const p = new RespParser()
          p.push(bytes.subarray(0, cut))
          const first = parsed(p)
          p.push(bytes.subarray(cut))
          expect([...first, ...parsed(p)]).toEqual(expected)
          expect(p.bufferedBytes).toBe(0)
        }
      }),
      { numRuns: 60 },
    )
  })

  it('parses any pipeline cut into any number of chunks, with next and parse alike', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (commands, cutSeeds) => {
          const bytes = Buffer.concat(commands.map(multibulk))
          const cuts = [...new Set(cutSeeds.map((s) => s % (bytes.length + 1)))].sort((a, b) => a - b)
          const expected = commands.map((c) => c.map((a) => a.toString('latin1')))
          const byParse = new RespParser()
          const byNext = new RespParser()
          const viaParse: string[][] = []
          const viaNext: string[][] = []
          let from = 0
          for (const to of [...cuts, bytes.length]) {
            // Each chunk its own Buffer, as a socket gives them.
            const chunk = Buffer.from(bytes.subarray(from, to))
            from = to
            byParse.push(chunk)
            viaParse.push(...parsed(byParse))
            byNext.push(chunk)
            for (let cmd = byNext.next(); cmd !== undefined; cmd = byNext.next()) viaNext.push(cmd.map((a) => a.toString('latin1')))
          }
          expect(viaParse).toEqual(expected)
          expect(viaNext).toEqual(expected)
        },
      ),
      { numRuns: 300 },
    )
  })
})
