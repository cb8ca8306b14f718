import { once } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { limitConnections } from './connection-limit.ts'

let server: Server | undefined
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  server?.closeAllConnections()
  if (server?.listening) await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

async function listen(): Promise<{ server: Server; port: number }> {
  server = createServer((_req, res) => res.end('ok'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}

/** Opens `n` sockets and resolves once the server has accepted every one of them. */
async function hold(s: Server, port: number, n: number): Promise<Socket[]> {
  let accepted = 0
  const all = new Promise<void>((resolve) => {
    const onConnection = (): void => {
      if (++accepted < n) return
      s.off('connection', onConnection)
      resolve()
    }
    s.on('connection', onConnection)
  })
  const held = Array.from({ length: n }, () => connect(port, '127.0.0.1'))
  sockets.push(...held)
  await all
  return held
}

/** A GET on an open socket; resolves with the raw answer. */
async function request(socket: Socket): Promise<string> {
  let answer = ''
  socket.setEncoding('latin1')
  const done = new Promise<string>((resolve) => {
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (answer.endsWith('ok')) resolve(answer)
    })
  })
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  return done
}

describe('limitConnections', () => {
  it('closes connections past the cap as they arrive, keeps serving the open ones, and takes new ones once there is room', async () => {
    const { server: s, port } = await listen()
    const lines: Array<{ msg: string }> = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) })
    const limit = limitConnections(s, { maxConnections: 3, logger, name: 'test http' })
    const serverSide: Socket[] = []
    s.on('connection', (socket: Socket) => serverSide.push(socket))
    const held = await hold(s, port, 3)
    expect(limit.open).toBe(3)

    // Two more: each is closed by the server without an answer, and the refusals are counted and logged once.
    for (let i = 1; i <= 2; i++) {
      const dropped = once(s, 'drop')
      const extra = connect(port, '127.0.0.1')
      sockets.push(extra)
      let received = 0
      extra.on('data', (chunk: Buffer) => (received += chunk.length))
      extra.on('error', () => {})
      await Promise.all([dropped, once(extra, 'close')])
      expect(received).toBe(0)
      expect(limit.refused).toBe(i)
    }
    expect(lines.map((l) => l.msg)).toEqual(['test http connection refused: 3 connections are open'])

    // The open ones are still served.
    expect(await request(held[0]!)).toMatch(/^HTTP\/1\.1 200/)
    // One goes (the server has seen it close, so its slot is free), and a newcomer is served in its place.
    const leaving = serverSide.find((socket) => socket.remotePort === held[1]!.localPort)!
    const gone = once(leaving, 'close')
    held[1]!.destroy()
    await gone
    expect(limit.open).toBe(2)
    const [newcomer] = await hold(s, port, 1)
    expect(await request(newcomer!)).toMatch(/^HTTP\/1\.1 200/)
    expect(limit.open).toBe(3)
    // The next refusal starts a new burst, so it is logged again.
    const dropped = once(s, 'drop')
    const extra = connect(port, '127.0.0.1')
    extra.on('error', () => {})
    sockets.push(extra)
    await dropped
    expect(limit.refused).toBe(3)
    expect(lines).toHaveLength(2)
  })

  it('refuses a cap that is not a whole number of at least 1, naming the option', () => {
    const s = createServer()
    expect(() => limitConnections(s, { maxConnections: 0 })).toThrow(/invalid option maxConnections/)
    expect(() => limitConnections(s, { maxConnections: 1.5 })).toThrow(/invalid option maxConnections/)
  })
})
