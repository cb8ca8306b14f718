/**
 * A chat node that requires access tokens (CHAT_AUTH_SECRET), in its own process: a WebSocket without a valid token
 * (none, another secret's, changed, expired) is refused with 401 and the reason; one with a valid token, in the URL
 * or in an Authorization header, chats as the token's user whatever name its URL claims; a room's history and
 * presence are read with a token only; the refusals are counted on /metrics, and the node serves its users throughout.
 * A token's `rooms` claim keeps its user to those rooms: in the URL (403), in a `join`, in room reads and in the room
 * list. A WebSocket
 * outlives its token by no more than the allowed skew: it is closed with 4401 then.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CHAT_CLOSE_CODES, CLOCK_SKEW_S, signAccessToken } from '@cohort/chat'
import { ChatClient, ChatCluster } from '../support/chat-process.ts'
import type { Frame } from '../support/chat-process.ts'

const SECRET = 'the secret of this test, at least thirty-two bytes'
const token = (claims: Record<string, unknown>, secret = SECRET): string => signAccessToken(claims, Buffer.from(secret))
const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600

let cluster: ChatCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

/** The status and body of a WebSocket upgrade the node refused. */
function refusal(client: ChatClient): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    client.socket.on('error', () => undefined)
    client.socket.once('open', () => reject(new Error('the node accepted the WebSocket')))
    client.socket.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
  })
}

describe('a chat node with CHAT_AUTH_SECRET', () => {
  it('takes the user from a valid access token, refuses the rest with 401 and the reason, and guards room reads', async () => {
    cluster = await ChatCluster.start(1, { CHAT_AUTH_SECRET: SECRET })
    const { url } = cluster.node(0)

    const refused = async (query: Record<string, string>): Promise<{ status: number; body: string }> => refusal(new ChatClient(url, 'lobby', 'mallory', { query }))
    expect(await refused({})).toEqual({ status: 401, body: 'missing access token: send Authorization: Bearer <token> or add ?token=<token>\n' })
    expect(await refused({ token: token({ name: 'ada' }, 'another secret, also thirty-two bytes long') })).toEqual({
      status: 401,
      body: "the token's signature does not match: signed with another secret, or changed\n",
    })
    const [head, , signature] = token({ name: 'ada' }).split('.')
    const forged = `${head}.${Buffer.from(JSON.stringify({ name: 'admin' })).toString('base64url')}.${signature}`
    expect((await refused({ token: forged })).body).toMatch(/signature does not match/)
    expect((await refused({ token: token({ name: 'ada', exp: Math.floor(Date.now() / 1000) - 3600 }) })).body).toMatch(/^the token expired at /)
    expect((await refused({ token: 'not-a-token' })).body).toMatch(/not a JSON Web Token/)

    // A valid token in the URL: the user is the token's, not the name the URL claims.
    const ada = await ChatClient.join(url, 'lobby', 'mallory', { query: { token: token({ sub: 'u-1', name: 'Ada', exp: inAnHour() }) } })
    // In an Authorization header, as a client that is not a browser sends it.
    const bob = await ChatClient.join(url, 'lobby', 'root', { headers: { authorization: `Bearer ${token({ sub: 'bob' })}` } })
    await bob.until(() => bob.presence()?.join() === 'Ada,bob', 'presence of Ada and bob')
    ada.say('signed in')
    const heard = await bob.waitFor((f) => f.type === 'message' && f['text'] === 'signed in', 'bob to hear Ada')
    expect(heard['user']).toBe('Ada')

    // A room's history and presence: 401 without a token, read with one.
    const history = new URL('/rooms/lobby/history', url)
    const anonymous = await fetch(history)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
    expect(await anonymous.json()).toEqual({ error: 'missing access token: send Authorization: Bearer <token> or add ?token=<token>' })
    const read = await fetch(history, { headers: { authorization: `Bearer ${token({ name: 'carol' })}` } })
    expect(read.status).toBe(200)
    expect(((await read.json()) as { messages: { user: string; text: string }[] }).messages.map((m) => [m.user, m.text])).toEqual([['Ada', 'signed in']])
    expect((await fetch(new URL(`/rooms/lobby/presence?token=${token({ name: 'carol' })}`, url))).status).toBe(200)

    // Every refusal counted: five WebSockets and one read.
    const metrics = await (await fetch(new URL('/metrics', url))).text()
    expect(metrics).toMatch(/^chat_auth_refused_total 6$/m)
    ada.say('still here')
    await bob.waitFor((f) => f.type === 'message' && f['text'] === 'still here', 'bob to hear Ada again')
    ada.socket.terminate()
    bob.socket.terminate()
  })

  it("keeps a user to the rooms the token's rooms claim allows, in the URL, in joins and in room reads", async () => {
    cluster = await ChatCluster.start(1, { CHAT_AUTH_SECRET: SECRET })
    const { url } = cluster.node(0)
    const allowed = token({ name: 'ada', rooms: ['lobby', 'team.*'] })

    expect(await refusal(new ChatClient(url, 'secret', 'ada', { query: { token: allowed } }))).toEqual({ status: 403, body: 'ada may not enter room "secret"\n' })
    const ada = await ChatClient.join(url, 'lobby', 'ada', { query: { token: allowed } })
    const answer = (ref: string): Promise<Frame> => ada.waitFor((f) => f['ref'] === ref && (f.type === 'ack' || f.type === 'error'), `the answer to ${ref}`)
    ada.socket.send(JSON.stringify({ type: 'join', room: 'team.dev', ref: 'j1' }))
    expect(await answer('j1')).toEqual({ type: 'ack', ref: 'j1' })
    ada.socket.send(JSON.stringify({ type: 'join', room: 'secret', ref: 'j2' }))
    expect(await answer('j2')).toEqual({ type: 'error', code: 'COHORT_ERR_CHAT_ROOM_FORBIDDEN', reason: 'ada may not enter room "secret"', ref: 'j2' })
    expect(ada.frames.some((f) => f['room'] === 'secret')).toBe(false)

    const read = (room: string): Promise<Response> => fetch(new URL(`/rooms/${room}/presence`, url), { headers: { authorization: `Bearer ${allowed}` } })
    expect((await read('team.dev')).status).toBe(200)
    const forbidden = await read('secret')
    expect([forbidden.status, await forbidden.json()]).toEqual([403, { error: 'ada may not read room "secret"' }])
    expect(await (await fetch(new URL('/metrics', url))).text()).toMatch(/^chat_auth_refused_total 2$/m)

    // The room list shows a token only the rooms it allows; without a token, none.
    const other = await ChatClient.join(url, 'other', 'bob', { query: { token: token({ name: 'bob' }) } })
    const list = (t?: string) => fetch(new URL(t === undefined ? '/rooms' : `/rooms?token=${t}`, url))
    expect(((await (await list(token({ name: 'bob' }))).json()) as { rooms: { room: string }[] }).rooms.map((r) => r.room)).toEqual(['lobby', 'other', 'team.dev'])
    expect(await (await list(allowed)).json()).toEqual({ rooms: [{ room: 'lobby', users: 1 }, { room: 'team.dev', users: 1 }] })
    expect((await list()).status).toBe(401)
    other.socket.terminate()
    ada.socket.terminate()
  })

  it("closes a WebSocket with 4401 when its token's exp (plus the allowed skew) passes, and its user leaves presence", async () => {
    cluster = await ChatCluster.start(1, { CHAT_AUTH_SECRET: SECRET })
    const { url } = cluster.node(0)
    // Accepted for one or two seconds more: exp is in whole seconds, and the node allows 30 s of skew.
    const soon = Math.floor(Date.now() / 1000) - CLOCK_SKEW_S + 2
    const ada = await ChatClient.join(url, 'lobby', 'ada', { query: { token: token({ name: 'ada', exp: soon }) } })
    const bob = await ChatClient.join(url, 'lobby', 'bob', { query: { token: token({ name: 'bob', exp: inAnHour() }) } })
    await bob.until(() => bob.presence()?.join() === 'ada,bob', 'presence of ada and bob')
    const [code, reason] = await new Promise<[number, string]>((resolve) => ada.socket.once('close', (c, r) => resolve([c, r.toString()])))
    expect([code, reason]).toEqual([CHAT_CLOSE_CODES.accessExpired, 'access expired; reconnect with a new access token'])
    expect(Date.now()).toBeGreaterThanOrEqual((soon + CLOCK_SKEW_S) * 1000)
    await bob.until(() => bob.presence()?.join() === 'bob', 'ada gone from presence')
    expect(await (await fetch(new URL('/metrics', url))).text()).toMatch(/^chat_access_expired_total 1$/m)
    // The same token is refused from then on; a new one lets the user back in.
    expect((await refusal(new ChatClient(url, 'lobby', 'ada', { query: { token: token({ name: 'ada', exp: soon }) } }))).body).toMatch(/^the token expired at /)
    const again = await ChatClient.join(url, 'lobby', 'ada', { query: { token: token({ name: 'ada', exp: inAnHour() }) } })
    await bob.until(() => bob.presence()?.join() === 'ada,bob', 'ada back')
    again.socket.terminate()
    bob.socket.terminate()
  })
})
