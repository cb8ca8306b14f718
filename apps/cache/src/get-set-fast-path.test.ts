import { Buffer } from 'node:buffer'
import { startReplicatedMap } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { CacheMap } from './cache-map.ts'
import { CommandSession } from './command-session.ts'
import type { ServerFacts } from './command-session.ts'
import { executeCommand } from './command-table.ts'
import { runGetOrSet } from './get-set-fast-path.ts'
import { RespParser } from './resp-parser.ts'
import { RespWriter } from './resp-writer.ts'
import { TEST_FACTS } from './test-support/test-facts.ts'

let net: InMemoryNetwork | undefined
afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

const facts = TEST_FACTS

function multibulk(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** Two nodes' maps, one fed through the fast path first, one through the command table only. */
function setup(withFacts: ServerFacts = facts) {
  net = createNetwork()
  const fastMap = startReplicatedMap<Uint8Array>(net.addNode('a@h'), { scope: 'cache' }) as CacheMap
  const tableMap = startReplicatedMap<Uint8Array>(net.addNode('b@h'), { scope: 'other' }) as CacheMap
  const fast = { session: new CommandSession(fastMap, () => 0, withFacts, 1), out: new RespWriter(), parser: new RespParser() }
  const table = { session: new CommandSession(tableMap, () => 0, withFacts, 2), out: new RespWriter(), parser: new RespParser() }
  /** Runs one chunk of commands both ways; the replies, and which commands the fast path took. */
  const run = (chunk: Buffer): { fast: string; table: string; took: boolean[] } => {
    const took: boolean[] = []
    fast.parser.push(chunk)
    for (let argc = fast.parser.parse(); argc !== 0; argc = fast.parser.parse()) {
      const done = runGetOrSet(argc, fast.parser, fast.session, fast.out)
      took.push(done)
      if (!done) executeCommand(fast.parser.args(argc), fast.session, fast.out)
    }
    table.parser.push(Buffer.from(chunk))
    for (let cmd = table.parser.next(); cmd !== undefined; cmd = table.parser.next()) executeCommand(cmd, table.session, table.out)
    const text = (w: RespWriter): string => Buffer.concat(w.take()).toString('latin1')
    return { fast: text(fast.out), table: text(table.out), took }
  }
  return { fastMap, tableMap, fast, table, run }
}

describe('runGetOrSet', () => {
  it('answers GET and plain SET in any letter case exactly as the command table does', () => {
    const { fastMap, tableMap, fast, table, run } = setup()
    const key = Buffer.from([0xff, 0x00, 0x80, 0x0d, 0x0a])
    const value = Buffer.from([0x00, 0xc3, 0x28, 0x0d, 0x0a])
    const chunk = Buffer.concat([
      multibulk('GET', 'k'),
      multibulk('SET', 'k', 'v1'),
      multibulk('get', 'k'),
      multibulk('sEt', 'k', ''),
      multibulk('GeT', 'k'),
      multibulk('SET', key, value),
      multibulk('GET', key),
      multibulk('SET', 'big', Buffer.alloc(70_000, 0x61)),
      multibulk('GET', 'big'),
    ])
    const r = run(chunk)
    expect(r.took).toEqual(Array(9).fill(true))
    expect(r.fast).toBe(r.table)
    expect(r.fast.startsWith('$-1\r\n+OK\r\n$2\r\nv1\r\n+OK\r\n$0\r\n\r\n+OK\r\n$5\r\n')).toBe(true)
    expect(fastMap.keys().sort()).toEqual(tableMap.keys().sort())
    expect(Buffer.from(fastMap.get(key.toString('latin1'))!)).toEqual(value)
    expect(fast.session.commandsProcessed).toBe(9)
    expect(table.session.commandsProcessed).toBe(9)
  })

  it('stores a copy of the value, not a view of the received chunk', () => {
    const { fastMap, fast } = setup()
    for (const length of [3, 200]) {
      const chunk = multibulk('SET', 'k', Buffer.alloc(length, 0x61))
      fast.parser.push(chunk)
      const argc = fast.parser.parse()
      expect(runGetOrSet(argc, fast.parser, fast.session, fast.out)).toBe(true)
      chunk.fill(0x7a)
      expect(Buffer.from(fastMap.get('k')!).toString()).toBe('a'.repeat(length))
    }
  })

  it('finds by its bytes a key that the command table wrote with a TTL, or deleted', () => {
    const { fastMap, run } = setup()
    const key = Buffer.from([0x6b, 0xe9, 0x00])
    const r = run(
      Buffer.concat([
        multibulk('SET', key, 'by table', 'EX', '100'),
        multibulk('GET', key),
        multibulk('DEL', key),
        multibulk('GET', key),
        multibulk('SET', key, 'over the tombstone'),
      ]),
    )
    expect(r.took).toEqual([false, true, false, true, true])
    expect(r.fast).toBe(r.table)
    expect(r.fast).toBe('+OK\r\n$8\r\nby table\r\n:1\r\n$-1\r\n+OK\r\n')
    expect(fastMap.keys()).toEqual([key.toString('latin1')])
    expect(fastMap.expiresAt(key.toString('latin1'))).toBeUndefined()
    expect(Buffer.from(fastMap.get(key.toString('latin1'))!).toString()).toBe('over the tombstone')
  })

  it('leaves every other command, and GET or SET with other arguments, to the command table', () => {
    const { run } = setup()
    const others = [
      multibulk('SET', 'k', 'v', 'EX', '10'),
      multibulk('SET', 'k'),
      multibulk('GET'),
      multibulk('GET', 'a', 'b'),
      multibulk('GETX', 'k'),
      multibulk('GE', 'k'),
      multibulk('SEX', 'k', 'v'),
      multibulk('DEL', 'k'),
      multibulk('PING'),
      Buffer.from('GET k\r\n'),
    ]
    const r = run(Buffer.concat(others))
    expect(r.took).toEqual(Array(others.length).fill(false))
    expect(r.fast).toBe(r.table)
    expect(r.fast).toContain("-ERR wrong number of arguments for 'get' command")
  })

  it('leaves GET and SET to the command table while the node is loading, which refuses them', () => {
    let loading = true
    const { fastMap, run } = setup({ ...facts, loading: () => loading })
    const refused = '-LOADING Cohort cache is catching up with its peers; try again shortly\r\n'
    const r = run(Buffer.concat([multibulk('SET', 'k', 'v'), multibulk('GET', 'k')]))
    expect(r.took).toEqual([false, false])
    expect(r.fast).toBe(refused + refused)
    expect(fastMap.size).toBe(0)
    loading = false
    const after = run(Buffer.concat([multibulk('SET', 'k', 'v'), multibulk('GET', 'k')]))
    expect(after.took).toEqual([true, true])
    expect(after.fast).toBe('+OK\r\n$1\r\nv\r\n')
  })
})
