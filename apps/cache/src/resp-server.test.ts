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
