/**
 * The cache beside a real redis-server (Debian's, 7.0 here): the same commands, one at a time on one connection to
 * each, must get the same reply byte for byte. The script covers the string, key and expiry commands the cache
 * answers, their options, and the errors Redis gives for bad ones, so that a client written against Redis reads the
 * cache's answers as it reads Redis's. It avoids what may rightly differ: the order of several keys (KEYS and SCAN
 * walk different tables), millisecond TTLs (the two servers run a few ms apart), connection ids and server facts, and
 * `HELLO 3`, which Redis 7 takes and the cache, speaking RESP2 only, refuses with Redis's -NOPROTO.
 */
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { afterEach, expect, it } from 'vitest'
import { freePortRange } from '../support/free-ports.ts'
import { startCacheNode } from './support/cache-process.ts'

const REDIS_SERVER = '/usr/bin/redis-server'

const servers: ChildProcess[] = []
const sockets: Socket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const server of servers.splice(0)) server.kill('SIGKILL')
})

/** A redis-server on a free port, with nothing saved, once it accepts connections. */
async function startRedisServer(): Promise<number> {
  const [port] = await freePortRange(1)
  const server = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  servers.push(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`${REDIS_SERVER} did not start (Debian's redis-server package): ${error.message}`)))
    server.once('exit', (code) => reject(new Error(`${REDIS_SERVER} exited with ${code} before it was ready`)))
    createInterface({ input: server.stdout! }).on('line', (line) => {
      if (line.includes('Ready to accept connections')) resolve()
    })
  })
  return port!
}

/** Where the RESP2 reply that starts at `at` ends, or -1 while it is incomplete. */
function replyEnd(data: Buffer, at: number): number {
  const lineEnd = data.indexOf('\r\n', at, 'latin1')
  if (lineEnd < 0) return -1
  const type = String.fromCharCode(data[at]!)
  if (type === '+' || type === '-' || type === ':') return lineEnd + 2
  const count = Number(data.toString('latin1', at + 1, lineEnd))
  if (type === '$') return count < 0 ? lineEnd + 2 : lineEnd + 2 + count + 2 <= data.length ? lineEnd + 2 + count + 2 : -1
  if (type !== '*') throw new Error(`not a RESP2 reply: ${JSON.stringify(data.toString('latin1', at))}`)
  let next = lineEnd + 2
  for (let i = 0; i < count; i++) {
    next = replyEnd(data, next)
    if (next < 0) return -1
  }
  return next
}

/** One connection that sends commands in one write and waits for all their replies, one string each. */
async function respConnection(port: number): Promise<(commands: string[][]) => Promise<string[]>> {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let received = Buffer.alloc(0)
  let waiting: (() => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    waiting?.()
  })
  return async (commands) => {
    socket.write(commands.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''))
    const replies: string[] = []
    while (replies.length < commands.length) {
      const end = received.length === 0 ? -1 : replyEnd(received, 0)
      if (end < 0) {
        await new Promise<void>((resolve) => (waiting = resolve))
        continue
      }
      replies.push(received.toString('latin1', 0, end))
      received = received.subarray(end)
    }
    return replies
  }
}

/** A RESP2 reply decoded: strings, integers, null, and arrays of them. */
type Reply = string | number | null | Reply[]

/** Decodes the one whole reply that starts at `at` (see `replyEnd`); returns it and where it ends. */
function decodeReply(data: Buffer, at: number): [Reply, number] {
  const lineEnd = data.indexOf('\r\n', at, 'latin1')
  const type = String.fromCharCode(data[at]!)
  const line = data.toString('latin1', at + 1, lineEnd)
  if (type === '+' || type === '-') return [line, lineEnd + 2]
  if (type === ':') return [Number(line), lineEnd + 2]
  const count = Number(line)
  if (type === '$') return count < 0 ? [null, lineEnd + 2] : [data.toString('latin1', lineEnd + 2, lineEnd + 2 + count), lineEnd + 4 + count]
  const items: Reply[] = []
  let next = lineEnd + 2
  for (let i = 0; i < count; i++) {
    const [item, end] = decodeReply(data, next)
    items.push(item)
    next = end
  }
  return [items, next]
}

/** The commands whose replies differ between the two servers, with both replies. */
function differences(commands: string[][], redis: string[], cache: string[]): { command: string; redis: string; cache: string }[] {
  return commands.flatMap((command, i) => (cache[i] === redis[i] ? [] : [{ command: command.join(' '), redis: redis[i]!, cache: cache[i]! }]))
}

/** A Unix time well in the future, so EXPIRETIME reads the same on both. */
const IN_2100 = '4102444800'

const SCRIPT: string[][] = [
  // Strings.
  ['SET', 'a', '1'], ['SET', 'b', '2'], ['MGET', 'a', 'b', 'nokey'], ['GET', 'nokey'], ['GET'],
  ['MSET', 'c', '3', 'd'], ['MSET', 'c', '3', 'd', '4'], ['MSETNX', 'c', 'x', 'e', '5'], ['MSETNX', 'e', '5', 'f', '6'], ['GET', 'e'],
  ['SETNX', 'a', 'x'], ['SETNX', 'g', '7'], ['SETEX', 'h', '10', 'v'], ['TTL', 'h'], ['SETEX', 'h', '0', 'v'], ['SETEX', 'h', 'abc', 'v'], ['PSETEX', 'h', '-5', 'v'],
  ['GETSET', 'a', '9'], ['GETSET', 'zz', '9'], ['GETDEL', 'zz'], ['GETDEL', 'zz'], ['STRLEN', 'a'], ['STRLEN', 'nokey'],
  // SET's options.
  ['SET', 'k', '1', 'NX'], ['SET', 'k', '2', 'NX'], ['SET', 'other', '2', 'XX'], ['SET', 'k', '3', 'XX', 'GET'], ['SET', 'k', '4', 'nx', 'xx'],
  ['SET', 'k', '5', 'EX', '10', 'EX', '20', 'GET', 'GET'], ['TTL', 'k'], ['SET', 'k', '6', 'KEEPTTL', 'KEEPTTL'], ['TTL', 'k'],
  ['SET', 'k', '7', 'EX', '10', 'PX', '100'], ['SET', 'k', '7', 'EX', 'soon', 'PX', '1'], ['SET', 'k', '7', 'EX', 'soon'], ['SET', 'k', '7', 'EX', '0'],
  ['SET', 'k', '7', 'KEEPTTL', 'EX', '5'], ['SET', 'k', '7', 'EX', '5', 'KEEPTTL'], ['SET', 'k', '7', 'EX'], ['SET', 'k', '7', 'BOGUS'],
  ['SET', 'k', '8', 'EXAT', IN_2100], ['EXPIRETIME', 'k'], ['SET', 'k', '9', 'PXAT', '1'], ['EXISTS', 'k'], ['SET', 'k'],
  // GETEX and GETRANGE.
  ['SET', 'k', 'v'], ['GETEX', 'k'], ['TTL', 'k'], ['GETEX', 'k', 'EX', '100'], ['TTL', 'k'], ['GETEX', 'k', 'PERSIST'], ['TTL', 'k'], ['GETEX', 'k', 'PERSIST'],
  ['GETEX', 'missing', 'EX', '10'], ['GETEX', 'missing', 'EX', '0'], ['GETEX', 'missing', 'EX', 'abc'], ['GETEX', 'missing', 'FOO'],
  ['GETEX', 'k', 'EX', '0'], ['GETEX', 'k', 'EX', '-1'], ['GETEX', 'k', 'EX', 'abc'], ['GETEX', 'k', 'EX', 'abc', 'PX', '1'], ['GETEX', 'k', 'EX'],
  ['GETEX', 'k', 'EX', '10', 'PX', '10'], ['GETEX', 'k', 'PERSIST', 'EX', '10'], ['GETEX', 'k', 'EX', '10', 'PERSIST'], ['GETEX', 'k', 'FOO'],
  ['GETEX', 'k', 'ex', '10'], ['TTL', 'k'], ['GETEX', 'k', 'EX', '10', 'EX', '20'], ['TTL', 'k'], ['GETEX', 'k', 'EXAT', IN_2100], ['EXPIRETIME', 'k'],
  ['GETEX', 'k', 'EXAT', '1'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['GETEX', 'k', 'PXAT', '1'], ['EXISTS', 'k'], ['GETEX'],
  ['SET', 's', 'hello'], ['GETRANGE', 's', '0', '-1'], ['GETRANGE', 's', '-3', '-1'], ['GETRANGE', 's', '-1', '-5'], ['GETRANGE', 's', '2', '1'],
  ['GETRANGE', 's', '-100', '100'], ['GETRANGE', 's', '10', '20'], ['GETRANGE', 's', '4', '4'], ['GETRANGE', 's', '-5', '-5'], ['GETRANGE', 's', '-6', '-6'],
  ['GETRANGE', 's', '-6', '-7'], ['GETRANGE', 's', '3', '-3'], ['GETRANGE', 's', '3', '-2'], ['GETRANGE', 'missing', '0', '-1'], ['GETRANGE', 'missing', 'a', '1'],
  ['GETRANGE', 's', 'a', '1'], ['GETRANGE', 's', '0'], ['SUBSTR', 's', '1', '3'], ['SET', 'empty', ''], ['GETRANGE', 'empty', '0', '-1'], ['GETRANGE', 'empty', '0', '0'],
  // Keys.
  ['DEL', 'a', 'b', 'nokey'], ['UNLINK', 'c'], ['EXISTS', 'd', 'd', 'nokey'], ['TOUCH', 'd', 'nokey'], ['TYPE', 'd'], ['TYPE', 'nokey'], ['DEL'],
  ['KEYS', 'e'], ['KEYS', '[e]'], ['KEYS', 'nothing*'], ['KEYS', '\\e'], ['SCAN', '0', 'MATCH', 'e'], ['SCAN', '0', 'COUNT', 'abc'], ['SCAN', 'abc'], ['SCAN', '0', 'COUNT', '0'],
  // Expiry.
  ['EXPIRE', 'd', '10', 'NX'], ['EXPIRE', 'd', '10', 'NX'], ['EXPIRE', 'd', '20', 'XX'], ['TTL', 'd'], ['EXPIRE', 'd', '5', 'GT'], ['EXPIRE', 'd', '30', 'GT'],
  ['EXPIRE', 'd', '50', 'LT'], ['EXPIRE', 'd', '5', 'LT'], ['TTL', 'd'], ['EXPIRE', 'd', '5', 'NX', 'XX'], ['EXPIRE', 'd', '5', 'GT', 'LT'], ['EXPIRE', 'd', '5', 'FOO'],
  ['EXPIRE', 'd', 'soon'], ['EXPIRE', 'nokey', '5'], ['PEXPIREAT', 'd', '1'], ['EXISTS', 'd'], ['PEXPIREAT', 'nokey', '1'], ['PERSIST', 'nokey'], ['PERSIST', 'e'],
  ['SET', 'e', '5', 'EX', '100'], ['PERSIST', 'e'], ['TTL', 'e'], ['EXPIREAT', 'e', IN_2100], ['EXPIRETIME', 'e'], ['PEXPIRETIME', 'nokey'], ['TTL', 'nokey'], ['PTTL', 'nokey'],
  // MEMORY USAGE's errors (its figures are each server's own count of memory).
  ['MEMORY', 'USAGE', 'nokey'], ['MEMORY', 'USAGE', 'e', 'SAMPLES'], ['MEMORY', 'USAGE', 'e', 'SAMPLES', 'x'], ['MEMORY', 'USAGE', 'e', 'SAMPLES', '-1'],
  ['MEMORY', 'USAGE', 'nokey', 'BOGUS', '1'], ['MEMORY', 'USAGE'], ['MEMORY', 'doctorx'], ['MEMORY'],
  // The connection.
  ['PING'], ['PING', 'hello'], ['PING', 'a', 'b'], ['ECHO', 'hi'], ['ECHO'], ['SELECT', '0'], ['SELECT', 'abc'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'my name'],
  ['CLIENT', 'SETNAME', 'app'], ['CLIENT', 'GETNAME'], ['AUTH', 'secret'], ['AUTH', 'default', 'anything'], ['AUTH', 'someone', 'secret'],
  // WAIT, with no replica (Redis) and no peer (the cache): 0, Redis after its timeout, the cache at once.
  ['SET', 'w', '1'], ['WAIT', '0', '0'], ['WAIT', '1', '10'], ['WAIT', '-1', '0'], ['WAIT', 'x', '0'], ['WAIT', '0', 'x'], ['WAIT', '0', '-1'], ['WAIT', '0', '1.5'], ['WAIT', '0'],
  // Unknown.
  ['NOSUCH', 'x', 'y'],
  ['DBSIZE'], ['FLUSHDB', 'NOW'], ['FLUSHDB'], ['DBSIZE'], ['RANDOMKEY'],
]

/** A redis-server and a cache node, each with a connection. */
async function startBoth(): Promise<{ redis: (commands: string[][]) => Promise<string[]>; cache: (commands: string[][]) => Promise<string[]> }> {
  const [redisPort, cache] = await Promise.all([startRedisServer(), startCacheNode({ name: 'parity@127.0.0.1' })])
  const [redisConnection, cacheConnection] = await Promise.all([respConnection(redisPort), respConnection(cache.redisPort)])
  return { redis: redisConnection, cache: cacheConnection }
}

it('answers every command of the script as redis-server does, byte for byte', async () => {
  const { redis, cache } = await startBoth()
  const expected: string[] = []
  const actual: string[] = []
  for (const command of SCRIPT) {
    expected.push(...(await redis([command])))
    actual.push(...(await cache([command])))
  }
  expect(differences(SCRIPT, expected, actual)).toEqual([])
})

it('answers the whole script pipelined in one write as redis-server does', async () => {
  // Commands that arrive together are served together (and GET and SET take a fast path): the same replies, in order.
  const { redis, cache } = await startBoth()
  const [expected, actual] = [await redis(SCRIPT), await cache(SCRIPT)]
  expect(differences(SCRIPT, expected, actual)).toEqual([])
})

/** The commands the cache refuses with a reason (README, "Refused"): what COMMAND says of their flags is moot. */
const REFUSED = new Set(['incr', 'decr', 'incrby', 'decrby', 'incrbyfloat', 'append', 'setrange', 'multi', 'exec', 'discard', 'watch', 'unwatch', 'rename', 'renamenx'])

it('describes every command in COMMAND INFO as redis-server does: arity, key positions, write and denyoom', async () => {
  // Clients that find a command's keys from COMMAND (to route them, or to check them) read the same positions.
  const { redis, cache } = await startBoth()
  const [listed] = await cache([['COMMAND', 'LIST']])
  const names = decodeReply(Buffer.from(listed!, 'latin1'), 0)[0] as string[]
  const info = async (ask: typeof redis): Promise<Reply[][]> => decodeReply(Buffer.from((await ask([['COMMAND', 'INFO', ...names]]))[0]!, 'latin1'), 0)[0] as Reply[][]
  const [expected, actual] = [await info(redis), await info(cache)]
  // [name, arity, flags, first key, last key, step]: what both answer alike, whatever Redis adds after.
  const shape = (entry: Reply[], name: string): unknown[] => {
    const flags = entry[2] as string[]
    return [entry[0], entry[1], entry[3], entry[4], entry[5], ...(REFUSED.has(name) ? [] : [flags.includes('write'), flags.includes('denyoom')])]
  }
  expect(names.length).toBeGreaterThan(40)
  expect(names.map((name, i) => shape(actual[i]!, name))).toEqual(names.map((name, i) => shape(expected[i]!, name)))
})
