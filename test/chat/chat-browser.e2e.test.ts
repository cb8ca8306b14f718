/// <reference lib="dom" />
/**
 * The chat page in a real browser: Debian's Chromium driven by playwright-core (nothing downloaded), two pages on
 * two different chat nodes. A message typed in one appears in the other, both see both users, markup in a name is
 * shown as text, and when the first page's node is stopped with SIGTERM the page reconnects to another node and
 * keeps chatting; when a node then dies by SIGKILL, its page finds the last node by itself. Screenshots go to
 * test/output/chat-browser/ (ignored by git).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatCluster } from '../support/chat-process.ts'
import { launchChromium } from '../support/chromium.ts'
import type { TestBrowser } from '../support/chromium.ts'

const OUTPUT = fileURLToPath(new URL('../output/chat-browser/', import.meta.url))

let cluster: ChatCluster | undefined
let browser: TestBrowser | undefined

beforeAll(() => {
  mkdirSync(OUTPUT, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await cluster?.stop()
})

async function joinRoom(page: Page, url: string, name: string, room: string): Promise<void> {
  await page.goto(url)
  await page.fill('#name', name)
  await page.fill('#room', room)
  await page.click('#join button')
  await page.waitForSelector('#status[data-state="connected"]')
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.click('#send')
}

const users = (page: Page): Promise<string[]> => page.$$eval('#users li', (lis) => lis.map((li) => li.textContent ?? ''))

describe('the chat page in Chromium', () => {
  it('chats between two nodes, shows markup as text, and reconnects when its node stops', async () => {
    cluster = await ChatCluster.start(3)
    browser = await launchChromium()
    const evil = '<b id="injected">Mallory</b>'
    const first = await browser.context.newPage()
    const second = await browser.context.newPage()
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
})
