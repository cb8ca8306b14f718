/**
 * The chat across three real node processes: WebSocket clients on different nodes exchange messages in order per
 * sender, presence follows joins, leaves and a SIGKILLed node, history is identical on every node and on a restarted
 * one, a killed room actor is restarted while users keep chatting, bad frames get errors on an open connection, every
 * `say` that names a ref is answered once (an ack, or an error naming it, over the rate limit too), one connection
 * joins, says in and leaves several rooms, signals reach the room's other clients live and are kept nowhere, a user
 * is signed out of every node from server code, a client that does
 * not read is cut off without slowing the room, and a node stopped with SIGTERM tells its clients where to reconnect.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import type { Pid } from '@cohort/core'
import { CHAT_CLOSE_CODES, disconnectUser } from '@cohort/chat'
import { ChatClient, ChatCluster, freePorts, getJson } from '../support/chat-process.ts'
import type { Frame } from '../support/chat-process.ts'
import { waitUntil } from '../support/wait-until.ts'

const clusters: ChatCluster[] = []
const clients: ChatClient[] = []
const hidden: CohortNode[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.terminate()
  for (const n of hidden.splice(0)) await n.close()
  for (const c of clusters.splice(0)) await c.stop()
})

async function cluster(count: number, env: Record<string, string> = {}): Promise<ChatCluster> {
  const c = await ChatCluster.start(count, env)
  clusters.push(c)
  return c
}

async function join(url: string, room: string, user: string): Promise<ChatClient> {
  const client = await ChatClient.join(url, room, user)
  clients.push(client)
  return client
}

/** The texts each sender's messages arrived in, per sender. */
function bySender(frames: Frame[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const f of frames) {
    const list = out.get(String(f['user'])) ?? []
    list.push(String(f['text']))
    out.set(String(f['user']), list)
  }
  return out
}

type History = { room: string; messages: { id: string; text: string }[] }

/** Each node's history of `room`, as id lists. */
async function histories(urls: string[], room: string): Promise<string[][]> {
  const all = await Promise.all(urls.map((u) => getJson<History>(u, `/rooms/${room}/history`)))
  return all.map((h) => h.messages.map((m) => m.id))
}

/**
 * Waits (bounded) until each node's history of `room` has the same `count` messages. Only for a node that catches up
 * by anti-entropy (restarted, joined later, or with no client in the room): that has no event to wait on.
 */
async function caughtUp(urls: string[], room: string, count: number): Promise<string[][]> {
  return waitUntil(
    `every node's history of ${room} holds the same ${count} messages`,
    () => histories(urls, room),
    (ids) => ids.every((list) => list.length === count && list.join() === ids[0]!.join()),
  )
}

/** Waits until every client sees exactly `users` present. */
async function present(clients: ChatClient[], users: string): Promise<void> {
  for (const c of clients) await c.until(() => c.presence()?.join() === users, `presence ${users}`)
}

const senders = ['alice', 'bob', 'carol']
const texts = (user: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${user} ${from + i}`)

describe('chat across three node processes', () => {
  it('delivers every message to every client in order per sender, and keeps the same history on every node', async () => {
    // Each user says 60 messages at once, faster than the per-connection limit lets a person through.
    const c = await cluster(3, { CHAT_MAX_MESSAGES_PER_SECOND: '0' })
    const users = await Promise.all(senders.map((u, i) => join(c.node(i).url, 'lobby', u)))
    for (const u of users) await u.until(() => u.presence()?.join() === 'alice,bob,carol', 'presence of all three')

    for (const [i, u] of users.entries()) for (const text of texts(senders[i]!, 60)) u.say(text)
    for (const u of users) {
      await u.until(() => u.messages().length === 180, '180 messages')
      const order = bySender(u.messages())
      for (const s of senders) expect(order.get(s)).toEqual(texts(s, 60))
    }
    // Each message carries the node its sender is connected to.
    const fromBob = users[0]!.messages().find((m) => m['user'] === 'bob')!
    expect(fromBob['node']).toBe(c.nameOf(1))

    // Every node has a client that received all 180, and a room actor adds a message to its node's history before
    // it writes it to the sockets: every history is complete now, no poll needed.
    const ids = await histories(c.nodes.map((n) => n!.url), 'lobby')
    for (const list of ids) expect(list).toEqual(ids[0])
    const history = await getJson<History>(c.node(0).url, '/rooms/lobby/history')
    // The last 100 of the 180, each sender's still in order.
    expect(ids[0]).toHaveLength(100)
    for (const s of senders) {
      const mine = history.messages.filter((m) => m.text.startsWith(`${s} `)).map((m) => m.text)
      expect(mine).toEqual(texts(s, 60).slice(60 - mine.length))
    }
    expect(await getJson(c.node(2).url, '/rooms/lobby/presence')).toEqual({ room: 'lobby', users: ['alice', 'bob', 'carol'] })
    expect(await getJson(c.node(1).url, '/cluster')).toEqual({ node: c.nameOf(1), nodes: [c.nameOf(0), c.nameOf(2)] })
    expect(await getJson(c.node(1).url, '/endpoints')).toEqual({ node: c.node(1).url, endpoints: [c.node(0).url, c.node(2).url].sort() })
    // The probes and metrics on the chat's own port, answered by discovery's probe handler.
    const text = async (path: string): Promise<[number, string]> => {
      const res = await fetch(new URL(path, c.node(0).url))
      return [res.status, await res.text()]
    }
    expect(await text('/livez')).toEqual([200, 'ok\n'])
    expect(await text('/readyz')).toEqual([200, 'ok\n'])
    const [status, metrics] = await text('/metrics')
    expect(status).toBe(200)
    expect(metrics).toMatch(/^chat_messages_in_total 60$/m)
    expect(metrics).toMatch(/^chat_connected_sockets 1$/m)
    expect(metrics).toMatch(/^cohort_connected_peers 2$/m)
  })

  it('updates presence on joins and leaves, and drops a SIGKILLed node\'s users within the tick window', async () => {
    const c = await cluster(3)
    const alice = await join(c.node(0).url, 'r', 'alice')
    await alice.until(() => alice.presence()?.join() === 'alice', 'alice alone')
    const bob = await join(c.node(1).url, 'r', 'bob')
    const bob2 = await join(c.node(1).url, 'r', 'bob')
    const carol = await join(c.node(2).url, 'r', 'carol')
    for (const u of [alice, bob, carol]) await u.until(() => u.presence()?.join() === 'alice,bob,carol', 'three users')

    // One of bob's two sockets leaves: bob is still present.
    bob2.close()
    await bob2.closed
    bob.say('still here')
    await alice.waitFor((f) => f['text'] === 'still here')
    expect(alice.presence()).toEqual(['alice', 'bob', 'carol'])

    bob.close()
    // Dave joins on node 1 before the kill, so that node 1's own view of the room reaches the test as frames.
    const dave = await join(c.node(1).url, 'r', 'dave')
    for (const u of [alice, carol, dave]) await u.until(() => u.presence()?.join() === 'alice,carol,dave', 'bob gone, dave in')

    const killedAt = Date.now()
    c.node(2).kill('SIGKILL')
    // Each node sees the death on its own: node 0 through alice, node 1 through dave.
    await alice.until(() => alice.presence()?.join() === 'alice,dave', 'carol gone after SIGKILL, on node 0')
    await dave.until(() => dave.presence()?.join() === 'alice,dave', 'carol gone after SIGKILL, on node 1')
    expect(await getJson(c.node(1).url, '/rooms/r/presence')).toEqual({ room: 'r', users: ['alice', 'dave'] })
    // The tick window is 2 s in these nodes; a generous margin for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(2_000 * 3)

    dave.say('after the crash')
    await alice.waitFor((f) => f['text'] === 'after the crash')
  })

  it('drops the users of a node that stops answering (SIGSTOP) once its tick window runs out', async () => {
    const c = await cluster(3)
    const alice = await join(c.node(0).url, 'f', 'alice')
    const bob = await join(c.node(1).url, 'f', 'bob')
    const carol = await join(c.node(2).url, 'f', 'carol')
    await present([alice, bob, carol], 'alice,bob,carol')
    // Frozen, not dead: its connections stay open, so only the ticks can tell the others it is gone.
    const frozenAt = Date.now()
    c.node(2).kill('SIGSTOP')
    await present([alice, bob], 'alice,bob')
    const elapsed = Date.now() - frozenAt
    // These nodes tick every 2 s: a peer silent for 2 s is down; the margin is for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(1_000)
    expect(elapsed).toBeLessThan(2_000 * 3)
    alice.say('without carol')
    await bob.waitFor((f) => f['text'] === 'without carol')
    c.node(2).kill('SIGKILL')
  })

  it('serves the same history on a node restarted after SIGKILL and on a node that joined later', async () => {
    const c = new ChatCluster(await freePorts(4))
    clusters.push(c)
    for (let i = 0; i < 3; i++) c.startNode(i)
    for (let i = 0; i < 3; i++) await c.waitMesh(i)
    const alice = await join(c.node(0).url, 'h', 'alice')
    const bob = await join(c.node(1).url, 'h', 'bob')
    await present([alice, bob], 'alice,bob')
    for (const text of texts('alice', 30)) alice.say(text)
    for (const text of texts('bob', 30)) bob.say(text)
    await bob.until(() => bob.messages().length === 60, '60 messages')
    const before = await caughtUp([0, 1, 2].map((i) => c.node(i).url), 'h', 60)
    // More rooms, each with a message posted on node 0, for the room list after the restart.
    const more = Array.from({ length: 20 }, (_, i) => `room-${i}`)
    for (const room of more) {
      const posted = await fetch(new URL(`/rooms/${room}/messages`, c.node(0).url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', text: 'hi' }) })
      expect(posted.status).toBe(201)
    }
    await waitUntil('every room on node 1', () => getJson<{ rooms: { room: string }[] }>(c.node(1).url, '/rooms'), (r) => r.rooms.length === 21)

    c.node(1).kill('SIGKILL')
    await c.node(1).exited
    c.startNode(1)
    await c.waitMesh(1)
    // Read over HTTP as soon as the restarted node is meshed, the history is whole: from a peer while the node's own
    // copy is missing or still waiting for one.
    expect((await getJson<History>(c.node(1).url, '/rooms/h/history')).messages).toHaveLength(60)
    // And the cluster's room list, from the groups, before the node has started every room.
    expect((await getJson<{ rooms: { room: string }[] }>(c.node(1).url, '/rooms')).rooms.map((r) => r.room)).toEqual(['h', ...more].sort())
    // A client that comes in as soon as the restarted node is meshed gets the whole history in its first frame: the
    // room reads a peer's history before its first session enters, instead of opening empty for the catch-up.
    const carol = await join(c.node(1).url, 'h', 'carol')
    expect(carol.frames[0]!['messages']).toHaveLength(60)
    carol.socket.close()
    c.startNode(3)
    await c.waitMesh(3)
    const after = await caughtUp([0, 1, 2, 3].map((i) => c.node(i).url), 'h', 60)
    expect(after[1]).toEqual(before[0])
    expect(after[3]).toEqual(before[0])

    // New messages after the restart reach the restarted node's clients and its history.
    const bobAgain = await join(c.node(1).url, 'h', 'bob')
    expect(bobAgain.frames[0]!['messages']).toHaveLength(60)
    await present([alice, bobAgain], 'alice,bob')
    alice.say('welcome back')
    await bobAgain.waitFor((f) => f['text'] === 'welcome back')
  })

  it("carries a client's signal live to the room's other clients on every node, from the user the node knows, and keeps it nowhere", async () => {
    const c = await cluster(2)
    const ada = await join(c.node(0).url, 's', 'ada')
    const bob = await join(c.node(1).url, 's', 'bob')
    const carol = await join(c.node(0).url, 's', 'carol')
    await present([ada, bob, carol], 'ada,bob,carol')
    ada.socket.send(JSON.stringify({ type: 'signal', name: 'typing', user: 'mallory', ref: 'sig-1' }))
    expect(await ada.waitFor((f) => f['ref'] === 'sig-1', 'the ack')).toEqual({ type: 'ack', ref: 'sig-1' })
    for (const other of [bob, carol]) {
      expect(await other.waitFor((f) => f.type === 'signal', 'the signal')).toEqual({ type: 'signal', room: 's', user: 'ada', name: 'typing' })
    }
    ada.socket.send(JSON.stringify({ type: 'signal', name: 'reaction.add', data: { emoji: '🎉' }, room: 's' }))
    await bob.waitFor((f) => f.type === 'signal' && f['name'] === 'reaction.add' && (f['data'] as { emoji?: string }).emoji === '🎉', 'the reaction')
    // Not to its sender: ada's own message comes after her signals on every path, and she got none of them.
    ada.say('done')
    await ada.waitFor((f) => f.type === 'message' && f['text'] === 'done', 'her own message')
    expect(ada.frames.filter((f) => f.type === 'signal')).toEqual([])
    ada.socket.send(JSON.stringify({ type: 'signal', name: 'has space', ref: 'sig-bad' }))
    expect(await ada.waitFor((f) => f['ref'] === 'sig-bad', 'the refusal')).toMatchObject({ type: 'error', code: 'COHORT_ERR_CHAT_INVALID_SIGNAL' })
    for (const url of [c.node(0).url, c.node(1).url]) {
      expect((await getJson<History>(url, '/rooms/s/history')).messages.map((m) => m.text)).toEqual(['done'])
    }
    expect(await (await fetch(new URL('/metrics', c.node(0).url))).text()).toMatch(/^chat_signals_in_total 2$/m)
    // Every node lists the cluster's rooms, with how many are present in each.
    expect(await getJson(c.node(1).url, '/rooms')).toEqual({ rooms: [{ room: 's', users: 3 }] })
  })

  it("signs a user out everywhere from server code: every socket of the user, on every node, closed with 4403 and the reason", async () => {
    const c = await cluster(2)
    const adaHere = await join(c.node(0).url, 'lobby', 'ada')
    const adaThere = await join(c.node(1).url, 'team', 'ada')
    const bob = await join(c.node(1).url, 'lobby', 'bob')
    await present([bob], 'ada,bob')

    // A script on a hidden node (as a login service would run it): a hidden node names the chat nodes.
    const cli = await startNode({ name: `chat-test-signout-${process.pid}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie: c.cookie, hidden: true })
    hidden.push(cli)
    for (const i of [0, 1]) await cli.connect({ name: c.nameOf(i), url: `ws://127.0.0.1:${c.ports[i]}` })
    const closedWith = (client: ChatClient) => new Promise<[number, string]>((resolve) => client.socket.once('close', (code, reason) => resolve([code, reason.toString()])))
    const closing = [closedWith(adaHere), closedWith(adaThere)]
    const nodes = [c.nameOf(0), c.nameOf(1)]
    expect(await disconnectUser(cli.system, 'ada', { reason: 'signed out everywhere', nodes })).toBe(2)
    for (const closed of await Promise.all(closing)) expect(closed).toEqual([CHAT_CLOSE_CODES.accessRevoked, 'signed out everywhere'])
    await present([bob], 'bob')
    expect(bob.socket.readyState).toBe(bob.socket.OPEN)
    for (const url of [c.node(0).url, c.node(1).url]) expect(await (await fetch(new URL('/metrics', url))).text()).toMatch(/^chat_access_revoked_total 1$/m)

    // Nobody left to sign out; a reason that does not fit a close frame is refused before anything is asked.
    expect(await disconnectUser(cli.system, 'ada', { nodes })).toBe(0)
    await expect(disconnectUser(cli.system, 'ada', { reason: 'x'.repeat(124), nodes })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'reason' })
    // A request of another shape from a peer closes nothing, and the directory keeps serving.
    expect(await cli.system.call({ name: 'chat.directory', node: c.nameOf(1) }, { t: 'disconnect', user: 'bob', reason: 'x'.repeat(200) }, 5_000)).toBe(0)
    expect(await disconnectUser(cli.system, 'bob', { nodes: [...nodes, 'nobody@127.0.0.1'] })).toBe(1)
  })

  it('restarts a killed room actor under its supervisor while connected users keep chatting', async () => {
    const c = await cluster(2)
    const alice = await join(c.node(0).url, 'k', 'alice')
    const bob = await join(c.node(1).url, 'k', 'bob')
    await present([alice, bob], 'alice,bob')
    alice.say('before')
    await bob.waitFor((f) => f['text'] === 'before')

    const cli = await startNode({ name: `chat-test-cli-${process.pid}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie: c.cookie, hidden: true })
    hidden.push(cli)
    await cli.connect({ name: c.nameOf(0), url: `ws://127.0.0.1:${c.ports[0]}` })
    const room = await cli.system.call<Pid>({ name: 'chat.directory', node: c.nameOf(0) }, { t: 'whereis', room: 'k' }, 5_000)
    cli.system.exit(room, 'kill')
    await c.node(0).waitFor((e) => e.type === 'restart' && e['child'] === 'room:k', 'the room actor restarted')
    const restarted = await cli.system.call<Pid>({ name: 'chat.directory', node: c.nameOf(0) }, { t: 'whereis', room: 'k' }, 5_000)
    expect(String(restarted)).not.toBe(String(room))

    alice.say('after')
    await bob.waitFor((f) => f['text'] === 'after')
    bob.say('reply')
    await alice.waitFor((f) => f['text'] === 'reply')
    expect(alice.socket.readyState).toBe(alice.socket.OPEN)
    const history = await getJson<History>(c.node(0).url, '/rooms/k/history')
    expect(history.messages.map((m) => m.text)).toEqual(['before', 'after', 'reply'])
  })

  it('bounds each history by its characters as well as its messages, the same on every node', async () => {
    const c = await cluster(2)
    const writer = await join(c.node(0).url, 'big', 'writer')
    const reader = await join(c.node(1).url, 'big', 'reader')
    // 30 texts of 4,000 characters: 120,000 characters said, of which a history keeps the newest 8 (32,000 of 32,768).
    const said = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(3998)}`)
    for (const text of said) writer.say(text)
    await reader.until(() => reader.messages().length === said.length, 'every message at the reader')
    const [kept] = await caughtUp([c.node(0).url, c.node(1).url], 'big', 8)
    expect(kept).toHaveLength(8)
    const history = await getJson<History>(c.node(1).url, '/rooms/big/history')
    expect(history.messages.map((m) => m.text)).toEqual(said.slice(-8))
  })

  it('answers malformed frames, unknown types and long texts with errors on a connection that stays open', async () => {
    const c = await cluster(1)
    const alice = await join(c.node(0).url, 'e', 'alice')
    alice.socket.send('{not json')
    alice.socket.send(JSON.stringify({ type: 'shout', text: 'x' }))
    alice.say('x'.repeat(4097))
    alice.socket.send(Buffer.from([1, 2, 3]))
    alice.say('fine')
    await alice.waitFor((f) => f['text'] === 'fine')
    expect(alice.frames.filter((f) => f.type === 'error').map((f) => f['code'])).toEqual([
      'COHORT_ERR_CHAT_MALFORMED_FRAME',
      'COHORT_ERR_CHAT_UNKNOWN_TYPE',
      'COHORT_ERR_CHAT_TEXT_TOO_LONG',
      'COHORT_ERR_CHAT_BINARY_FRAME',
    ])
    const refused = new ChatClient(c.node(0).url, 'bad:room', 'x')
    const response = await new Promise<{ status: number; body: string }>((resolve) => {
      refused.socket.on('error', () => undefined)
      refused.socket.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
    })
    expect(response.status).toBe(400)
    expect(response.body).toMatch(/invalid room/)
    for (const path of ['/rooms/%E0%A4%A/history', '/rooms/a:b/presence']) {
      const bad = await fetch(new URL(path, c.node(0).url))
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: string }).error).toMatch(/room/)
    }
    expect((await fetch(new URL('/nowhere', c.node(0).url))).status).toBe(404)
    expect((await fetch(new URL('/cluster', c.node(0).url), { method: 'POST' })).status).toBe(405)
    // The node is still serving its client after all that.
    alice.say('still fine')
    await alice.waitFor((f) => f['text'] === 'still fine')
  })

  it('answers every say that names a ref exactly once, with an ack or an error naming it, and keeps the ref with the message', async () => {
    // One message a second with bursts of four: of ten frames sent at once after two, most are dropped, and each is answered.
    const c = await cluster(2, { CHAT_MAX_MESSAGES_PER_SECOND: '1', CHAT_MESSAGE_BURST: '4' })
    const alice = await join(c.node(0).url, 'refs', 'alice')
    const bob = await join(c.node(1).url, 'refs', 'bob')
    await present([alice, bob], 'alice,bob')
    const sayWith = (frame: object): void => alice.socket.send(JSON.stringify({ type: 'say', ...frame }))
    const answers = (): Frame[] => alice.frames.filter((f) => f.type === 'ack' || (f.type === 'error' && f['ref'] !== undefined))

    const started = performance.now()
    sayWith({ text: 'one', ref: 'page-1' })
    sayWith({ text: ' ', ref: 2 })
    await alice.until(() => answers().length === 2, 'two answers')
    const [ack, refused] = answers()
    expect(ack).toEqual({ type: 'ack', ref: 'page-1', id: expect.any(String) })
    expect(refused).toMatchObject({ type: 'error', code: 'COHORT_ERR_CHAT_EMPTY_TEXT', ref: 2 })
    // The message carries its ref to every client and into every node's history.
    const heard = await bob.waitFor((f) => f.type === 'message' && f['text'] === 'one', 'bob to hear one')
    expect(heard).toMatchObject({ id: ack!['id'], ref: 'page-1', user: 'alice' })
    expect((await alice.waitFor((f) => f.type === 'message' && f['text'] === 'one'))['ref']).toBe('page-1')
    const history = await getJson<{ messages: Frame[] }>(c.node(1).url, '/rooms/refs/history')
    expect(history.messages.find((m) => m['id'] === ack!['id'])).toMatchObject({ ref: 'page-1' })

    // Past the rate limit: every named frame is answered, the first ones with acks, the dropped ones with errors.
    const burst = Array.from({ length: 10 }, (_, i) => `burst-${i}`)
    for (const ref of burst) sayWith({ text: ref, ref })
    await alice.until(() => answers().length === 2 + burst.length, 'every burst frame answered')
    const seconds = (performance.now() - started) / 1000
    const burstAnswers = answers().slice(2)
    expect(burstAnswers.map((f) => f['ref'])).toEqual(burst)
    const acked = burstAnswers.filter((f) => f.type === 'ack').map((f) => f['ref'])
    const dropped = burstAnswers.filter((f) => f.type === 'error')
    // The two tokens the first two frames left, and what refilled since (a second's worth would take a stalled host).
    expect(acked.length).toBeGreaterThanOrEqual(2)
    expect(acked.length).toBeLessThanOrEqual(2 + Math.ceil(seconds))
    expect(dropped.length).toBe(burst.length - acked.length)
    expect(dropped.length).toBeGreaterThanOrEqual(1)
    expect(acked).toEqual(burst.slice(0, acked.length))
    for (const error of dropped) expect(error).toMatchObject({ code: 'COHORT_ERR_CHAT_RATE_LIMITED' })
    // What was acked is what the room heard, no more.
    await bob.until(() => bob.messages().some((m) => m['text'] === acked.at(-1)), 'bob to hear the last acked')
    const refsHeard = bob.messages().map((m) => m['ref']).filter((r) => typeof r === 'string' && r.startsWith('burst-'))
    expect(refsHeard).toEqual(acked)
    // A say without a ref is answered only by its message, as before.
    expect(alice.frames.filter((f) => f.type === 'ack')).toHaveLength(1 + acked.length)
  })

  it('carries many rooms on one connection: joins, says to a named room, leaves, and refuses rooms it is not in or past its limit', async () => {
    const c = await cluster(2, { CHAT_MAX_ROOMS_PER_CONNECTION: '3', CHAT_MAX_MESSAGES_PER_SECOND: '0' })
    const ada = await join(c.node(0).url, 'a', 'ada')
    const carol = await join(c.node(1).url, 'a', 'carol')
    const bob = await join(c.node(1).url, 'b', 'bob')
    // On ada's node, in room b: what reaches her there would reach ada too while she is in b.
    const dora = await join(c.node(0).url, 'b', 'dora')
    await present([ada, carol], 'ada,carol')
    await present([bob, dora], 'bob,dora')
    const send = (frame: object): void => ada.socket.send(JSON.stringify(frame))
    const answer = (ref: string): Promise<Frame> => ada.waitFor((f) => f['ref'] === ref && (f.type === 'ack' || f.type === 'error'), `the answer to ${ref}`)
    const inRoom = (client: ChatClient, room: string): Frame[] => client.messages().filter((m) => m['room'] === room)

    // Joining b: its history and presence come first, then the ack; the others in b see ada arrive.
    send({ type: 'join', room: 'b', ref: 'join-b' })
    expect(await answer('join-b')).toEqual({ type: 'ack', ref: 'join-b' })
    const types = ada.frames.filter((f) => f['room'] === 'b' || f['ref'] === 'join-b').map((f) => f.type)
    expect(types.slice(0, 2)).toEqual(['history', 'presence'])
    expect(types.indexOf('ack')).toBeGreaterThan(1)
    await present([bob, dora], 'ada,bob,dora')
    expect(ada.frames.filter((f) => f.type === 'presence' && f['room'] === 'a').at(-1)?.['users']).toEqual(['ada', 'carol'])

    // A say goes to the room it names, or to the URL's; each room's members get only their room's messages.
    send({ type: 'say', room: 'b', text: 'to b', ref: 'say-b' })
    ada.say('to a')
    await bob.waitFor((f) => f['text'] === 'to b', 'bob to hear "to b"')
    await carol.waitFor((f) => f['text'] === 'to a', 'carol to hear "to a"')
    await ada.until(() => inRoom(ada, 'a').length === 1 && inRoom(ada, 'b').length === 1, 'ada to hear both')
    expect(inRoom(ada, 'b').map((m) => m['text'])).toEqual(['to b'])
    expect(inRoom(carol, 'b')).toEqual([])
    expect(inRoom(bob, 'a')).toEqual([])

    // Three rooms at most: c fits, d does not; joining a room it is in is only acked.
    send({ type: 'join', room: 'c', ref: 'join-c' })
    expect((await answer('join-c')).type).toBe('ack')
    send({ type: 'join', room: 'd', ref: 'join-d' })
    expect(await answer('join-d')).toMatchObject({ type: 'error', code: 'COHORT_ERR_CHAT_TOO_MANY_ROOMS' })
    send({ type: 'join', room: 'c', ref: 'join-c-again' })
    expect((await answer('join-c-again')).type).toBe('ack')
    expect(ada.frames.filter((f) => f.type === 'history' && f['room'] === 'c')).toHaveLength(1)

    // Leaving b: ada leaves its presence, gets none of its messages, and may not say there.
    send({ type: 'leave', room: 'b', ref: 'leave-b' })
    expect((await answer('leave-b')).type).toBe('ack')
    await present([bob, dora], 'bob,dora')
    bob.say('after ada left')
    await dora.waitFor((f) => f['text'] === 'after ada left', 'dora to hear bob')
    expect(inRoom(ada, 'b').map((m) => m['text'])).toEqual(['to b'])
    send({ type: 'say', room: 'b', text: 'not in b', ref: 'say-b-again' })
    expect(await answer('say-b-again')).toMatchObject({ type: 'error', code: 'COHORT_ERR_CHAT_NOT_IN_ROOM' })
    send({ type: 'leave', room: 'b', ref: 'leave-b-again' })
    expect(await answer('leave-b-again')).toMatchObject({ type: 'error', code: 'COHORT_ERR_CHAT_NOT_IN_ROOM' })

    // Leaving the URL's room too: a say that names no room has nowhere to go.
    send({ type: 'leave', room: 'a', ref: 'leave-a' })
    expect((await answer('leave-a')).type).toBe('ack')
    await present([carol], 'carol')
    send({ type: 'say', text: 'nowhere', ref: 'say-nowhere' })
    expect(await answer('say-nowhere')).toMatchObject({ code: 'COHORT_ERR_CHAT_NOT_IN_ROOM', reason: 'this connection is not in room "a": join it first' })
    // Still in c, on an open connection.
    send({ type: 'say', room: 'c', text: 'in c', ref: 'say-c' })
    expect((await answer('say-c')).type).toBe('ack')
    expect(ada.socket.readyState).toBe(1)
  })

  it('cuts off a client that does not read, while the others in the room get every message', async () => {
    // The writer says thousands of messages as fast as the reader takes them: no per-connection rate limit.
    const c = new ChatCluster(await freePorts(2), { CHAT_MAX_MESSAGES_PER_SECOND: '0' })
    clusters.push(c)
    // Only the slow client's node has the small limit; the test process itself reads in bursts.
    c.startNode(0, { CHAT_MAX_BUFFERED_BYTES: String(256 * 1024) })
    c.startNode(1)
    for (const i of [0, 1]) await c.waitMesh(i)
    const slow = await join(c.node(0).url, 's', 'slow')
    const reader = await join(c.node(0).url, 's', 'reader')
    const writer = await join(c.node(1).url, 's', 'writer')
    await present([reader, writer], 'reader,slow,writer')
    // The slow client stops reading its socket: the kernel buffers fill, then the server's send buffer grows.
    ;(slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause()
    const big = 'y'.repeat(4000)
    // In bursts the readers keep up with, so only the client that stopped reading falls behind; until the node cuts
    // it off, however much the kernel's buffers take first (bounded, so a node that never cuts fails the test).
    const slowGone = (): boolean => reader.presence()?.join() === 'reader,writer'
    let sent = 0
    while (!slowGone() && sent < 20_000) {
      for (let k = 0; k < 20; k++) writer.say(`${sent++} ${big}`)
      await reader.until(() => reader.messages().length === sent, `${sent} messages`)
    }
    expect(slowGone()).toBe(true)
    await writer.until(() => writer.messages().length === sent, `all ${sent} messages back`)
    expect(reader.messages().map((m) => Number(String(m['text']).split(' ')[0]))).toEqual(Array.from({ length: sent }, (_, i) => i))
    ;(slow.socket as unknown as { _socket: { resume(): void } })._socket.resume()
    const closed = await slow.closed
    expect(closed.code).toBe(1006)
    expect(slow.messages().length).toBeLessThan(sent)
  })

  it('tells the clients of a node stopped with SIGTERM to reconnect to another node, then exits 0', async () => {
    const c = await cluster(3)
    const alice = await join(c.node(0).url, 't', 'alice')
    const bob = await join(c.node(1).url, 't', 'bob')
    await present([alice, bob], 'alice,bob')
    c.node(0).kill('SIGTERM')
    const told = await alice.waitFor((f) => f.type === 'reconnect', 'the reconnect frame')
    expect([...(told['endpoints'] as string[])].sort()).toEqual([c.node(1).url, c.node(2).url].sort())
    expect((await alice.closed).code).toBe(1012)
    expect(await c.node(0).exited).toBe(0)
    const again = await join(c.node(1).url, 't', 'alice')
    again.say('back')
    await bob.waitFor((f) => f['text'] === 'back')
    await bob.until(() => bob.presence()?.join() === 'alice,bob', 'alice back')
  })
})
