/**
 * The RESP server's connection bound, over real loopback sockets: past `maxClients` a new connection gets Redis's
 * own refusal and is closed, the open ones keep being served, and a freed slot takes the next client.
 */
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { startReplicatedMap } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startRespServer } from './resp-server.ts'
import type { RespServer } from './resp-server.ts'

let net: InMemoryNetwork | undefined
let resp: RespServer | undefined
let stopMap: (() => Promise<void>) | undefined
const clients: Socket[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await resp?.close()
  resp = undefined
  await stopMap?.()
  stopMap = undefined
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

/** Opens a client and resolves with everything it reads until the server closes it, or after `until` is read. */
function client(port: number, send: string, until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    clients.push(socket)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
      if (until !== undefined && text.includes(until)) resolve(text)
    })
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
    socket.write(send)
  })
}

/** This process's open descriptors: the test's clients and the server's sockets, refused ones included. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

describe('startRespServer maxClients', () => {
  it('refuses the connection past the bound with Redis\'s error, keeps serving the others, and frees the slot on close', async () => {
    net = createNetwork()
    const system = net.addNode('a@h')
    const map = startReplicatedMap<Uint8Array>(system, { scope: 'cache' })
    stopMap = () => map.stop()
    resp = await startRespServer({ map, port: 0, now: () => system.clock.now(), nodeName: 'a@h', maxClients: 2, logger: pino({ level: 'silent' }) })
    const port = resp.port

    expect(await client(port, 'PING\r\n', '+PONG')).toBe('+PONG\r\n')
    expect(await client(port, 'PING\r\n', '+PONG')).toBe('+PONG\r\n')
    const admitted = openDescriptors()
    expect(await client(port, 'PING\r\n')).toBe('-ERR max number of clients reached\r\n')
    expect(resp.refusedClients).toBe(1)
    // The refused connection is closed on both sides, not held open: the descriptors fall back to what two took.
    clients[2]!.destroy()
    await vi.waitFor(() => expect(openDescriptors()).toBe(admitted), { timeout: 5_000 })
    expect(resp.connections).toBe(2)

    // The two admitted clients are still served.
    const [first, second] = clients
    const answer = new Promise<string>((resolve) => second!.once('data', (d: string) => resolve(d)))
    second!.write('ECHO hi\r\n')
    expect(await answer).toBe('$2\r\nhi\r\n')

    first!.end()
    await vi.waitFor(() => expect(resp!.connections).toBe(1), { timeout: 5_000 })
    expect(await client(port, 'PING\r\n', '+PONG')).toBe('+PONG\r\n')
    expect(resp.refusedClients).toBe(1)
  })

  it('rejects a bound that is not a whole number of at least 1', async () => {
    net = createNetwork()
    const system = net.addNode('a@h')
    const map = startReplicatedMap<Uint8Array>(system, { scope: 'cache' })
    stopMap = () => map.stop()
    await expect(startRespServer({ map, port: 0, now: () => 0, nodeName: 'a@h', maxClients: 0, logger: pino({ level: 'silent' }) })).rejects.toThrow(
      'maxClients must be a whole number of at least 1, got 0',
    )
  })
})

describe('startRespServer WAIT', () => {
  /** A server whose map answers `replicatedTo` when the test says: returns the server's port and the release. */
  async function serverWithHeldWait(): Promise<{ port: number; asked: Array<{ atLeast: number; timeoutMs: number }>; release: (peers: string[]) => void }> {
    net = createNetwork()
    const system = net.addNode('a@h')
    const map = startReplicatedMap<Uint8Array>(system, { scope: 'cache' })
    stopMap = () => map.stop()
    const asked: Array<{ atLeast: number; timeoutMs: number }> = []
    const pending: Array<(peers: string[]) => void> = []
    const held = new Proxy(map, {
      get(target, prop) {
        if (prop === 'replicatedTo') {
          return (options: { atLeast: number; timeoutMs: number }) => {
            asked.push(options)
            return new Promise<string[]>((resolve) => pending.push(resolve))
          }
        }
        const value = Reflect.get(target, prop, target) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    resp = await startRespServer({ map: held, port: 0, now: () => system.clock.now(), nodeName: 'a@h', logger: pino({ level: 'silent' }) })
    return { port: resp.port, asked, release: (peers) => pending.shift()!(peers) }
  }

  it('holds the commands pipelined behind it until it answers, in order, while other connections are served', async () => {
    const { port, asked, release } = await serverWithHeldWait()
    const socket = connect(port, '127.0.0.1')
    clients.push(socket)
    socket.setEncoding('latin1')
    let text = ''
    socket.on('data', (d: string) => (text += d))
    socket.write('SET k v\r\nWAIT 2 0\r\nGET k\r\nPING\r\n')
    await vi.waitFor(() => expect(asked).toEqual([{ atLeast: 2, timeoutMs: Infinity }]), { timeout: 5_000 })
    // Another connection is not held, and what arrives on the blocked one waits too.
    expect(await client(port, 'PING\r\n', '+PONG')).toBe('+PONG\r\n')
    socket.write('ECHO after\r\n')
    expect(await client(port, 'GET k\r\n', 'v\r\n')).toBe('$1\r\nv\r\n')
    expect(text).toBe('+OK\r\n')
    release(['b@h', 'c@h'])
    await vi.waitFor(() => expect(text).toBe('+OK\r\n:2\r\n$1\r\nv\r\n+PONG\r\n$5\r\nafter\r\n'), { timeout: 5_000 })
  })

  it('answers 0 at once for no replicas, refuses bad numbers as Redis does, and survives a client that leaves while blocked', async () => {
    const { port, asked, release } = await serverWithHeldWait()
    expect(await client(port, 'WAIT 0 0\r\nWAIT x 0\r\nWAIT 1 x\r\nWAIT 1 -1\r\nPING\r\n', '+PONG')).toBe(
      ':0\r\n-ERR value is not an integer or out of range\r\n-ERR timeout is not an integer or out of range\r\n-ERR timeout is negative\r\n+PONG\r\n',
    )
    expect(asked).toEqual([])
    const leaving = connect(port, '127.0.0.1')
    clients.push(leaving)
    leaving.write('WAIT 1 100\r\nPING\r\n')
    await vi.waitFor(() => expect(asked).toEqual([{ atLeast: 1, timeoutMs: 100 }]), { timeout: 5_000 })
    const before = resp!.connections
    leaving.destroy()
    await vi.waitFor(() => expect(resp!.connections).toBe(before - 1), { timeout: 5_000 })
    release(['b@h'])
    expect(await client(port, 'PING\r\n', '+PONG')).toBe('+PONG\r\n')
  })
})
