/**
 * Real clients against real cache processes: redis-cli and redis-benchmark (Debian's redis-tools), ioredis, raw TCP
 * sockets for bytes no client would send, and Node's fetch for the HTTP API. Bad input gets a clear error, nothing is
 * stored wrongly, and the node keeps serving other connections.
 */
import { Buffer } from 'node:buffer'
import { execFile, execFileSync } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { httpGet, httpPut, startCacheCluster, startCacheNode, until } from './support/cache-process.ts'
import type { CacheNode } from './support/cache-process.ts'

const run = promisify(execFile)

function requireTool(tool: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
  } catch {
    throw new Error(`${tool} is missing: install Debian's redis-tools package (apt-get install redis-tools) to run these tests`)
  }
}

beforeAll(() => {
  requireTool('redis-cli')
  requireTool('redis-benchmark')
})

const clients: Redis[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect()
})

function ioredis(node: CacheNode): Redis {
  const client = new Redis({ host: node.host, port: node.redisPort, lazyConnect: false, maxRetriesPerRequest: 0 })
  clients.push(client)
  return client
}

async function cli(node: CacheNode, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', node.host, '-p', String(node.redisPort), ...args])
  return stdout.trimEnd()
}

/** Sends raw bytes on a new connection; resolves with everything received until the server closes it (or `untilText`). */
function raw(node: CacheNode, bytes: Buffer | string, untilText?: string): Promise<{ reply: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(node.redisPort, node.host)
    const chunks: Buffer[] = []
    const text = (): string => Buffer.concat(chunks).toString('latin1')
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (untilText !== undefined && text().includes(untilText)) {
        socket.destroy()
        resolve({ reply: text(), closedByServer: false })
      }
    })
    socket.on('end', () => resolve({ reply: text(), closedByServer: true }))
    socket.on('error', reject)
    socket.write(bytes)
  })
}

describe('cache with real Redis clients', () => {
  it('serves redis-cli, and a write through redis-cli is read on the other node', async () => {
    const [a, b] = (await startCacheCluster(['a@127.0.0.1', 'b@127.0.0.1'])) as [CacheNode, CacheNode]
    expect(await cli(a, 'PING')).toBe('PONG')
    expect(await cli(a, 'SET', 'city', 'Zürich', 'EX', '100')).toBe('OK')
    expect(await cli(a, 'GET', 'city')).toBe('Zürich')
    await until(async () => (await cli(b, 'GET', 'city')) === 'Zürich', 10_000, 'b to read the city')
    const ttl = Number(await cli(b, 'TTL', 'city'))
    expect(ttl).toBeGreaterThan(90)
    expect(ttl).toBeLessThanOrEqual(100)
    expect(await cli(a, 'INCR', 'counter')).toMatch(/ERR INCR is not supported by the replicated cache/)
    const info = await cli(a, 'INFO', 'replication')
    expect(info).toContain('cohort_peers:1')
    expect(info).toContain(`node=${b.name}`)
    expect(await cli(b, '--scan', '--pattern', 'c*')).toBe('city')
    expect(await cli(b, 'DBSIZE')).toBe('1')
  })

  it('runs redis-benchmark -t ping,set,get with and without pipelining', async () => {
    const [a, b] = (await startCacheCluster(['a@127.0.0.1', 'b@127.0.0.1'])) as [CacheNode, CacheNode]
    for (const pipeline of ['1', '16']) {
      const { stdout } = await run('redis-benchmark', ['-h', a.host, '-p', String(a.redisPort), '-t', 'ping,set,get', '-n', '2000', '-c', '10', '-P', pipeline, '-q'])
      for (const test of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET']) expect(stdout).toMatch(new RegExp(`${test}: [\\d.]+ requests per second`))
    }
    // redis-benchmark's writes to "key:__rand_int__" replicated: b ends with the value a ended with.
    const last = await cli(a, 'GET', 'key:__rand_int__')
    expect(last).toHaveLength(3)
    await until(async () => (await cli(b, 'GET', 'key:__rand_int__')) === last, 10_000, 'the benchmark key on b')
  })

  it('serves ioredis: pipelines, binary keys and values, TTLs, SCAN streams and refused commands', async () => {
    const a = await startCacheNode({ name: 'a@127.0.0.1' })
    const redis = ioredis(a)
    expect(await redis.set('k', 'v')).toBe('OK')
    expect(await redis.get('k')).toBe('v')
    const pipeline = redis.pipeline()
    for (let i = 0; i < 200; i++) pipeline.set(`p:${i}`, String(i))
    for (let i = 0; i < 200; i++) pipeline.get(`p:${i}`)
    const results = (await pipeline.exec())!
    expect(results.slice(200).map(([, v]) => v)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)))
    const key = Buffer.from([0xff, 0x00, 0xfe, 0x0a])
    const value = Buffer.from([0xc3, 0x28, 0x00, 0x0d, 0x0a, 0xff])
    await redis.set(key, value)
    expect((await redis.getBuffer(key))?.equals(value)).toBe(true)
    expect(await redis.set('__proto__', 'not a prototype')).toBe('OK')
    expect(await redis.set('constructor', 'not a function')).toBe('OK')
    expect(await redis.mget('__proto__', 'constructor')).toEqual(['not a prototype', 'not a function'])
    expect(await redis.set('t', 'x', 'PX', 60_000, 'NX')).toBe('OK')
    expect(await redis.set('t', 'y', 'PX', 60_000, 'NX')).toBeNull()
    const pttl = await redis.pttl('t')
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(60_000)
    expect(await redis.expire('t', 5)).toBe(1)
    const ttl = await redis.ttl('t')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(5)
    // A sliding expiry, as session stores keep one: read the value and push its TTL out in one command.
    expect(await redis.getex('t', 'EX', 3600)).toBe('x')
    expect(await redis.ttl('t')).toBeGreaterThan(5)
    expect(await redis.getex('t', 'PERSIST')).toBe('x')
    expect(await redis.ttl('t')).toBe(-1)
    expect(await redis.getrange('t', 0, -1)).toBe('x')
    expect((await redis.getrangeBuffer(key, 1, -2)).equals(value.subarray(1, -1))).toBe(true)
    const scanned: string[] = []
    await new Promise<void>((resolve, reject) => {
      redis.scanStream({ match: 'p:*', count: 50 }).on('data', (keys: string[]) => scanned.push(...keys)).on('end', resolve).on('error', reject)
    })
    expect(scanned.length).toBe(200)
    expect(new Set(scanned).size).toBe(200)
    await expect(redis.incr('n')).rejects.toThrow(/INCR is not supported by the replicated cache/)
    await expect(redis.call('NOSUCH', 'x')).rejects.toThrow(/unknown command 'NOSUCH'/)
    await expect(redis.call('GET')).rejects.toThrow(/wrong number of arguments for 'get' command/)
    await expect(redis.call('EXPIRE', 'k', 'soon')).rejects.toThrow(/value is not an integer or out of range/)
    // The connection stayed open through every error.
    expect(await redis.get('k')).toBe('v')
    expect(await redis.dbsize()).toBe(205)
  })

  it('closes only the offending connection for a huge bulk length, truncated or non-RESP bytes', async () => {
    const a = await startCacheNode({ name: 'a@127.0.0.1', env: { CACHE_MAX_REQUEST_BYTES: '65536' } })
    const redis = ioredis(a)
    await redis.set('safe', 'kept')

    const huge = await raw(a, '*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$99999999999\r\n')
    expect(huge.reply).toMatch(/^-ERR request is larger than the limit of 65536 bytes\r\n$/)
    expect(huge.closedByServer).toBe(true)

    const tooLarge = await raw(a, Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$70000\r\n'), Buffer.alloc(70000, 0x61), Buffer.from('\r\n')]))
    expect(tooLarge.reply).toMatch(/^-ERR request is larger than the limit/)

    const notResp = await raw(a, Buffer.from([0x2a, 0x32, 0x0d, 0x0a, 0x24, 0xff, 0xfe, 0x0d, 0x0a]))
    expect(notResp.reply).toBe('-ERR Protocol error: invalid bulk length\r\n')
    expect(notResp.closedByServer).toBe(true)

    const wrongType = await raw(a, '*2\r\n$3\r\nGET\r\n:1\r\n')
    expect(wrongType.reply).toBe("-ERR Protocol error: expected '$', got ':'\r\n")

    // Non-UTF-8 bytes inside a proper request are just bytes.
    const binary = await raw(a, Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$2\r\n'), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n$1\r\n'), Buffer.from([0xff]), Buffer.from('\r\n')]), '+OK\r\n')
    expect(binary.reply).toBe('+OK\r\n')
    expect((await redis.getBuffer(Buffer.from([0xc3, 0x28])))?.equals(Buffer.from([0xff]))).toBe(true)

    // A truncated request from a client that goes away stores nothing.
    await new Promise<void>((resolve) => {
      const socket = connect(a.redisPort, a.host, () => socket.end('*3\r\n$3\r\nSET\r\n$9\r\ntruncated\r\n$5\r\nab', () => resolve()))
    })
    const inline = await raw(a, 'PING\r\nECHO "two words"\r\nQUIT\r\n')
    expect(inline.reply).toBe('+PONG\r\n$9\r\ntwo words\r\n+OK\r\n')
    expect(inline.closedByServer).toBe(true)

    // Nothing wrong was stored, and the first connection still works.
    expect(await redis.exists('huge', 'big', 'truncated')).toBe(0)
    expect(await redis.get('safe')).toBe('kept')
    expect(await redis.dbsize()).toBe(2)
  })

  it('serves the HTTP API through fetch, with clear errors for bad input', async () => {
    const a = await startCacheNode({ name: 'a@127.0.0.1', env: { CACHE_MAX_REQUEST_BYTES: '4096' } })
    const redis = ioredis(a)
    await httpPut(a, 'user:1', 'ada')
    await httpPut(a, 'user:2', 'grace')
    expect(await httpGet(a, 'user:1')).toBe('ada')
    expect(await httpGet(a, 'nobody')).toBeUndefined()
    expect(await (await fetch(`${a.http}/kv?prefix=user%3A`)).json()).toEqual(expect.arrayContaining(['user:1', 'user:2']))

    // Binary keys and values: %FF is the byte 0xFF, and RESP sees the same key.
    const value = Buffer.from([0x00, 0xff, 0x80, 0x0a])
    expect((await fetch(`${a.http}/kv/bin%FF%00`, { method: 'PUT', body: value })).status).toBe(204)
    const got = await fetch(`${a.http}/kv/bin%FF%00`)
    expect(got.headers.get('content-type')).toBe('application/octet-stream')
    expect(Buffer.from(await got.arrayBuffer()).equals(value)).toBe(true)
    expect((await redis.getBuffer(Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x00])))?.equals(value)).toBe(true)
    expect(await (await fetch(`${a.http}/kv?prefix=bin&encoding=base64`)).json()).toEqual([Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x00]).toString('base64')])

    await httpPut(a, '__proto__', 'p')
    await httpPut(a, 'constructor', 'c')
    expect(await httpGet(a, '__proto__')).toBe('p')
    expect(await redis.get('constructor')).toBe('c')

    const bad = async (url: string, init: RequestInit, status: number, message: RegExp): Promise<void> => {
      const res = await fetch(`${a.http}${url}`, init)
      expect(res.status, url).toBe(status)
      expect(await res.text(), url).toMatch(message)
    }
    await bad('/kv/bad%zzescape', { method: 'PUT', body: 'x' }, 400, /bad percent escape in the key/)
    await bad('/kv/', { method: 'GET' }, 400, /empty key/)
    await bad('/kv/k?ttlMs=-5', { method: 'PUT', body: 'x' }, 400, /ttlMs must be a positive integer of milliseconds, got "-5"/)
    await bad('/kv/k?ttlMs=soon', { method: 'PUT', body: 'x' }, 400, /ttlMs must be a positive integer/)
    await bad('/kv/k?ttlMs=9999999999999999', { method: 'PUT', body: 'x' }, 400, /ttlMs must be at most \d+ \(100 years\)/)
    await bad('/kv/k?replicas=-1', { method: 'PUT', body: 'x' }, 400, /replicas must be a whole number of nodes from 0 to 9999, got "-1"/)
    await bad('/kv/k?replicas=1&waitMs=0', { method: 'DELETE' }, 400, /waitMs must be a positive integer of milliseconds, got "0"/)
    await bad('/kv/k?replicas=1&waitMs=60001', { method: 'PUT', body: 'x' }, 400, /waitMs must be at most 60000, got 60001/)
    await bad('/kv/k?waitMs=10', { method: 'PUT', body: 'x' }, 400, /waitMs goes with replicas/)
    // A node alone: no other node holds the write, and it says so without waiting out waitMs.
    const alone = await fetch(`${a.http}/kv/waited?replicas=1&waitMs=60000`, { method: 'PUT', body: 'x' })
    expect([alone.status, alone.headers.get('x-replicated-to')]).toEqual([204, '0'])
    const gone = await fetch(`${a.http}/kv/waited?replicas=1`, { method: 'DELETE' })
    expect([gone.status, gone.headers.get('x-replicated-to')]).toEqual([204, '0'])
    await bad('/kv/big', { method: 'PUT', body: Buffer.alloc(5000) }, 413, /larger than the limit of 4096 bytes/)
    // The same as a chunked upload, without a content-length: the 413 once the limit passes, and the node lives on
    // (it used to end the connection a second time and crash on the socket Node had already let go of).
    const chunked = await new Promise<string>((resolve) => {
      const url = new URL(a.http)
      let reply = ''
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('PUT /kv/big HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n')
        for (let i = 0; i < 5; i++) socket.write(`3e8\r\n${'x'.repeat(1000)}\r\n`)
        socket.write('0\r\n\r\n')
      })
      socket.on('data', (d: Buffer) => (reply += d.toString()))
      // The server may reset the connection after its answer, with our chunks still coming: the answer is what counts.
      socket.on('error', () => resolve(reply))
      socket.on('close', () => resolve(reply))
    })
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /)
    expect(chunked).toMatch(/larger than the limit of 4096 bytes/)
    await bad('/kv/k', { method: 'POST', body: 'x' }, 405, /use GET, PUT or DELETE/)
    await bad('/nowhere', { method: 'GET' }, 404, /not found/)
    await bad('/kv?encoding=hex', { method: 'GET' }, 400, /encoding must be utf8 or base64/)
    // An upload cut off half way stores nothing.
    await new Promise<void>((resolve) => {
      const url = new URL(a.http)
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('PUT /kv/cut HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nonly ten b', () => {
          socket.destroy()
          resolve()
        })
      })
    })
    // Nothing from the bad requests was stored; the node still serves.
    expect(await redis.exists('k', 'big', 'bad%zzescape', 'cut')).toBe(0)
    expect(await httpGet(a, 'user:2')).toBe('grace')
    expect((await fetch(`${a.http}/livez`)).status).toBe(200)
    expect((await fetch(`${a.http}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${a.http}/metrics`)).text()
    expect(metrics).toMatch(/^cohort_cache_keys 5$/m)
    expect(metrics).toMatch(/^cohort_cache_resp_connections 1$/m)
    expect(metrics).toContain('process_resident_memory_bytes')
  })
})
