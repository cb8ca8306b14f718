import { Buffer } from 'node:buffer'
import { startReplicatedMap } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { CacheMap } from './cache-map.ts'
import { CommandSession } from './command-session.ts'
import type { ServerFacts } from './command-session.ts'
import { executeCommand } from './command-table.ts'
import { Password } from './password.ts'
import { RespWriter } from './resp-writer.ts'
import { TEST_FACTS } from './test-support/test-facts.ts'

let net: InMemoryNetwork | undefined
afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

const facts = TEST_FACTS

/** A session on node a@h of a two-node in-memory cluster, and a helper that runs one command and returns the raw reply. */
function setup(withFacts: ServerFacts = facts) {
  net = createNetwork()
  const a = net.addNode('a@h')
  const b = net.addNode('b@h')
  const mapA = startReplicatedMap<Uint8Array>(a, { scope: 'cache' }) as CacheMap
  const mapB = startReplicatedMap<Uint8Array>(b, { scope: 'cache' }) as CacheMap
  const session = new CommandSession(mapA, () => a.clock.now(), withFacts, 1)
  const out = new RespWriter()
  const run = (...args: (string | Buffer)[]): string => {
    executeCommand(args.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)), session, out)
    return Buffer.concat(out.take()).toString('latin1')
  }
  return { net, mapA, mapB, session, run, clock: net.clock }
}

describe('executeCommand', () => {
  it('answers -LOADING, as Redis while it loads, until the node holds its peers\' data', () => {
    let loading = true
    const { mapA, run } = setup({ ...facts, loading: () => loading })
    const refused = '-LOADING Cohort cache is catching up with its peers; try again shortly\r\n'
    // Data commands, and PING and DBSIZE as in Redis: refused, and nothing written.
    for (const command of [['GET', 'k'], ['SET', 'k', 'v'], ['DEL', 'k'], ['KEYS', '*'], ['PING'], ['DBSIZE'], ['EXPIRE', 'k', '10']]) {
      expect(run(...command), command.join(' ')).toBe(refused)
    }
    expect(mapA.size).toBe(0)
    // The connection's and the server's commands run (Redis's `loading` flag), and say what they are.
    expect(run('ECHO', 'hi')).toBe('$2\r\nhi\r\n')
    expect(run('SELECT', '0')).toBe('+OK\r\n')
    expect(run('CLIENT', 'SETNAME', 'app')).toBe('+OK\r\n')
    expect(run('TIME')).toMatch(/^\*2\r\n/)
    expect(run('INFO', 'persistence')).toContain('loading:1\r\nloading_eta_seconds:1\r\n')
    expect(run('COMMAND', 'INFO', 'info', 'get')).toBe('*2\r\n*6\r\n$4\r\ninfo\r\n:-1\r\n*2\r\n+readonly\r\n+loading\r\n:0\r\n:0\r\n:0\r\n*6\r\n$3\r\nget\r\n:2\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n')
    loading = false
    expect(run('SET', 'k', 'v')).toBe('+OK\r\n')
    expect(run('GET', 'k')).toBe('$1\r\nv\r\n')
    expect(run('PING')).toBe('+PONG\r\n')
    const persistence = run('INFO', 'persistence')
    expect(persistence).toContain('loading:0\r\n')
    expect(persistence).not.toContain('loading_eta_seconds')
  })

  it('asks for the password before it says it is loading, as Redis checks them', () => {
    const { run } = setup({ ...facts, loading: () => true, password: new Password('secret') })
    expect(run('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n')
    expect(run('AUTH', 'secret')).toBe('+OK\r\n')
    expect(run('GET', 'k')).toMatch(/^-LOADING /)
  })

  it('answers GET and SET and replicates the write to the other node', async () => {
    const { net, mapB, run } = setup()
    expect(run('SET', 'k', 'v')).toBe('+OK\r\n')
    expect(run('get', 'k')).toBe('$1\r\nv\r\n')
    expect(run('GET', 'missing')).toBe('$-1\r\n')
    await net.settle()
    expect(Buffer.from(mapB.get('k')!).toString()).toBe('v')
  })

  it('stores binary keys and values byte for byte', () => {
    const { mapA, run } = setup()
    const key = Buffer.from([0xff, 0x00, 0x80])
    const value = Buffer.from([0x00, 0xc3, 0x28, 0x0d, 0x0a])
    expect(run('SET', key, value)).toBe('+OK\r\n')
    expect(run('GET', key)).toBe(`$5\r\n${value.toString('latin1')}\r\n`)
    expect(mapA.keys()).toEqual(['\u00ff\u0000\u0080'])
    expect(run('KEYS', '*')).toBe('*1\r\n$3\r\n\u00ff\u0000\u0080\r\n')
  })

  it('treats __proto__ and constructor as ordinary keys', () => {
    const { mapA, run } = setup()
    expect(run('SET', '__proto__', 'p')).toBe('+OK\r\n')
    expect(run('SET', 'constructor', 'c')).toBe('+OK\r\n')
    expect(run('MGET', '__proto__', 'constructor', 'toString')).toBe('*3\r\n$1\r\np\r\n$1\r\nc\r\n$-1\r\n')
    expect(mapA.keys().sort()).toEqual(['__proto__', 'constructor'])
    expect(run('DBSIZE')).toBe(':2\r\n')
  })

  it('copies a stored value out of the receive buffer', () => {
    const { run } = setup()
    const value = Buffer.from('original')
    run('SET', 'k', value)
    value.write('CHANGED!')
    expect(run('GET', 'k')).toBe('$8\r\noriginal\r\n')
  })

  it('honours SET NX, XX, GET and KEEPTTL', async () => {
    const { run, clock } = setup()
    expect(run('SET', 'k', '1', 'NX')).toBe('+OK\r\n')
    expect(run('SET', 'k', '2', 'NX')).toBe('$-1\r\n')
    expect(run('SET', 'other', '2', 'XX')).toBe('$-1\r\n')
    expect(run('SET', 'k', '3', 'XX', 'GET')).toBe('$1\r\n1\r\n')
    expect(run('SET', 'k', '4', 'PX', '5000')).toBe('+OK\r\n')
    await clock.advance(1000)
    expect(run('SET', 'k', '5', 'KEEPTTL')).toBe('+OK\r\n')
    expect(run('PTTL', 'k')).toBe(':4000\r\n')
    expect(run('SET', 'k', '6', 'NX', 'XX')).toBe('-ERR syntax error\r\n')
    expect(run('SET', 'k', '6', 'EX', 'soon')).toBe('-ERR value is not an integer or out of range\r\n')
    expect(run('SET', 'k', '6', 'EX', '0')).toBe("-ERR invalid expire time in 'set' command\r\n")
    expect(run('SET', 'k', '6', 'EX', '1', 'PX', '1')).toBe('-ERR syntax error\r\n')
    expect(run('SET', 'k', '6', 'PX', '9007199254740991')).toBe("-ERR invalid expire time in 'set' command\r\n")
    expect(run('EXPIRE', 'k', '9007199254740')).toBe("-ERR invalid expire time in 'expire' command\r\n")
    expect(run('SET', 'k', '6', 'BOGUS')).toBe('-ERR syntax error\r\n')
    expect(run('GET', 'k')).toBe('$1\r\n5\r\n')
    // As redis-server 7.0.15: an option given twice counts once (the last TTL wins), two units are a syntax error
    // before any number is read, and KEEPTTL goes with no TTL.
    expect(run('SET', 'k', '7', 'EX', '10', 'EX', '20', 'NX', 'NX', 'XX', 'GET', 'GET')).toBe('-ERR syntax error\r\n')
    expect(run('SET', 'k', '7', 'EX', '10', 'EX', '20', 'GET', 'GET')).toBe('$1\r\n5\r\n')
    expect(run('TTL', 'k')).toBe(':20\r\n')
    expect(run('SET', 'k', '8', 'EX', 'soon', 'PX', '1')).toBe('-ERR syntax error\r\n')
    expect(run('SET', 'k', '8', 'KEEPTTL', 'EX', '5')).toBe('-ERR syntax error\r\n')
    expect(run('SET', 'k', '8', 'EX', '5', 'KEEPTTL')).toBe('-ERR syntax error\r\n')
    expect(run('GET', 'k')).toBe('$1\r\n7\r\n')
  })

  it('reads a value and sets or clears its TTL on every node with GETEX', async () => {
    const { net, mapB, run, clock } = setup()
    // The test clock starts at 0: move it on so that there are clock times in the past.
    await clock.advance(10_000)
    run('SET', 'k', 'v')
    // No option: a GET, and nothing is written.
    expect(run('GETEX', 'k')).toBe('$1\r\nv\r\n')
    expect(run('TTL', 'k')).toBe(':-1\r\n')
    expect(run('GETEX', 'k', 'ex', '100')).toBe('$1\r\nv\r\n')
    expect(run('TTL', 'k')).toBe(':100\r\n')
    expect(run('GETEX', 'k', 'PX', '5000')).toBe('$1\r\nv\r\n')
    await net.settle()
    // The TTL travels with the value: the other node expires the key at the same clock time.
    expect(mapB.expiresAt('k')).toBe(clock.now() + 5000)
    expect(run('GETEX', 'k', 'PERSIST')).toBe('$1\r\nv\r\n')
    await net.settle()
    expect(run('TTL', 'k')).toBe(':-1\r\n')
    expect(mapB.expiresAt('k')).toBeUndefined()
    expect(run('GETEX', 'k', 'EXAT', String(Math.floor(clock.now() / 1000) + 50))).toBe('$1\r\nv\r\n')
    expect(run('EXPIRETIME', 'k')).toBe(`:${Math.floor(clock.now() / 1000) + 50}\r\n`)
    // A time already past deletes the key, everywhere, and the value is still the answer.
    expect(run('GETEX', 'k', 'PXAT', String(clock.now() - 1))).toBe('$1\r\nv\r\n')
    await net.settle()
    expect(run('EXISTS', 'k')).toBe(':0\r\n')
    expect(mapB.has('k')).toBe(false)
    run('SET', 'k', 'v')
    // As redis-server 7.0.15 answers them byte for byte.
    expect(run('GETEX', 'k', 'EX', '0')).toBe("-ERR invalid expire time in 'getex' command\r\n")
    expect(run('GETEX', 'k', 'EX', 'soon')).toBe('-ERR value is not an integer or out of range\r\n')
    expect(run('GETEX', 'k', 'EX', 'soon', 'PX', '1')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX', 'k', 'EX')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX', 'k', 'EX', '10', 'PERSIST')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX', 'k', 'PERSIST', 'EX', '10')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX', 'k', 'BOGUS')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX', 'k', 'EX', '10', 'EX', '20')).toBe('$1\r\nv\r\n')
    expect(run('TTL', 'k')).toBe(':20\r\n')
    // A missing key is nil, whatever the options' numbers: Redis reads them only for a key that exists.
    expect(run('GETEX', 'missing', 'EX', '0')).toBe('$-1\r\n')
    expect(run('GETEX', 'missing', 'BOGUS')).toBe('-ERR syntax error\r\n')
    expect(run('GETEX')).toBe("-ERR wrong number of arguments for 'getex' command\r\n")
  })

  it('reads part of a value with GETRANGE and SUBSTR, counting negative offsets from the end as Redis 7 does', () => {
    const { run } = setup()
    run('SET', 's', 'hello')
    const range = (start: string, end: string): string => run('GETRANGE', 's', start, end)
    // Each answer as redis-server 7.0.15 gives it.
    expect(range('0', '-1')).toBe('$5\r\nhello\r\n')
    expect(range('-3', '-1')).toBe('$3\r\nllo\r\n')
    expect(range('-100', '100')).toBe('$5\r\nhello\r\n')
    expect(range('4', '4')).toBe('$1\r\no\r\n')
    expect(range('-6', '-6')).toBe('$1\r\nh\r\n')
    expect(range('3', '-2')).toBe('$1\r\nl\r\n')
    for (const [start, end] of [['-1', '-5'], ['2', '1'], ['10', '20'], ['3', '-3'], ['-6', '-7']] as const) {
      expect(range(start, end), `${start} ${end}`).toBe('$0\r\n\r\n')
    }
    expect(run('SUBSTR', 's', '1', '3')).toBe('$3\r\nell\r\n')
    // A missing key or an empty value is an empty string, not nil.
    expect(run('GETRANGE', 'missing', '0', '-1')).toBe('$0\r\n\r\n')
    run('SET', 'e', '')
    expect(run('GETRANGE', 'e', '0', '0')).toBe('$0\r\n\r\n')
    expect(range('a', '1')).toBe('-ERR value is not an integer or out of range\r\n')
    expect(run('GETRANGE', 's', '0')).toBe("-ERR wrong number of arguments for 'getrange' command\r\n")
  })

  it('expires keys at their TTL on every node', async () => {
    const { net, mapB, run, clock } = setup()
    expect(run('SET', 'k', 'v', 'EX', '10')).toBe('+OK\r\n')
    expect(run('TTL', 'k')).toBe(':10\r\n')
    await net.settle()
    expect(mapB.has('k')).toBe(true)
    await clock.advance(9_999)
    expect(mapB.has('k')).toBe(true)
    await clock.advance(1)
    expect(run('GET', 'k')).toBe('$-1\r\n')
    expect(mapB.has('k')).toBe(false)
    expect(run('TTL', 'k')).toBe(':-2\r\n')
  })

  it('sets, reads and clears TTLs with EXPIRE, PEXPIRE, PERSIST, TTL and PTTL', async () => {
    const { run, clock } = setup()
    run('SET', 'k', 'v')
    expect(run('TTL', 'k')).toBe(':-1\r\n')
    expect(run('EXPIRE', 'missing', '5')).toBe(':0\r\n')
    expect(run('EXPIRE', 'k', '5')).toBe(':1\r\n')
    expect(run('PTTL', 'k')).toBe(':5000\r\n')
    expect(run('EXPIRE', 'k', '10', 'NX')).toBe(':0\r\n')
    expect(run('EXPIRE', 'k', '2', 'GT')).toBe(':0\r\n')
    expect(run('PEXPIRE', 'k', '20000', 'GT')).toBe(':1\r\n')
    expect(run('EXPIRE', 'k', 'x')).toBe('-ERR value is not an integer or out of range\r\n')
    expect(run('PERSIST', 'k')).toBe(':1\r\n')
    expect(run('TTL', 'k')).toBe(':-1\r\n')
    expect(run('PEXPIRE', 'k', '100')).toBe(':1\r\n')
    await clock.advance(100)
    expect(run('EXISTS', 'k')).toBe(':0\r\n')
    run('SET', 'j', 'v')
    expect(run('EXPIRE', 'j', '-1')).toBe(':1\r\n')
    expect(run('EXISTS', 'j')).toBe(':0\r\n')
  })

  it('deletes, counts and lists keys', () => {
    const { run } = setup()
    expect(run('MSET', 'user:1', 'a', 'user:2', 'b', 'room:1', 'c')).toBe('+OK\r\n')
    expect(run('MSET', 'odd')).toBe("-ERR wrong number of arguments for 'mset' command\r\n")
    expect(run('EXISTS', 'user:1', 'user:1', 'nope')).toBe(':2\r\n')
    expect(run('DBSIZE')).toBe(':3\r\n')
    const keys = run('KEYS', 'user:*')
    expect(keys.startsWith('*2\r\n')).toBe(true)
    expect(keys).toContain('user:1')
    expect(keys).toContain('user:2')
    expect(run('KEYS', 'r?om:[0-9]')).toBe('*1\r\n$6\r\nroom:1\r\n')
    expect(run('DEL', 'user:1', 'user:1', 'nope')).toBe(':1\r\n')
    expect(run('TYPE', 'room:1')).toBe('+string\r\n')
    expect(run('TYPE', 'user:1')).toBe('+none\r\n')
    expect(run('STRLEN', 'room:1')).toBe(':1\r\n')
    expect(run('FLUSHDB')).toBe('+OK\r\n')
    expect(run('DBSIZE')).toBe(':0\r\n')
  })

  it('walks every key exactly once with SCAN, MATCH and COUNT while keys change, keeping nothing per connection', () => {
    const { run } = setup()
    for (let i = 0; i < 25; i++) run('SET', `k:${i}`, 'v')
    run('SET', 'other', 'v')
    const seen: string[] = []
    let cursor = '0'
    let first = true
    do {
      const reply = run('SCAN', cursor, 'MATCH', 'k:*', 'COUNT', '7')
      const lines = reply.split('\r\n')
      cursor = lines[2]!
      for (let i = 5; i < lines.length; i += 2) if (lines[i] !== undefined && lines[i] !== '') seen.push(lines[i]!)
      // A key added meanwhile may or may not be returned, as in Redis; never twice.
      if (first) run('SET', 'k:new', 'v')
      first = false
    } while (cursor !== '0')
    expect(seen.filter((k) => k !== 'k:new').sort()).toEqual(Array.from({ length: 25 }, (_, i) => `k:${i}`).sort())
    expect(seen.filter((k) => k === 'k:new').length).toBeLessThanOrEqual(1)
    // TYPE of another kind finds nothing; the walk still goes on to its end.
    let typed = '0'
    do {
      const lines = run('SCAN', typed, 'TYPE', 'hash', 'COUNT', '100').split('\r\n')
      expect(lines[3]).toBe('*0')
      typed = lines[2]!
    } while (typed !== '0')
    expect(run('SCAN', 'x')).toBe('-ERR invalid cursor\r\n')
    // Any integer is a cursor to Redis: one that is no position of the walk ends it (redis-server 7.0.15 answers so).
    expect(run('SCAN', '-1')).toBe('*2\r\n$1\r\n0\r\n*0\r\n')
    expect(run('SCAN', '18446744073709551615')).toBe('*2\r\n$1\r\n0\r\n*0\r\n')
    expect(run('SCAN', '0', 'COUNT', '0')).toBe('-ERR syntax error\r\n')
  })

  it('answers RANDOMKEY with a live key, or nil for an empty map, without listing every key', async () => {
    const { run, mapA, clock } = setup()
    expect(run('RANDOMKEY')).toBe('$-1\r\n')
    for (let i = 0; i < 50; i++) run('SET', `k:${i}`, 'v')
    run('DEL', 'k:7')
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const lines = run('RANDOMKEY').split('\r\n')
      expect(mapA.has(lines[1]!), lines[1]).toBe(true)
      seen.add(lines[1]!)
      await clock.advance(1)
    }
    // Spread over the keys as the clock moves (not a sampling API, but not one key either).
    expect(seen.size).toBeGreaterThan(1)
  })

  it('answers the connection commands clients send on connect', () => {
    const { run, session } = setup()
    expect(run('PING')).toBe('+PONG\r\n')
    expect(run('PING', 'hi')).toBe('$2\r\nhi\r\n')
    expect(run('ECHO', 'x')).toBe('$1\r\nx\r\n')
    expect(run('SELECT', '0')).toBe('+OK\r\n')
    expect(run('SELECT', '1')).toBe('-ERR DB index is out of range\r\n')
    expect(run('CLIENT', 'SETNAME', 'me')).toBe('+OK\r\n')
    expect(run('CLIENT', 'GETNAME')).toBe('$2\r\nme\r\n')
    expect(run('HELLO', '3')).toBe('-NOPROTO unsupported protocol version\r\n')
    expect(run('CLIENT', 'ID', 'x')).toBe("-ERR wrong number of arguments for 'client|id' command\r\n")
    expect(run('COMMAND', 'INFO', 'nosuch')).toBe('*1\r\n$-1\r\n')
    expect(run('COMMAND', 'DOCS')).toBe('*0\r\n')
    expect(run('CONFIG', 'GET', 'save')).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n')
    expect(run('INFO', 'persistence')).toContain('loading:0')
    expect(run('QUIT')).toBe('+OK\r\n')
    expect(session.closeRequested).toBe(true)
  })

  it('answers MEMORY USAGE with what the key adds to the data set INFO memory reports', () => {
    const { mapA, run } = setup()
    const before = mapA.bytes
    run('SET', 'user:7', 'x'.repeat(100))
    // The map's own count of the key, its value and its entry: the keys' figures add up to used_memory_dataset.
    expect(run('MEMORY', 'USAGE', 'user:7')).toBe(`:${mapA.bytes - before}\r\n`)
    expect(run('MEMORY', 'usage', 'user:7', 'SAMPLES', '0')).toBe(`:${6 + 100 + 256}\r\n`)
    expect(run('MEMORY', 'USAGE', 'missing')).toBe('$-1\r\n')
    // As redis-server 7.0.15 answers them.
    expect(run('MEMORY', 'USAGE', 'user:7', 'SAMPLES')).toBe('-ERR syntax error\r\n')
    expect(run('MEMORY', 'USAGE', 'user:7', 'SAMPLES', 'x')).toBe('-ERR value is not an integer or out of range\r\n')
    expect(run('MEMORY', 'USAGE', 'user:7', 'SAMPLES', '-1')).toBe('-ERR syntax error\r\n')
    expect(run('MEMORY', 'USAGE', 'missing', 'BOGUS', '1')).toBe('-ERR syntax error\r\n')
    expect(run('MEMORY', 'USAGE')).toBe("-ERR wrong number of arguments for 'memory|usage' command\r\n")
    expect(run('MEMORY')).toBe("-ERR wrong number of arguments for 'memory' command\r\n")
    // Redis's other subcommands (DOCTOR, STATS, …) are not offered: Redis's answer to a subcommand it does not know.
    expect(run('MEMORY', 'doctor')).toBe("-ERR unknown subcommand 'doctor'. Try MEMORY HELP.\r\n")
  })

  it('lists the peers in INFO replication', async () => {
    const { net, run } = setup()
    await net.settle()
    const info = run('INFO', 'replication')
    expect(info).toContain('cohort_peers:1')
    expect(info).toContain('cohort_peer0:node=b@h,pending=0,caught_up=1')
  })

  it('answers unknown commands, wrong arity and refused commands with Redis-style errors', () => {
    const { run } = setup()
    // Byte for byte as redis-server 7.0.15: a space after each quoted argument.
    expect(run('NOPE', 'a', 'b')).toBe("-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n")
    expect(run('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n")
    expect(run('GET', 'a', 'b')).toBe("-ERR wrong number of arguments for 'get' command\r\n")
    expect(run('INCR', 'n')).toMatch(/^-ERR INCR is not supported by the replicated cache: a counter cannot be kept/)
    expect(run('MULTI')).toMatch(/^-ERR MULTI is not supported by the replicated cache: transactions/)
    expect(run('LPUSH', 'l', 'x')).toMatch(/^-ERR unknown command 'LPUSH'/)
    expect(run('DBSIZE')).toBe(':0\r\n')
  })
})
