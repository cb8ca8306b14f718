import { afterEach, describe, expect, it } from 'vitest'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import type { Pid } from '@cohort/core'
import { roomActorName } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import { roomGroup } from './room-groups.ts'
import { firstTickMs } from './room.ts'
import type { RoomMessage } from './room.ts'
import { startChat } from './start-chat.ts'

const OPTIONS = { historySyncMs: 1_000, maxBufferedBytes: 1 << 20, maxRooms: 100, maxMessagesPerSecond: 0, messageBurst: 1, maxRoomsPerConnection: 50, publicUrl: '' }
let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

async function chatOn(name: string): Promise<ChatServices> {
  return (await startChat(net!.addNode(name), OPTIONS)).services
}

/** Says `text` in `room` as a session on `on` would: stamped there, broadcast to the room's group. */
function say(on: ChatServices, room: string, text: string): void {
  on.groups.broadcast(roomGroup(room), { t: 'message', message: on.stamp(room, 'u', text) } satisfies RoomMessage)
}

const texts = (chat: ChatServices, room: string): string[] => chat.histories.get(room)?.messages().map((m) => m.text) ?? []

async function enter(chat: ChatServices, room: string): Promise<void> {
  const pid = await chat.system.call<Pid>('chat.directory', { t: 'ensure', room })
  expect(pid).toBeDefined()
}

describe('room actors', () => {
  it('start on every node when a room appears on one, and a node that joins later catches up', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    const b = await chatOn('b@mem')
    await enter(a, 'lobby')
    await net.settle()
    expect(b.system.whereis(roomActorName('lobby'))).toBeDefined()
    for (let i = 0; i < 5; i++) say(i % 2 === 0 ? a : b, 'lobby', `m${i}`)
    await net.settle()
    expect(texts(b, 'lobby')).toEqual(texts(a, 'lobby'))
    expect(texts(a, 'lobby')).toHaveLength(5)

    const c = await chatOn('c@mem')
    await net.waitFor(() => texts(c, 'lobby').length === 5)
    expect(texts(c, 'lobby')).toEqual(texts(a, 'lobby'))
  })

  it('holds a session entering a room that started empty until a peer\'s history came, so its history is whole', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    await chatOn('b@mem')
    await enter(a, 'lobby')
    await net.settle()
    for (let i = 0; i < 5; i++) say(a, 'lobby', `m${i}`)
    await net.settle()
    const c = await chatOn('c@mem')
    await c.groups.synced()
    await enter(c, 'lobby')
    // What the room holds when it lets a session in: a peer's history, not the empty one it started with.
    let heldWhenEntered: string[] | undefined
    const session = c.system.spawn(async (ctx) => {
      await ctx.receive(() => false)
    })
    const entered = c.system.call(roomActorName('lobby'), { t: 'enter', pid: session, user: 'u' }).then(() => (heldWhenEntered = texts(c, 'lobby')))
    await net.settle()
    await entered
    expect(heldWhenEntered).toEqual(texts(a, 'lobby'))
    expect(heldWhenEntered).toHaveLength(5)
  })

  it('heals a history that lost messages on the way at the next sync, by ids', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    const b = await chatOn('b@mem')
    await enter(a, 'r')
    await net.settle()
    net.dropNext('a@mem', 'b@mem', 2)
    say(a, 'r', 'lost 1')
    say(a, 'r', 'lost 2')
    say(a, 'r', 'kept')
    await net.settle()
    expect(texts(b, 'r')).toEqual(['kept'])
    await net.clock.advance(OPTIONS.historySyncMs)
    await net.settle()
    expect(texts(b, 'r')).toEqual(['lost 1', 'lost 2', 'kept'])
    expect(b.histories.get('r')!.digest()).toBe(a.histories.get('r')!.digest())
  })

  it('restarts a killed room actor, which keeps its node\'s history and the room\'s live messages', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    const b = await chatOn('b@mem')
    await enter(a, 'k')
    await net.settle()
    say(b, 'k', 'before')
    await net.settle()
    const first = a.system.whereis(roomActorName('k'))!
    a.system.exit(first, 'kill')
    await net.settle()
    const second = a.system.whereis(roomActorName('k'))
    expect(second).toBeDefined()
    expect(second!.equals(first)).toBe(false)
    say(b, 'k', 'after')
    await net.settle()
    expect(texts(a, 'k')).toEqual(['before', 'after'])
  })

  it('drops unknown and malformed messages without losing its state', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    await enter(a, 'x')
    say(a, 'x', 'one')
    await net.settle()
    const room = a.system.whereis(roomActorName('x'))!
    // A history keeps a message's room and node as names: a message without them as strings is malformed too.
    const noRoom = { t: 'message', message: { type: 'message', user: 'u', text: 'no room', at: 1, id: 'z~1~1', node: 'z' } }
    const noNode = { type: 'message', room: 'x', user: 'u', text: 'no node', at: 2, id: 'z~1~2', node: 5 }
    for (const junk of [{ t: 'bogus' }, 'junk', { t: 'give', messages: 'nope' }, { t: 'give', messages: [{ id: 1 }] }, { t: 'ids', ids: 7 }, { t: 'message', message: null }, noRoom, { t: 'give', messages: [noNode] }, { t: 'ids', ids: [null, 3], answer: true }]) {
      a.system.send(room, junk)
    }
    say(a, 'x', 'two')
    await net.settle()
    expect(a.system.whereis(roomActorName('x'))!.equals(room)).toBe(true)
    expect(texts(a, 'x')).toEqual(['one', 'two'])
  })

  it('stops syncing a room that stays quiet for a round of its peers, and starts again on the next message', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    const b = await chatOn('b@mem')
    await chatOn('c@mem')
    let digests = 0
    a.system.trace((r) => {
      if (r.type === 'send' && (r.msg as { t?: unknown } | null)?.t === 'digest') digests++
    })
    await enter(a, 'q')
    await net.settle()
    say(a, 'q', 'hello')
    await net.settle()
    await net.clock.advance(OPTIONS.historySyncMs * 10)
    await net.settle()
    const afterFirst = digests
    // One to each peer's room actor as it appeared, and again to both at the end of the room's start (they appeared
    // while it waited for groups.synced), then the tick that saw the change and one round of the two peers.
    expect(afterFirst).toBe(7)
    await net.clock.advance(OPTIONS.historySyncMs * 10)
    await net.settle()
    expect(digests).toBe(afterFirst)
    say(b, 'q', 'again')
    await net.settle()
    await net.clock.advance(OPTIONS.historySyncMs * 10)
    await net.settle()
    expect(digests - afterFirst).toBe(3)
  })

  it('compares histories when a partition heals, long after both sides went quiet', async () => {
    net = createNetwork()
    const a = await chatOn('a@mem')
    const b = await chatOn('b@mem')
    await enter(a, 'p')
    await net.settle()
    net.partition('a@mem', 'b@mem')
    say(a, 'p', 'left side')
    say(b, 'p', 'right side')
    await net.clock.advance(OPTIONS.historySyncMs * 20)
    await net.settle()
    expect(texts(a, 'p')).toEqual(['left side'])
    net.heal()
    await net.settle()
    expect(texts(a, 'p').sort()).toEqual(['left side', 'right side'])
    expect(texts(b, 'p')).toEqual(texts(a, 'p'))
  })

  it('spreads the first sync of rooms started together over half a period, the same way every run', () => {
    const ticks = Array.from({ length: 30 }, (_, i) => firstTickMs(`room${i}`, 2_000))
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(1_000)
      expect(t).toBeLessThanOrEqual(2_000)
    }
    expect(new Set(ticks).size).toBeGreaterThan(25)
    expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => firstTickMs(`room${i}`, 2_000)))
  })
})
