/**
 * Messages posted over HTTP (`POST /rooms/<room>/messages`), as a bot or a backend says something in a room without a
 * WebSocket, against real node processes: a post is said on every node like a client's `say` (live to the room's
 * clients, in every node's history, with its ref), a room nobody is in keeps it, every bad post gets a status and a
 * code naming what was wrong while the node carries on, posts count against the connection's rate limit, and with
 * access tokens the sender is the token's user, held to the token's rooms.
 */
import { request, Agent } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { signAccessToken } from '@cohort/chat'
import { ChatClient, ChatCluster, getJson } from '../support/chat-process.ts'
import { waitUntil } from '../support/wait-until.ts'

const clusters: ChatCluster[] = []
const clients: ChatClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.terminate()
  for (const c of clusters.splice(0)) await c.stop()
})

async function cluster(count: number, env: Record<string, string> = {}): Promise<ChatCluster> {
  const c = await ChatCluster.start(count, env)
  clusters.push(c)
  return c
}

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> | string }

/** POSTs `body` (JSON unless a string is given) to `path` over `agent`'s connections; resolves status and parsed body. */
function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}, agent?: Agent): Promise<Answer> {
  const url = new URL(path, base)
  const data = typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => {
          let parsed: Answer['body'] = text
          try {
            parsed = JSON.parse(text) as Record<string, unknown>
          } catch {
            // a text answer (405, 404)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
        })
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

type History = { messages: { id: string; user: string; text: string; ref?: unknown }[] }

describe('POST /rooms/<room>/messages', () => {
  it("says a posted message on every node as a client's say, and refuses bad posts with a status and a code", async () => {
    const c = await cluster(2)
    const [a, b] = [c.node(0).url, c.node(1).url]
    const carol = await ChatClient.join(b, 'news', 'carol')
    clients.push(carol)
    // Node a has seen b's room actor join the room's group (its directory then starts the room there too): from then
    // on what is said on a reaches b live, as for a client of a.
    await waitUntil("node a to start the room for node b's", () => fetch(new URL('/metrics', a)).then((r) => r.text()), (m) => /^chat_rooms 1$/m.test(m))

    const said = await post(a, '/rooms/news/messages', { user: 'deploy-bot', text: 'v1.2 is live', ref: 'deploy-7' })
    expect(said.status).toBe(201)
    expect(said.body).toMatchObject({ type: 'message', room: 'news', user: 'deploy-bot', text: 'v1.2 is live', ref: 'deploy-7', node: c.nameOf(0) })
    const heard = await carol.waitFor((f) => f.type === 'message', 'carol to hear the post')
    expect(heard).toEqual(said.body)

    // A room nobody is in keeps what is posted to it.
    const quiet = await post(b, '/rooms/quiet/messages', { user: 'cron', text: 'nightly backup done' })
    expect(quiet.status).toBe(201)
    expect((await getJson<History>(b, '/rooms/quiet/history')).messages.map((m) => m.text)).toEqual(['nightly backup done'])

    const refused = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const answer = await post(a, path, body, headers)
      return [answer.status, typeof answer.body === 'string' ? answer.body : answer.body['code']]
    }
    expect(await refused('/rooms/news/messages', { user: 'x', text: 'hi' }, { 'content-type': 'text/plain' })).toEqual([415, 'COHORT_ERR_CHAT_MALFORMED_FRAME'])
    expect(await refused('/rooms/news/messages', '{"user":')).toEqual([400, 'COHORT_ERR_CHAT_MALFORMED_FRAME'])
    expect(await refused('/rooms/news/messages', ['hi'])).toEqual([400, 'COHORT_ERR_CHAT_MALFORMED_FRAME'])
    expect(await refused('/rooms/news/messages', { text: 'from nobody' })).toEqual([400, 'COHORT_ERR_CHAT_INVALID_USER'])
    expect(await refused('/rooms/news/messages', { user: 'a\u0007b', text: 'bell' })).toEqual([400, 'COHORT_ERR_CHAT_INVALID_USER'])
    expect(await refused('/rooms/news/messages', { user: 'x', text: '  ' })).toEqual([400, 'COHORT_ERR_CHAT_EMPTY_TEXT'])
    expect(await refused('/rooms/news/messages', { user: 'x', text: 'é'.repeat(2049) })).toEqual([400, 'COHORT_ERR_CHAT_TEXT_TOO_LONG'])
    expect(await refused('/rooms/news/messages', { user: 'x', text: 'hi', ref: 'r'.repeat(65) })).toEqual([400, 'COHORT_ERR_CHAT_MALFORMED_FRAME'])
    expect(await refused('/rooms/news/messages', { user: 'x', text: 'x'.repeat(70_000) })).toEqual([413, 'COHORT_ERR_CHAT_MALFORMED_FRAME'])
    expect(await refused('/rooms/no%20spaces/messages', { user: 'x', text: 'hi' })).toEqual([400, undefined])
    const get = await fetch(new URL('/rooms/news/messages', a))
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])

    // Nothing refused was said: carol heard the one post, and both nodes hold it alone.
    await post(a, '/rooms/news/messages', { user: 'deploy-bot', text: 'v1.3 is live' })
    await carol.waitFor((f) => f['text'] === 'v1.3 is live', 'carol to hear the next post')
    expect(carol.messages().map((m) => m['text'])).toEqual(['v1.2 is live', 'v1.3 is live'])
    for (const url of [a, b]) {
      expect((await getJson<History>(url, '/rooms/news/history')).messages.map((m) => [m.user, m.text, m.ref])).toEqual([
        ['deploy-bot', 'v1.2 is live', 'deploy-7'],
        ['deploy-bot', 'v1.3 is live', undefined],
      ])
    }
  })

  it("counts posts against the connection's rate limit, with 429 and Retry-After past it", async () => {
    const c = await cluster(1, { CHAT_MAX_MESSAGES_PER_SECOND: '1', CHAT_MESSAGE_BURST: '2' })
    const { url } = c.node(0)
    // One keep-alive connection for every post: the limit is the connection's, as a WebSocket's is.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const answers: Answer[] = []
    for (let i = 0; i < 4; i++) answers.push(await post(url, '/rooms/flood/messages', { user: 'bot', text: `post ${i}` }, {}, agent))
    agent.destroy()
    const statuses = answers.map((a) => a.status)
    // Two at once (the burst), then one a second: the posts come faster than that.
    expect(statuses.slice(0, 2)).toEqual([201, 201])
    const limited = answers.filter((a) => a.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(limited[0]!.headers['retry-after']).toBe('1')
    expect(limited[0]!.body).toMatchObject({ code: 'COHORT_ERR_CHAT_RATE_LIMITED' })
    const history = await getJson<History>(url, '/rooms/flood/history')
    expect(history.messages).toHaveLength(statuses.filter((s) => s === 201).length)
    const metrics = await (await fetch(new URL('/metrics', url))).text()
    expect(metrics).toMatch(new RegExp(`^chat_frames_rate_limited_total ${limited.length}$`, 'm'))
  })

  it("takes the sender from the access token and holds it to the token's rooms", async () => {
    const secret = 'a secret for the post test, thirty-two bytes or more'
    const c = await cluster(1, { CHAT_AUTH_SECRET: secret })
    const { url } = c.node(0)
    const token = signAccessToken({ name: 'release-bot', rooms: ['ops.*'] }, Buffer.from(secret))
    const bearer = { authorization: `Bearer ${token}` }

    const anonymous = await post(url, '/rooms/ops.deploys/messages', { user: 'release-bot', text: 'claimed' })
    expect([anonymous.status, anonymous.body]).toEqual([401, { error: 'missing access token: send Authorization: Bearer <token> or add ?token=<token>' }])
    const said = await post(url, '/rooms/ops.deploys/messages', { user: 'someone else', text: 'shipped' }, bearer)
    expect([said.status, (said.body as Record<string, unknown>)['user']]).toEqual([201, 'release-bot'])
    const elsewhere = await post(url, '/rooms/general/messages', { text: 'not here' }, bearer)
    expect([elsewhere.status, elsewhere.body]).toEqual([403, { error: 'release-bot may not post in room "general"' }])
    expect((await getJson<History>(url, `/rooms/ops.deploys/history?token=${token}`)).messages.map((m) => [m.user, m.text])).toEqual([['release-bot', 'shipped']])
  })
})
