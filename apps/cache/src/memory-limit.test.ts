/**
 * CACHE_MAX_MEMORY as Redis's maxmemory with noeviction, over a real RESP socket: past the limit every command that
 * adds data gets Redis's own OOM error (the GET/SET fast path included), while reads, deletes and a peer's writes go on,
 * and a delete that makes room lets writes in again.
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { startReplicatedMap } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { OOM_ERROR } from './command-table.ts'
import { MemoryLimit } from './memory-limit.ts'
import { startRespServer } from './resp-server.ts'
import type { RespServer } from './resp-server.ts'

let net: InMemoryNetwork | undefined
let resp: RespServer | undefined
let socket: Socket | undefined

afterEach(async () => {
  socket?.destroy()
  await resp?.close()
  await net?.[Symbol.asyncDispose]()
  socket = resp = net = undefined
})

/** A RESP client that sends one command at a time and resolves with its whole reply. */
async function respClient(port: number): Promise<(...args: string[]) => Promise<string>> {
  socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket!.once('connect', resolve))
  socket.setEncoding('latin1')
  let buffered = ''
  let waiting: ((reply: string) => void) | undefined
  socket.on('data', (d: string) => {
    buffered += d
    // Every reply these tests read is one line: +OK, :n, -ERR…, $-1, or a short bulk string's two lines.
    const complete = /^(\$\d+\r\n.*\r\n|[^$].*\r\n)/s.exec(buffered)
    if (complete !== null && waiting !== undefined) {
      buffered = buffered.slice(complete[0].length)
      const w = waiting
      waiting = undefined
      w(complete[0])
    }
  })
  return (...args) =>
    new Promise((resolve) => {
      waiting = resolve
      socket!.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`)
    })
}

describe('CACHE_MAX_MEMORY (maxmemory, noeviction)', () => {
  it('refuses what adds data past the limit with Redis\'s OOM error, serves the rest, and lets writes in once there is room', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const map = startReplicatedMap<Uint8Array>(a, { scope: 'cache' })
    const peer = startReplicatedMap<Uint8Array>(b, { scope: 'cache' })
    const value = 'v'.repeat(1000)
    // What one such key takes, measured on a map of its own; then room for three of them, not four.
    const probe = startReplicatedMap<Uint8Array>(net.addNode('probe@h'), { scope: 'probe' })
    probe.set('a', Buffer.from(value))
    const perKey = probe.bytes
    expect(perKey).toBeGreaterThan(1001)
    const limit = new MemoryLimit(3 * perKey + 10)
    resp = await startRespServer({ map, port: 0, now: () => a.clock.now(), nodeName: 'a@h', memoryLimit: limit, logger: pino({ level: 'silent' }) })
    const run = await respClient(resp.port)

    for (const k of ['a', 'b', 'c', 'd']) expect(await run('SET', k, value)).toBe('+OK\r\n')
    expect(map.bytes).toBeGreaterThan(limit.maxBytes)
    const oom = `-${OOM_ERROR}\r\n`
    // The fast path (a plain SET) and every other command that adds data.
    expect(await run('SET', 'e', 'x')).toBe(oom)
    expect(await run('set', 'e', 'x', 'EX', '10')).toBe(oom)
    expect(await run('SETNX', 'e', 'x')).toBe(oom)
    expect(await run('SETEX', 'e', '10', 'x')).toBe(oom)
    expect(await run('PSETEX', 'e', '10', 'x')).toBe(oom)
    expect(await run('GETSET', 'a', 'x')).toBe(oom)
    expect(await run('MSET', 'e', 'x', 'f', 'y')).toBe(oom)
    expect(await run('MSETNX', 'e', 'x')).toBe(oom)
    expect(limit.refused).toBe(8)
    expect(map.has('e')).toBe(false)
    // Reads, TTLs and what the server reports go on.
    expect(await run('GET', 'a')).toBe(`$1000\r\n${value}\r\n`)
    expect(await run('EXPIRE', 'a', '100')).toBe(':1\r\n')
    expect(await run('CONFIG', 'GET', 'maxmemory')).toBe(`*2\r\n$9\r\nmaxmemory\r\n$${String(limit.maxBytes).length}\r\n${limit.maxBytes}\r\n`)
    // A peer's writes are applied: a replica that refused them would differ from its peers for good.
    peer.set('from-peer', Buffer.from('p'))
    await net.settle()
    expect(await run('GET', 'from-peer')).toBe('$1\r\np\r\n')
    // Deleting makes room (a tombstone keeps only its key and entry), and writes come in again.
    expect(await run('DEL', 'b', 'c', 'from-peer')).toBe(':3\r\n')
    expect(map.bytes).toBeLessThanOrEqual(limit.maxBytes)
    expect(await run('SET', 'e', 'x')).toBe('+OK\r\n')
    expect(await run('GET', 'e')).toBe('$1\r\nx\r\n')
  })

  it('is no limit at 0', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const map = startReplicatedMap<Uint8Array>(a, { scope: 'cache' })
    const limit = new MemoryLimit(0)
    resp = await startRespServer({ map, port: 0, now: () => a.clock.now(), nodeName: 'a@h', memoryLimit: limit, logger: pino({ level: 'silent' }) })
    const run = await respClient(resp.port)
    for (let i = 0; i < 20; i++) expect(await run('SET', `k${i}`, 'v'.repeat(10_000))).toBe('+OK\r\n')
    expect(limit.over(map)).toBe(false)
    expect(limit.refused).toBe(0)
  })
})
