/**
 * A cache node started with `CACHE_PASSWORD`, against real clients: redis-cli (Debian's redis-tools) and ioredis
 * authenticate as they do with Redis's `requirepass`, a connection that has not is refused every command (the GET and
 * SET fast path included) and stores nothing, and the HTTP API wants the password (a bearer token, or Basic
 * credentials as a browser sends them) everywhere but the probes and the metrics.
 */
import { Buffer } from 'node:buffer'
import { execFile, execFileSync } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { startCacheNode } from './support/cache-process.ts'
import type { CacheNode } from './support/cache-process.ts'

const run = promisify(execFile)
const PASSWORD = 'correct horse battery staple'

beforeAll(() => {
  try {
    execFileSync('sh', ['-c', 'command -v redis-cli'], { stdio: 'ignore' })
  } catch {
    throw new Error("redis-cli is missing: install Debian's redis-tools package (apt-get install redis-tools) to run these tests")
  }
})

/** A node with the password (the support module stops it after the test). */
function locked(): Promise<CacheNode> {
  return startCacheNode({ name: 'locked@127.0.0.1', env: { CACHE_PASSWORD: PASSWORD } })
}

async function cli(node: CacheNode, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('redis-cli', ['-h', node.host, '-p', String(node.redisPort), ...args])
  return (stdout + stderr).trimEnd()
}

/** Sends `bytes` on a fresh connection and resolves with what it read once `expected` replies (lines) arrived. */
function raw(node: CacheNode, bytes: string, lines: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(node.redisPort, node.host)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
      if (text.split('\r\n').length > lines) {
        socket.destroy()
        resolve(text)
      }
    })
    socket.on('error', reject)
    socket.write(bytes)
  })
}

describe('a cache node with CACHE_PASSWORD', () => {
  it('refuses every command before AUTH, the GET and SET fast path included, and stores nothing', async () => {
    const node = await locked()
    // RESP arrays, as clients send them: the path GET and SET take when authenticated.
    const reply = await raw(node, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n', 3)
    expect(reply).toBe('-NOAUTH Authentication required.\r\n'.repeat(3))
    expect(await cli(node, 'GET', 'k')).toBe('NOAUTH Authentication required.')
    expect(await cli(node, '-a', PASSWORD, '--no-auth-warning', 'EXISTS', 'k')).toBe('0')
  })

  it('serves redis-cli with -a, and tells it when the password is wrong', async () => {
    const node = await locked()
    expect(await cli(node, '-a', PASSWORD, '--no-auth-warning', 'SET', 'greeting', 'hello')).toBe('OK')
    expect(await cli(node, '-a', PASSWORD, '--no-auth-warning', 'GET', 'greeting')).toBe('hello')
    expect(await cli(node, '--user', 'default', '--pass', PASSWORD, '--no-auth-warning', 'GET', 'greeting')).toBe('hello')
    const wrong = await cli(node, '-a', 'wrong', '--no-auth-warning', 'GET', 'greeting')
    expect(wrong).toContain('WRONGPASS invalid username-password pair or user is disabled.')
    expect(wrong).not.toContain('hello')
  })

  it('serves ioredis given the password, and refuses it without', async () => {
    const node = await locked()
    const good = new Redis({ host: node.host, port: node.redisPort, password: PASSWORD, maxRetriesPerRequest: 0 })
    try {
      expect(await good.set('io', 'redis')).toBe('OK')
      expect(await good.get('io')).toBe('redis')
    } finally {
      good.disconnect()
    }
    // Without its ready check (an INFO, which would be refused the same way before the first command).
    const anonymous = new Redis({ host: node.host, port: node.redisPort, maxRetriesPerRequest: 0, lazyConnect: true, enableReadyCheck: false })
    try {
      await anonymous.connect()
      await expect(anonymous.get('io')).rejects.toThrow(/NOAUTH Authentication required/)
    } finally {
      anonymous.disconnect()
    }
  })

  it('wants the password as a bearer token on the HTTP API, but not on the probes and the metrics', async () => {
    const node = await locked()
    const put = await fetch(`${node.http}/kv/web`, { method: 'PUT', body: 'page' })
    expect(put.status).toBe(401)
    // Basic first, so that a browser asks for the password (the observer page); Bearer for programs.
    expect(put.headers.get('www-authenticate')).toBe('Basic realm="cohort-cache", charset="UTF-8", Bearer realm="cohort-cache"') // two lines, joined
    expect(await put.text()).toBe('missing or wrong password: send Authorization: Bearer <CACHE_PASSWORD>, or Basic credentials\n')
    expect((await fetch(`${node.http}/kv/web`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    for (const path of ['/kv', '/cluster', '/observer']) expect((await fetch(`${node.http}${path}`)).status, path).toBe(401)

    const auth = { authorization: `Bearer ${PASSWORD}` }
    expect((await fetch(`${node.http}/kv/web`, { method: 'PUT', body: 'page', headers: auth })).status).toBe(204)
    const get = await fetch(`${node.http}/kv/web`, { headers: auth })
    expect([get.status, await get.text()]).toEqual([200, 'page'])
    expect(await cli(node, '-a', PASSWORD, '--no-auth-warning', 'GET', 'web')).toBe('page')
    expect((await fetch(`${node.http}/observer`, { headers: auth })).status).toBe(200)
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
    expect((await fetch(`${node.http}/observer`, { headers: basic('default', PASSWORD) })).status).toBe(200)
    expect((await fetch(`${node.http}/kv/web`, { headers: basic('anyone', PASSWORD) })).status).toBe(200)
    expect((await fetch(`${node.http}/kv/web`, { headers: basic('default', 'wrong') })).status).toBe(401)
    expect((await fetch(`${node.http}/kv/web`, { headers: { authorization: 'Basic not-base64-and-no-colon' } })).status).toBe(401)

    for (const path of ['/livez', '/readyz', '/metrics']) expect((await fetch(`${node.http}${path}`)).status, path).toBe(200)
  })

  it('shows the observer page in a browser given the password at the Basic challenge, and not with a wrong one', async () => {
    const node = await locked()
    await using browser = await launchChromium({ httpCredentials: { username: 'default', password: PASSWORD } })
    const page = await browser.context.newPage()
    expect((await page.goto(`${node.http}/observer`))?.status()).toBe(200)
    // The page's own requests for the cluster's state carry the credentials too: it goes live and shows the node.
    await page.locator('#connection[data-state="live"]').waitFor()
    await page.locator(`.node[data-node="${node.name}"][data-status="up"]`).waitFor()

    // A wrong password gets the refusal, not the page.
    await using stranger = await launchChromium({ httpCredentials: { username: 'default', password: 'guess' } })
    const refused = await (await stranger.context.newPage()).goto(`${node.http}/observer`)
    expect([refused?.status(), await refused?.text()]).toEqual([401, 'missing or wrong password: send Authorization: Bearer <CACHE_PASSWORD>, or Basic credentials\n'])
  })
})
