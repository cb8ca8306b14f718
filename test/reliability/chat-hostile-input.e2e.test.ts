/**
 * Hostile input against a chat node in its own process, on its one HTTP port (the page, the API and the WebSocket),
 * from this test process as the attacker, while two real clients keep chatting: bytes that are not HTTP, headers
 * past the limit, an upgrade that names no room, a WebSocket frame announcing a terabyte, and half-open floods
 * (requests cut off in their headers, frames cut off halfway). Each bad connection is closed with an answer that says
 * what was wrong, the node's descriptors and memory stay bounded (one descriptor per held socket, freed when it goes),
 * and the clients are served throughout. Then a flood past the node's connection cap (CHAT_MAX_CONNECTIONS): the
 * sockets past it are closed on arrival, the node holds no more than the cap, and users already connected keep
 * chatting. Last, a client flooding the room with messages: past its connection's rate limit (CHAT_MAX_MESSAGES_PER_SECOND)
 * they are dropped and it is told, its connection stays open, and the others keep chatting.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ChatClient, ChatCluster } from '../support/chat-process.ts'
import type { Frame } from '../support/chat-process.ts'
import { record } from './support/figures.ts'
import { clientFrameHeader, closeAll, floodPastCap, holdOpen, rawExchange, resourcesOf, upgradedSocket } from './support/process-resources.ts'
import { waitUntil } from '../support/wait-until.ts'

let cluster: ChatCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const FLOOD = 300

/** A one-node chat with Alice and Bob in the lobby; `chatting` has Alice say something and waits until Bob hears it. */
async function chatNode(env: Record<string, string> = {}) {
  cluster = await ChatCluster.start(1, env)
  const node = cluster.node(0)
  const alice = await ChatClient.join(node.url, 'lobby', 'alice')
  const bob = await ChatClient.join(node.url, 'lobby', 'bob')
  const chatting = async (text: string): Promise<void> => {
    alice.socket.send(JSON.stringify({ type: 'say', text }))
    await bob.waitFor((f: Frame) => f.type === 'message' && f['text'] === text, `bob to hear "${text}"`)
  }
  await chatting('before')
  return { node, pid: node.child.pid as number, port: Number(new URL(node.url).port), chatting }
}

describe('a chat node under hostile input', () => {
  it('closes each bad connection with a clear answer, bounds descriptors and memory under half-open floods, and keeps its clients chatting', { timeout: 90_000 }, async () => {
    const { node, pid, port, chatting } = await chatNode()
    const before = resourcesOf(pid)

    // Bytes that are not HTTP: 400, and that connection closed.
    const garbage = await rawExchange(port, Buffer.concat([Buffer.from([0]), randomBytes(4095)]))
    expect(garbage.reply).toMatch(/^HTTP\/1\.1 400 Bad Request/)
    expect(garbage.closedByServer).toBe(true)
    // Headers past the limit: 431.
    const bigHeaders = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)
    expect(bigHeaders.reply).toMatch(/^HTTP\/1\.1 431/)
    expect(bigHeaders.closedByServer).toBe(true)
    // An upgrade that names no room: 400 saying so, no socket.
    const noRoom = await upgradedSocket(port, '/ws?user=mallory')
    expect(noRoom.head).toMatch(/^HTTP\/1\.1 400 Bad Request/)
    // A WebSocket frame announcing 1 TiB: closed with 1009 before a byte of it is buffered.
    const mallory = await ChatClient.join(node.url, 'lobby', 'mallory')
    ;(mallory.socket as unknown as { _socket: { write(b: Buffer): void } })._socket.write(clientFrameHeader(2 ** 40, 0x1))
    expect((await mallory.closed).code).toBe(1009)
    await chatting('after the bad connections')

    // Half-open floods: HTTP requests cut off in their headers, and upgraded sockets whose frame stops halfway.
    const cutHeaders = await holdOpen(FLOOD, port, 'GET /rooms/lobby/history HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    const cutFrames = []
    for (let i = 0; i < FLOOD; i++) {
      const { socket, head } = await upgradedSocket(port, `/ws?room=flood&user=f${i}`)
      expect(head).toMatch(/^HTTP\/1\.1 101/)
      socket.write(Buffer.concat([clientFrameHeader(60 * 1024, 0x1), Buffer.alloc(1024, 0x61)]))
      cutFrames.push(socket)
    }
    // The kernel completes connections before the node accepts them: wait until it holds every one.
    await waitUntil('the node to accept every flood socket', () => resourcesOf(pid), (r) => r.fds >= before.fds + 2 * FLOOD)
    await chatting('during the floods')
    const carol = await ChatClient.join(node.url, 'lobby', 'carol')
    const carolsHistory = (await carol.waitFor((f: Frame) => f.type === 'history', 'the history')) as Frame & { messages: Array<{ text: string }> }
    expect(carolsHistory.messages.map((m) => m.text)).toContain('during the floods')
    const history = await fetch(new URL('/rooms/lobby/history', node.url))
    expect(history.status).toBe(200)
    const during = resourcesOf(pid)
    // One descriptor per held socket and a few for the clients; no more.
    expect(during.fds - before.fds).toBeLessThanOrEqual(2 * FLOOD + 20)
    expect(during.rssMiB - before.rssMiB).toBeLessThan(160)

    await closeAll([...cutHeaders, ...cutFrames])
    const after = await waitUntil('the node to close the flood sockets', () => resourcesOf(pid), (r) => r.fds <= before.fds + 5)
    await chatting('after the floods')
    expect(node.child.exitCode).toBeNull()
    record('chat-hostile-input', {
      floodSockets: 2 * FLOOD,
      fds: { before: before.fds, during: during.fds, after: after.fds },
      rssMiB: { before: before.rssMiB, during: during.rssMiB, after: after.rssMiB },
      kibPerHeldSocket: Math.round(((during.rssMiB - before.rssMiB) * 1024) / (2 * FLOOD)),
      answers: { garbage: garbage.reply.split('\r\n')[0], bigHeaders: bigHeaders.reply.split('\r\n')[0], noRoom: noRoom.head.split('\r\n')[0], hugeFrame: 1009 },
    })
  })

  it('closes connections past CHAT_MAX_CONNECTIONS on arrival, holds no more than the cap, and keeps its connected users chatting', { timeout: 90_000 }, async () => {
    const CAP = 60
    const PAST = 90
    const { node, pid, port, chatting } = await chatNode({ CHAT_MAX_CONNECTIONS: String(CAP) })
    const before = resourcesOf(pid)

    // CAP + PAST half-sent requests: at most CAP connections are open, so at least PAST are closed unanswered.
    const flood = await floodPastCap(CAP + PAST, PAST, port, 'GET /rooms/lobby/history HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    const during = resourcesOf(pid)
    expect(during.fds - before.fds).toBeLessThanOrEqual(CAP + 5)
    // The users who were in keep chatting while the port is full.
    await chatting('while the port is full')
    expect(flood.held.length).toBeLessThanOrEqual(CAP)

    await closeAll(flood.held)
    await waitUntil('the node to close the flood sockets', () => resourcesOf(pid), (r) => r.fds <= before.fds + 5)
    // With room again, a newcomer is served, and /metrics counts the refusals.
    const carol = await ChatClient.join(node.url, 'lobby', 'carol')
    expect(carol.socket.readyState).toBe(1)
    await chatting('after the flood')
    const metrics = await (await fetch(new URL('/metrics', node.url))).text()
    const refused = Number(/^chat_http_connections_refused_total (\d+)$/m.exec(metrics)?.[1])
    expect(refused).toBeGreaterThanOrEqual(PAST)
    expect(node.child.exitCode).toBeNull()
    record('chat-connection-cap', {
      maxConnections: CAP,
      floodSockets: CAP + PAST,
      refused,
      fds: { before: before.fds, during: during.fds },
    })
  })

  it('drops the messages of a client past CHAT_MAX_MESSAGES_PER_SECOND, tells it once a run, and keeps everyone connected', { timeout: 60_000 }, async () => {
    const PER_SECOND = 1
    const BURST = 5
    const FLOOD = 200
    const { node, chatting } = await chatNode({ CHAT_MAX_MESSAGES_PER_SECOND: String(PER_SECOND), CHAT_MESSAGE_BURST: String(BURST) })
    const mallory = await ChatClient.join(node.url, 'lobby', 'mallory')
    const olga = await ChatClient.join(node.url, 'lobby', 'olga')
    const fromMallory = (): number => olga.messages().filter((m) => m['user'] === 'mallory').length
    const dropped = async (): Promise<number> => {
      const metrics = await (await fetch(new URL('/metrics', node.url))).text()
      return Number(/^chat_frames_rate_limited_total (\d+)$/m.exec(metrics)?.[1] ?? 0)
    }

    const started = performance.now()
    for (let i = 0; i < FLOOD; i++) mallory.say(`flood ${i}`)
    // Every frame of the flood is accounted for: delivered to the room, or counted as dropped.
    const counted = await waitUntil('every flood frame delivered or dropped', async () => ({ passed: fromMallory(), dropped: await dropped() }), (c) => c.passed + c.dropped === FLOOD)
    const seconds = (performance.now() - started) / 1000
    // The node let through the burst and what the rate refilled while the flood was being read, and nothing more.
    expect(counted.passed).toBeGreaterThanOrEqual(BURST)
    expect(counted.passed).toBeLessThanOrEqual(BURST + Math.ceil(seconds * PER_SECOND))
    // The burst is the flood's first frames; any let through later (refilled while it was read) come after, in order.
    const numbers = olga.messages().filter((m) => m['user'] === 'mallory').map((m) => Number(String(m['text']).split(' ')[1]))
    expect(numbers.slice(0, BURST)).toEqual([0, 1, 2, 3, 4])
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    // Told, with the code and the limit, once for each run of dropped frames: a flood's answers are bounded too.
    const errors = mallory.frames.filter((f) => f.type === 'error')
    expect(errors.length).toBeGreaterThanOrEqual(1)
    expect(errors.length).toBeLessThanOrEqual(counted.passed - BURST + 1)
    expect(errors[0]).toMatchObject({ code: 'COHORT_ERR_CHAT_RATE_LIMITED' })
    expect(String(errors[0]!['reason'])).toMatch(/1 messages a second, 5 at once/)
    // The flooder is still connected, and the others chat on.
    expect(mallory.socket.readyState).toBe(1)
    await chatting('after the message flood')
    expect(node.child.exitCode).toBeNull()
    mallory.socket.terminate()
    olga.socket.terminate()
    record('chat-message-flood', { perSecond: PER_SECOND, burst: BURST, sent: FLOOD, passed: counted.passed, dropped: counted.dropped, errorFrames: errors.length, seconds: Math.round(seconds * 100) / 100 })
  })
})
