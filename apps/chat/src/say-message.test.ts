/**
 * postMessage on a local actor system (what `RunningChatNode.say` runs): a post is said into the room's history, the
 * room started on this node when it had none; a bad post is refused with the code naming what was wrong; past
 * maxRooms a new room is refused.
 */
import { createActorSystem } from '@cohort/core'
import type { ActorSystem } from '@cohort/core'
import { afterEach, describe, expect, it } from 'vitest'
import { postMessage } from './say-message.ts'
import { startChat } from './start-chat.ts'

const OPTIONS = { historySyncMs: 1_000, maxBufferedBytes: 1 << 20, maxRooms: 2, maxMessagesPerSecond: 0, messageBurst: 1, maxRoomsPerConnection: 50, publicUrl: '' }

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown()
})

describe('postMessage', () => {
  it('says a post into the room, starting the room here, and refuses bad posts with their codes', async () => {
    system = createActorSystem({ node: 'post@127.0.0.1' })
    const { services } = await startChat(system, OPTIONS)
    const said = await postMessage(services, 'news', { user: ' bot ', text: 'hello', ref: 7 })
    expect(said).toMatchObject({ type: 'message', room: 'news', user: 'bot', text: 'hello', ref: 7, node: 'post@127.0.0.1' })
    await system.whenIdle()
    expect(services.histories.get('news')?.messages()).toEqual([said])
    expect(services.counters.messagesIn).toBe(1)

    const code = (room: string, post: { user: string; text: string; ref?: string }) => postMessage(services, room, post).then(() => 'said', (err: { code: string }) => err.code)
    expect(await code('no spaces', { user: 'bot', text: 'hi' })).toBe('COHORT_ERR_CHAT_INVALID_ROOM')
    expect(await code('news', { user: '', text: 'hi' })).toBe('COHORT_ERR_CHAT_INVALID_USER')
    expect(await code('news', { user: 'bot', text: '' })).toBe('COHORT_ERR_CHAT_EMPTY_TEXT')
    expect(await code('news', { user: 'bot', text: 'x'.repeat(4097) })).toBe('COHORT_ERR_CHAT_TEXT_TOO_LONG')
    expect(await code('news', { user: 'bot', text: 'hi', ref: '' })).toBe('COHORT_ERR_CHAT_MALFORMED_FRAME')
    // maxRooms is 2: news and one more.
    expect(await code('second', { user: 'bot', text: 'hi' })).toBe('said')
    expect(await code('third', { user: 'bot', text: 'hi' })).toBe('COHORT_ERR_CHAT_ROOM_REFUSED')
    expect(services.counters.messagesIn).toBe(2)
  })
})
