/**
 * The WebSocket endpoint with an authenticator of the embedder's own (`runChatNode({ authenticate })`), on one real
 * HTTP server over 127.0.0.1 and a local actor system: its answer is the user, a refusal is a 401 with its reason,
 * and an authenticator that throws, rejects or answers a user, rooms or an end of access the chat cannot use costs that
 * request a 500, not the node, on the WebSocket and on the HTTP routes alike. A socket whose access ends (`expiresAt`) is closed with 4401 then (in virtual time).
 */
import type { AddressInfo } from 'node:net'
import { createActorSystem } from '@cohort/core'
import { TestClock } from '@cohort/core/testing'
import type { ActorSystem } from '@cohort/core'
import type { ProbeHandler } from '@cohort/discovery'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ChatAuthenticator } from './authenticate.ts'
import { startChatHttpServer } from './http-server.ts'
import type { ChatHttpServer } from './http-server.ts'
import { SocketEndpoint } from './socket-endpoint.ts'
import { startChat } from './start-chat.ts'

const OPTIONS = { historySyncMs: 1_000, maxBufferedBytes: 1 << 20, maxRooms: 100, maxMessagesPerSecond: 0, messageBurst: 1, maxRoomsPerConnection: 50, publicUrl: '' }
const NO_PROBES = { handle: async () => false } as unknown as ProbeHandler

let system: ActorSystem | undefined
let http: ChatHttpServer | undefined
afterEach(async () => {
  await http?.close()
  await system?.shutdown()
})

/** A chat on a local system behind a real HTTP server, with `authenticate`; `errors` collects what it logs at error. */
async function chatWith(authenticate: ChatAuthenticator, clock?: TestClock, options = OPTIONS) {
  const errors: string[] = []
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line).msg as string) })
  system = createActorSystem({ node: 'auth@127.0.0.1', logger, ...(clock === undefined ? {} : { clock }) })
  const { services } = await startChat(system, options)
  const sockets = new SocketEndpoint(services, authenticate)
  http = await startChatHttpServer({ host: '127.0.0.1', port: 0, services, sockets, probes: NO_PROBES, endpoints: async () => [], authenticate })
  const port = (http.server.address() as AddressInfo).port
  const connect = (headers: Record<string, string>) => new WebSocket(`ws://127.0.0.1:${port}/ws?room=lobby&user=claimed`, { headers })
  return { services, errors, port, connect }
}

/** The first frame of an accepted socket, or the status and body of a refused upgrade. */
function outcome(ws: WebSocket): Promise<{ frame: unknown } | { status: number; body: string }> {
  return new Promise((resolve) => {
    ws.on('error', () => undefined)
    ws.once('message', (data: Buffer) => resolve({ frame: JSON.parse(data.toString()) }))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
  })
}

describe('SocketEndpoint on a node that holds maxRooms rooms', () => {
  it('answers a socket for a new room with the refusal as an error frame, then closes it with 1012 to send it elsewhere', async () => {
    const { port } = await chatWith(async (request) => ({ user: new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? 'u' }), undefined, { ...OPTIONS, maxRooms: 1 })
    const first = new WebSocket(`ws://127.0.0.1:${port}/ws?room=held&user=ada`)
    expect(await outcome(first)).toMatchObject({ frame: { type: 'history', room: 'held' } })
    const refused = new WebSocket(`ws://127.0.0.1:${port}/ws?room=another&user=bob`)
    const closed = new Promise<[number, string]>((resolve) => refused.once('close', (code, reason) => resolve([code, reason.toString()])))
    expect(await outcome(refused)).toEqual({ frame: { type: 'error', code: 'COHORT_ERR_CHAT_ROOM_REFUSED', reason: 'this node holds too many rooms; try another node' } })
    expect(await closed).toEqual([1012, 'this node holds too many rooms; try another node'])
    first.close()
  })
})

describe('SocketEndpoint with an authenticator', () => {
  it('takes the user it answers, asynchronously too, and refuses with 401 and its reason', async () => {
    const { services, connect, port } = await chatWith(async (request) => {
      await new Promise((resolve) => setImmediate(resolve))
      const user = request.headers['x-user']
      return typeof user === 'string' ? { user } : { refused: 'no x-user header' }
    })
    const ada = connect({ 'x-user': 'ada' })
    expect(await outcome(ada)).toEqual({ frame: { type: 'history', room: 'lobby', messages: [] } })
    expect(services.presence?.users('lobby')).toEqual(['ada'])
    expect(await outcome(connect({}))).toEqual({ status: 401, body: 'no x-user header\n' })
    const read = await fetch(`http://127.0.0.1:${port}/rooms/lobby/presence`)
    expect([read.status, await read.json()]).toEqual([401, { error: 'no x-user header' }])
    expect(services.counters.authRefused).toBe(2)
    ada.terminate()
  })

  it('answers 500 for an authenticator that throws, rejects or names a user or rooms the chat cannot use, and serves the next request', async () => {
    const { errors, connect, port } = await chatWith((request) => {
      const how = request.headers['x-how']
      if (how === 'throw') throw new Error('directory down')
      if (how === 'reject') return Promise.reject(new Error('directory down'))
      if (how === 'control') return { user: 'a\u0007b' }
      if (how === 'rooms') return { user: 'ada', rooms: ['a:b'] }
      return { user: 'ada' }
    })
    for (const how of ['throw', 'reject', 'control', 'rooms']) {
      expect(await outcome(connect({ 'x-how': how }))).toEqual({ status: 500, body: 'could not authenticate the request\n' })
    }
    expect(errors).toEqual(Array(4).fill('the chat authenticator failed; refusing the WebSocket'))
    // The HTTP routes read the answer the same way: the authenticator's mistake is not the client's (no 400 for a
    // user the client never chose), and nothing is said or read.
    errors.length = 0
    for (const how of ['throw', 'reject', 'control', 'rooms']) {
      const post = await fetch(`http://127.0.0.1:${port}/rooms/lobby/messages`, { method: 'POST', headers: { 'x-how': how }, body: '{"text":"hi"}' })
      expect([post.status, await post.json()]).toEqual([500, { error: 'could not authenticate the request' }])
      const read = await fetch(`http://127.0.0.1:${port}/rooms/lobby/history`, { headers: { 'x-how': how } })
      expect([read.status, await read.json()]).toEqual([500, { error: 'could not authenticate the request' }])
    }
    expect(errors).toEqual(Array(8).fill('the chat authenticator failed; refusing the request'))
    const ada = connect({})
    expect(await outcome(ada)).toMatchObject({ frame: { type: 'history', messages: [] } })
    ada.terminate()
  })

  it('closes a socket with 4401 when the access it was given ends, and refuses an access already ended', async () => {
    const start = Date.UTC(2026, 11, 6, 12)
    const clock = new TestClock(start)
    const { services, errors, connect, port } = await chatWith((request) => {
      const until = request.headers['x-until']
      const user = String(request.headers['x-user'])
      return until === undefined ? { user } : { user, expiresAt: until === 'soon' ? ('soon' as unknown as number) : Number(until) }
    }, clock)
    const ada = connect({ 'x-user': 'ada', 'x-until': String(start + 60_000) })
    const bob = connect({ 'x-user': 'bob' })
    expect(await outcome(ada)).toMatchObject({ frame: { type: 'history' } })
    expect(await outcome(bob)).toMatchObject({ frame: { type: 'history' } })
    const closed = new Promise<[number, string]>((resolve) => ada.once('close', (code, reason) => resolve([code, reason.toString()])))
    await clock.advance(59_999)
    expect(ada.readyState).toBe(WebSocket.OPEN)
    expect(services.presence?.users('lobby')).toEqual(['ada', 'bob'])
    await clock.advance(1)
    expect(await closed).toEqual([4401, 'access expired; reconnect with a new access token'])
    expect(services.counters.accessExpired).toBe(1)
    await clock.advance(0)
    expect(services.presence?.users('lobby')).toEqual(['bob'])
    // Without an end, access lasts as long as the socket.
    await clock.advance(600_000)
    expect(bob.readyState).toBe(WebSocket.OPEN)

    expect(await outcome(connect({ 'x-user': 'carol', 'x-until': String(clock.now()) }))).toEqual({
      status: 401,
      body: `the access expired at ${new Date(clock.now()).toISOString()}\n`,
    })
    const read = await fetch(`http://127.0.0.1:${port}/rooms/lobby/history`, { headers: { 'x-user': 'carol', 'x-until': String(clock.now()) } })
    expect([read.status, await read.json()]).toEqual([401, { error: `the access expired at ${new Date(clock.now()).toISOString()}` }])
    expect(await outcome(connect({ 'x-user': 'carol', 'x-until': '-1e20' }))).toEqual({ status: 401, body: 'the access expired at -100000000000000000000 ms since 1970\n' })
    expect(await outcome(connect({ 'x-user': 'carol', 'x-until': 'soon' }))).toEqual({ status: 500, body: 'could not authenticate the request\n' })
    expect(errors).toEqual(['the chat authenticator failed; refusing the WebSocket'])
    bob.terminate()
  })
})
