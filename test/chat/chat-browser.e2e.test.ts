/// <reference lib="dom" />
/**
 * The chat page in a real browser: Debian's Chromium driven by playwright-core (nothing downloaded), two pages on
 * two different chat nodes. A message typed in one appears in the other, both see both users, markup in a name is
 * shown as text, and when the first page's node is stopped with SIGTERM the page reconnects to another node and
 * keeps chatting; when a node then dies by SIGKILL, its page finds the last node by itself. And nothing typed is
 * lost: a message typed while its node hangs (SIGSTOP) and then dies (SIGKILL) is said once, from the next node,
 * a message said twice under one ref shows once, a message typed while the page reconnects waits and is said once
 * it has, and a message the node refuses stays on the page, struck out, with the reason. On nodes that require access
 * tokens, a page opened with one chats as the token's user, and signs out instead of retrying when the token expires,
 * is refused, or its user is signed out from server code. One page is in several rooms over one connection, each
 * shown in its tab with what arrived unread and who is typing. Screenshots go to test/output/chat-browser/ (ignored by git).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLOCK_SKEW_S, disconnectUser, signAccessToken } from '@cohort/chat'
import { startNode } from '@cohort/transport'
import { ChatClient, ChatCluster, getJson } from '../support/chat-process.ts'
import { launchChromium } from '../support/chromium.ts'
import type { TestBrowser } from '../support/chromium.ts'

const OUTPUT = fileURLToPath(new URL('../output/chat-browser/', import.meta.url))

const clusters: ChatCluster[] = []
let browser: TestBrowser | undefined

beforeAll(() => {
  mkdirSync(OUTPUT, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  for (const cluster of clusters) await cluster.stop()
})

async function startCluster(count = 3, env: Record<string, string> = {}): Promise<ChatCluster> {
  const cluster = await ChatCluster.start(count, env)
  clusters.push(cluster)
  return cluster
}

async function newPage(): Promise<Page> {
  browser ??= await launchChromium()
  return browser.context.newPage()
}

// Chromium throttles a tab in the background (a page the test is not on), and Playwright's actions on it then take
// seconds: each helper that acts on a page brings it to the front first.

async function joinRoom(page: Page, url: string, name: string, room: string): Promise<void> {
  await page.bringToFront()
  await page.goto(url)
  await page.fill('#name', name)
  await page.fill('#room', room)
  await page.click('#join button')
  await page.waitForSelector('#status[data-state="connected"]')
}

async function say(page: Page, text: string): Promise<void> {
  await page.bringToFront()
  await page.fill('#text', text)
  await page.click('#send')
}

async function click(page: Page, selector: string): Promise<void> {
  await page.bringToFront()
  await page.click(selector)
}

const users = (page: Page): Promise<string[]> => page.$$eval('#users li', (lis) => lis.map((li) => li.textContent ?? ''))

/** The page's list items showing `text`: their classes (pending, failed) and what their meta says. */
const shown = (page: Page, text: string): Promise<{ state: string; meta: string }[]> =>
  page.$$eval('#messages li.message', (lis, t) => lis.filter((li) => li.querySelector('.text')!.textContent === t).map((li) => ({ state: li.className, meta: li.querySelector('.meta')!.textContent ?? '' })), text)

/** Waits until the page shows `text` as said (neither pending nor refused). */
const said = (page: Page, text: string) =>
  page.waitForFunction((t) => Array.from(document.querySelectorAll('#messages li.message:not(.pending):not(.failed) .text')).some((e) => e.textContent === t), text)

describe('the chat page in Chromium', () => {
  it('chats between two nodes, shows markup as text, and reconnects when its node stops', async () => {
    const cluster = await startCluster()
    const evil = '<b id="injected">Mallory</b>'
    const first = await newPage()
    const second = await newPage()
    await joinRoom(first, cluster.node(0).url, evil, 'browser')
    await joinRoom(second, cluster.node(1).url, 'bob', 'browser')

    // Both see both users; the name with markup is text, not an element.
    for (const page of [first, second]) {
      await page.waitForFunction(() => document.querySelectorAll('#users li').length === 2)
      expect(await users(page)).toEqual([evil, 'bob'].sort())
      expect(await page.$('#injected')).toBeNull()
    }

    await say(first, 'hello from the first page <i>not italic</i>')
    await second.waitForSelector('#messages li.message .text >> text=hello from the first page <i>not italic</i>')
    expect(await second.$$eval('#messages li.message .user', (els) => els.map((e) => e.textContent))).toEqual([evil])
    expect(await second.$('#messages i')).toBeNull()
    await say(second, 'hello back')
    await first.waitForSelector('#messages li.message .text >> text=hello back')
    await first.screenshot({ path: join(OUTPUT, '1-first-page-before-sigterm.png') })
    await second.screenshot({ path: join(OUTPUT, '2-second-page-before-sigterm.png') })

    // The first page's node leaves: the page is told where else to go and reconnects there by itself.
    cluster.node(0).kill('SIGTERM')
    await first.waitForFunction((old) => {
      const status = document.querySelector('#status') as HTMLElement
      return status.dataset['state'] === 'connected' && !status.textContent!.includes(old)
    }, new URL(cluster.node(0).url).host)
    expect(await cluster.node(0).exited).toBe(0)

    await say(first, 'still here after my node left')
    for (const page of [first, second]) await page.waitForSelector('#messages li.message .text >> text=still here after my node left')
    await second.waitForFunction(() => document.querySelectorAll('#users li').length === 2)
    // History came again on reconnect, without duplicates.
    expect(await first.$$eval('#messages li.message .text', (els) => els.map((e) => e.textContent))).toEqual([
      'hello from the first page <i>not italic</i>',
      'hello back',
      'still here after my node left',
    ])
    await first.screenshot({ path: join(OUTPUT, '3-first-page-after-reconnect.png') })
    await second.screenshot({ path: join(OUTPUT, '4-second-page-after-reconnect.png') })

    // The second page's node dies without notice: the page tries the nodes it learnt from /endpoints.
    cluster.node(1).kill('SIGKILL')
    const lastNode = new URL(cluster.node(2).url).host
    for (const page of [first, second]) {
      await page.waitForFunction((host) => {
        const status = document.querySelector('#status') as HTMLElement
        return status.dataset['state'] === 'connected' && status.textContent!.includes(host)
      }, lastNode)
    }
    await say(second, 'and here after a SIGKILL')
    await first.waitForSelector('#messages li.message .text >> text=and here after a SIGKILL')
    await second.screenshot({ path: join(OUTPUT, '5-second-page-after-sigkill.png') })
  })

  it('says a message typed while its node hangs once, from the next node, and keeps a refused one struck out', async () => {
    const cluster = await startCluster()
    const first = await newPage()
    const second = await newPage()
    await joinRoom(first, cluster.node(0).url, 'dora', 'resend')
    await joinRoom(second, cluster.node(1).url, 'eve', 'resend')
    for (const page of [first, second]) await page.waitForFunction(() => document.querySelectorAll('#users li').length === 2)

    // Acked by its node: no longer pending.
    await say(first, 'acked')
    await said(first, 'acked')
    await said(second, 'acked')

    // Refused by its node (over 4096 bytes): struck out on the page, with the reason, and said nowhere.
    const long = 'x'.repeat(5000)
    await say(first, long)
    await first.waitForSelector('#messages li.failed')
    expect(await shown(first, long)).toEqual([{ state: 'message failed', meta: expect.stringMatching(/5000 bytes; the limit is 4096 bytes/) }])

    // Typed while the node hangs: pending, since nothing answers. Then the node dies with the frame unread.
    cluster.node(0).kill('SIGSTOP')
    await say(first, 'typed while my node hung')
    expect(await shown(first, 'typed while my node hung')).toEqual([{ state: 'message pending', meta: 'sending…' }])
    await first.screenshot({ path: join(OUTPUT, '6-pending-while-node-hangs.png') })
    cluster.node(0).kill('SIGKILL')

    // The page reconnects to another node, finds the message missing from its history, and sends it again.
    await said(first, 'typed while my node hung')
    await said(second, 'typed while my node hung')
    for (const page of [first, second]) {
      expect(await shown(page, 'typed while my node hung')).toHaveLength(1)
      expect(await shown(page, 'acked')).toHaveLength(1)
    }
    await say(second, 'heard after the resend')
    await said(first, 'heard after the resend')
    expect(await shown(first, 'typed while my node hung')).toHaveLength(1)
    await first.screenshot({ path: join(OUTPUT, '7-said-after-reconnect.png') })

    // A client that said one message twice under one ref (a resend whose first copy was said after all): the
    // nodes keep both, with two ids, and the pages show it once.
    const client = await ChatClient.join(cluster.node(1).url, 'resend', 'finn')
    for (const text of ['said twice', 'said twice']) client.socket.send(JSON.stringify({ type: 'say', text, ref: 'finn-1' }))
    client.say('after the duplicate')
    await client.until(() => client.messages().some((m) => m['text'] === 'after the duplicate'), 'finn to hear itself')
    expect(client.messages().filter((m) => m['text'] === 'said twice').map((m) => m['id'])).toEqual([expect.any(String), expect.any(String)])
    for (const page of [first, second]) {
      await said(page, 'after the duplicate')
      expect(await shown(page, 'said twice')).toHaveLength(1)
    }
    client.socket.terminate()
  })

  it('keeps what is typed while it reconnects, pending, and says it once the next node answers', async () => {
    const cluster = await startCluster(2)
    const page = await newPage()
    await joinRoom(page, cluster.node(0).url, 'gus', 'offline')
    // The page learnt the other node from /endpoints: where it goes when its node dies.
    await page.waitForFunction('state.known.length === 1')
    const finn = await ChatClient.join(cluster.node(1).url, 'offline', 'finn')
    await page.waitForFunction(() => document.querySelectorAll('#users li').length === 2)

    // The next node is stopped, so the page's reconnection to it hangs; the page's own node dies.
    cluster.node(1).kill('SIGSTOP')
    cluster.node(0).kill('SIGKILL')
    await page.waitForSelector('#status[data-state="reconnecting"], #status[data-state="connecting"]')
    await say(page, 'typed while offline')
    expect(await shown(page, 'typed while offline')).toEqual([{ state: 'message pending', meta: 'sending…' }])
    await page.screenshot({ path: join(OUTPUT, '9-typed-while-offline.png') })

    // The next node answers: the page connects, reads its history, and sends what waited.
    cluster.node(1).kill('SIGCONT')
    await said(page, 'typed while offline')
    await finn.waitFor((f) => f.type === 'message' && f['text'] === 'typed while offline', 'finn to hear it')
    expect(finn.messages().filter((m) => m['text'] === 'typed while offline')).toHaveLength(1)
    expect(await shown(page, 'typed while offline')).toHaveLength(1)
    finn.socket.terminate()
  })

  it('chats as the user of the access token it was opened with, on nodes that require one', async () => {
    const secret = 'a secret for the browser test, thirty-two bytes or more'
    const cluster = await startCluster(1, { CHAT_AUTH_SECRET: secret })
    const page = await newPage()
    const token = signAccessToken({ sub: 'u-7', name: 'Grace <Hopper>' }, Buffer.from(secret))
    await page.goto(`${cluster.node(0).url}/?token=${token}`)
    // The name is the token's, shown and not editable; the node takes it from the token, not from the page.
    expect(await page.inputValue('#name')).toBe('Grace <Hopper>')
    expect(await page.$eval('#name', (input) => (input as HTMLInputElement).readOnly)).toBe(true)
    await page.fill('#room', 'tokens')
    await page.click('#join button')
    await page.waitForSelector('#status[data-state="connected"]')
    await page.waitForFunction(() => document.querySelector('#users li')?.textContent === 'Grace <Hopper>')
    await say(page, 'signed in with a token')
    await page.waitForSelector('#messages li.message:not(.pending) .text >> text=signed in with a token')
    // The page's node: its room actor stored the message in the same pass of its event loop as the ack was written.
    const history = await fetch(new URL('/rooms/tokens/history', cluster.node(0).url), { headers: { authorization: `Bearer ${token}` } })
    expect(((await history.json()) as { messages: { user: string }[] }).messages.map((m) => m.user)).toEqual(['Grace <Hopper>'])
    await page.screenshot({ path: join(OUTPUT, '8-signed-in-with-a-token.png') })
  })

  it('signs out, without retrying, when its token expires while it chats, its node refuses the token, or server code signs the user out', async () => {
    const secret = 'a secret for the browser test, thirty-two bytes or more'
    const cluster = await startCluster(1, { CHAT_AUTH_SECRET: secret })
    const { url } = cluster.node(0)
    const metric = async (name: string): Promise<string | undefined> => new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(new URL('/metrics', url))).text())?.[1]
    // The token is made once the browser runs: starting Chromium may take longer than the first token lasts.
    const open = async (token: () => string): Promise<Page> => {
      const page = await newPage()
      await page.goto(`${url}/?token=${token()}`)
      await page.fill('#room', 'expiry')
      await page.click('#join button')
      return page
    }

    // Accepted for three or four seconds more (exp is in whole seconds; the nodes allow 30 s of skew), then closed (4401).
    const page = await open(() => signAccessToken({ name: 'ada', exp: Math.floor(Date.now() / 1000) - CLOCK_SKEW_S + 4 }, Buffer.from(secret)))
    await page.waitForSelector('#status[data-state="connected"]')
    await page.waitForSelector('#status[data-state="signed-out"]')
    expect(await page.textContent('#error')).toBe('Your access token has expired: open the chat again with a new one.')
    expect(await page.$eval('#text', (input) => (input as HTMLInputElement).disabled)).toBe(true)
    // Closed by the node, and never tried again with the expired token (each try would be a refusal counted).
    expect([await metric('chat_access_expired_total'), await metric('chat_auth_refused_total')]).toEqual(['1', '0'])
    await page.screenshot({ path: join(OUTPUT, '9-token-expired.png') })

    // A token the node refuses: the page shows the node's reason and stops, after the room list it asks for as it
    // loads, one WebSocket and one room read.
    const forged = await open(() => signAccessToken({ name: 'mallory' }, Buffer.from('not the secret of these nodes, but as long')))
    await forged.waitForSelector('#status[data-state="signed-out"]')
    expect(await forged.textContent('#error')).toBe("the token's signature does not match: signed with another secret, or changed")
    expect(await metric('chat_auth_refused_total')).toBe('3')

    // Signed out from server code (a login service, here on a hidden node): the page says why and stops.
    const grace = await open(() => signAccessToken({ name: 'grace' }, Buffer.from(secret)))
    await grace.waitForSelector('#status[data-state="connected"]')
    const cli = await startNode({ name: `chat-browser-signout-${process.pid}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie: cluster.cookie, hidden: true })
    try {
      await cli.connect({ name: cluster.nameOf(0), url: `ws://127.0.0.1:${cluster.ports[0]}` })
      expect(await disconnectUser(cli.system, 'grace', { reason: 'your role changed', nodes: [cluster.nameOf(0)] })).toBe(1)
    } finally {
      await cli.close()
    }
    await grace.bringToFront()
    await grace.waitForSelector('#status[data-state="signed-out"]')
    expect(await grace.textContent('#error')).toBe('Signed out: your role changed.')
    expect(await metric('chat_auth_refused_total')).toBe('3')
  })

  it('is in several rooms over one connection: tabs with unread counts, each room its own messages, presence and typing, all rejoined after its node leaves', async () => {
    const cluster = await startCluster(2)
    const ada = await newPage()
    const bob = await newPage()
    await joinRoom(ada, cluster.node(0).url, 'ada', 'alpha')
    // A second join on the same page adds a room to the connection and shows it.
    await ada.fill('#room', 'beta')
    await click(ada, '#join button')
    await ada.waitForFunction(() => document.querySelector('#rooms .tab[aria-current="true"]')?.textContent === '#beta')
    await joinRoom(bob, cluster.node(1).url, 'bob', 'beta')
    // The room box suggests the cluster's rooms (GET /rooms), asked again at each connection.
    await bob.waitForFunction(() => Array.from(document.querySelectorAll('#known-rooms option')).some((o) => (o as HTMLOptionElement).value === 'beta'))
    await ada.waitForFunction(() => Array.from(document.querySelectorAll('#users li')).map((li) => li.textContent).join() === 'ada,bob')

    // Back in alpha, bob's message in beta shows as unread on beta's tab, and in beta once it is shown.
    await click(ada, '#rooms .tab[data-room="alpha"]')
    expect(await users(ada)).toEqual(['ada'])
    await say(bob, 'in beta, for ada')
    await ada.waitForFunction(() => document.querySelector('#rooms .tab[data-room="beta"] .unread')?.textContent === '1')
    expect(await ada.$$eval('#messages li.message', (lis) => lis.length)).toBe(0)
    await ada.screenshot({ path: join(OUTPUT, '10-rooms-unread.png') })
    await click(ada, '#rooms .tab[data-room="beta"]')
    await ada.waitForSelector('#messages li.message .text >> text=in beta, for ada')
    expect(await ada.$('#rooms .tab[data-room="beta"] .unread')).toBeNull()

    // Typing is signalled to the room: ada sees bob typing in beta until his message arrives.
    await bob.bringToFront()
    await bob.fill('#text', 'a reply in the making')
    await ada.bringToFront()
    await ada.waitForFunction(() => document.querySelector('#typing')?.textContent === 'bob is typing…')
    await ada.screenshot({ path: join(OUTPUT, '10b-bob-is-typing.png') })
    await say(bob, 'a reply in the making')
    await ada.bringToFront()
    await ada.waitForSelector('#messages li.message .text >> text=a reply in the making')
    await ada.waitForFunction(() => document.querySelector('#typing')?.textContent === '')

    // What ada says goes to the room she is looking at.
    await say(ada, 'beta answer')
    await bob.waitForSelector('#messages li.message .text >> text=beta answer')
    await click(ada, '#rooms .tab[data-room="alpha"]')
    await say(ada, 'only in alpha')
    await said(ada, 'only in alpha')
    // Ada's node: its room actor stored the message in the same pass of its event loop as the ack was written.
    expect((await getJson<{ messages: { text: string }[] }>(cluster.node(0).url, '/rooms/alpha/history')).messages.map((m) => m.text)).toEqual(['only in alpha'])
    expect(await bob.$$eval('#messages li.message .text', (els) => els.map((e) => e.textContent))).toEqual(['in beta, for ada', 'a reply in the making', 'beta answer'])

    // Ada's node leaves: the page reconnects to the other node and is in both rooms again (bob sees her in beta).
    cluster.node(0).kill('SIGTERM')
    await ada.waitForFunction((old) => {
      const status = document.querySelector('#status') as HTMLElement
      return status.dataset['state'] === 'connected' && !status.textContent!.includes(old)
    }, new URL(cluster.node(0).url).host)
    expect(await cluster.node(0).exited).toBe(0)
    await bob.waitForFunction(() => Array.from(document.querySelectorAll('#users li')).map((li) => li.textContent).join() === 'ada,bob')
    await click(ada, '#rooms .tab[data-room="beta"]')
    await say(ada, 'back in beta')
    await bob.waitForSelector('#messages li.message .text >> text=back in beta')

    // Leaving beta: its tab goes, and bob sees ada leave.
    await click(ada, '#rooms .leave[data-room="beta"]')
    await bob.waitForFunction(() => Array.from(document.querySelectorAll('#users li')).map((li) => li.textContent).join() === 'bob')
    expect(await ada.$$eval('#rooms .tab', (tabs) => tabs.map((t) => t.textContent))).toEqual(['#alpha'])
    expect(await ada.$$eval('#messages li.message .text', (els) => els.map((e) => e.textContent))).toEqual(['only in alpha'])
    await ada.screenshot({ path: join(OUTPUT, '11-rooms-after-leaving.png') })
  })
})
