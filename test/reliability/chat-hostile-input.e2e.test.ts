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

/** A counter of the node's /metrics at `url`; 0 while it has not been counted yet. */
async function metricOf(url: string, name: string): Promise<number> {
  const metrics = await (await fetch(new URL('/metrics', url))).text()
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
}

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
    const refused = await metricOf(node.url, 'chat_http_connections_refused_total')
    expect(refused).toBeGreaterThanOrEqual(PAST)
    expect(node.child.exitCode).toBeNull()
    record('chat-connection-cap', {
      maxConnections: CAP,
      floodSockets: CAP + PAST,
      refused,
      fds: { before: before.fds, during: during.fds },
    })
  })

  it('drops the messages of a client past CHAT_MAX_MESSAGES_PER_SECOND and tells it, then cuts off one that floods, while the others chat on', { timeout: 60_000 }, async () => {
    const PER_SECOND = 1
    const BURST = 5
    // Past the burst, but fewer dropped in a row than FLOOD_CUTOFF_BURSTS (10) bursts: the connection stays.
    const OVER = 40
    // Far past it: the connection is closed.
    const FLOOD = 1_000
    const { node, chatting } = await chatNode({ CHAT_MAX_MESSAGES_PER_SECOND: String(PER_SECOND), CHAT_MESSAGE_BURST: String(BURST) })
    const mallory = await ChatClient.join(node.url, 'lobby', 'mallory')
    const olga = await ChatClient.join(node.url, 'lobby', 'olga')
    await olga.until(() => olga.presence()?.includes('mallory') === true, 'mallory present')
    const fromMallory = (): number[] => olga.messages().filter((m) => m['user'] === 'mallory').map((m) => Number(String(m['text']).split(' ')[1]))
    const metric = (name: string): Promise<number> => metricOf(node.url, name)
    const counted = (): Promise<{ passed: number; dropped: number }> =>
      Promise.all([fromMallory().length, metric('chat_frames_rate_limited_total')]).then(([passed, dropped]) => ({ passed, dropped }))

    const started = performance.now()
    for (let i = 0; i < OVER; i++) mallory.say(`over ${i}`)
    // Every frame is accounted for: delivered to the room, or counted as dropped.
    const over = await waitUntil(`all ${OVER} frames delivered or dropped`, counted, (c) => c.passed + c.dropped === OVER)
    const seconds = (performance.now() - started) / 1000
    // The node let through the burst and what the rate refilled while it read them, and nothing more.
    expect(over.passed).toBeGreaterThanOrEqual(BURST)
    expect(over.passed).toBeLessThanOrEqual(BURST + Math.ceil(seconds * PER_SECOND))
    // The burst is the first frames; any let through later (refilled while they were read) come after, in order.
    const numbers = fromMallory()
    expect(numbers.slice(0, BURST)).toEqual([0, 1, 2, 3, 4])
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    // Told, with the code and the limit, once for each run of dropped frames: a flood's answers are bounded too.
    const errors = mallory.frames.filter((f) => f.type === 'error')
    expect(errors.length).toBeGreaterThanOrEqual(1)
    expect(errors.length).toBeLessThanOrEqual(over.passed - BURST + 1)
    expect(errors[0]).toMatchObject({ code: 'COHORT_ERR_CHAT_RATE_LIMITED' })
    expect(String(errors[0]!['reason'])).toMatch(/1 messages a second, 5 at once/)
    expect(mallory.socket.readyState).toBe(1)
    await chatting('after the messages over the limit')

    // A flood: cut off with 1008 once ten bursts' worth are dropped in a row, gone from presence, the others served.
    const floodStarted = performance.now()
    for (let i = 0; i < FLOOD; i++) mallory.say(`flood ${i}`)
    const closed = await mallory.closed
    expect(closed.code).toBe(1008)
    expect(closed.reason).toMatch(/far over the message rate limit/)
    await olga.until(() => olga.presence()?.includes('mallory') === false, 'mallory gone from presence')
    const floodSeconds = (performance.now() - floodStarted) / 1000
    expect(await metric('chat_flooding_connections_closed_total')).toBe(1)
    // The run of drops that ended it went past ten bursts (it may have begun with the frames over the limit above),
    // and the node stopped reading there: most of the flood was never read.
    const droppedInFlood = (await metric('chat_frames_rate_limited_total')) - over.dropped
    expect(droppedInFlood).toBeGreaterThanOrEqual(1)
    expect(droppedInFlood).toBeLessThan(FLOOD / 2)
    const floodPassed = olga.messages().filter((m) => m['user'] === 'mallory' && String(m['text']).startsWith('flood')).length
    expect(floodPassed).toBeLessThanOrEqual(Math.ceil((floodSeconds + seconds) * PER_SECOND))
    await chatting('after the flood was cut off')
    expect(node.child.exitCode).toBeNull()
    olga.socket.terminate()
    record('chat-message-flood', {
      perSecond: PER_SECOND,
      burst: BURST,
      over: { sent: OVER, passed: over.passed, dropped: over.dropped, errorFrames: errors.length, seconds: Math.round(seconds * 100) / 100 },
      flood: { sent: FLOOD, droppedBeforeCutOff: droppedInFlood, passed: floodPassed, closeCode: closed.code },
    })
  })
})
