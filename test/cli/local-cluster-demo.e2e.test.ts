/**
 * `pnpm demo` as a person runs it, through pnpm: `cohort demo` starts three chat and three cache nodes as separate
 * processes, prints their URLs, and every URL answers (chat pages, the cache's HTTP API and Redis protocol across
 * nodes, the observer); every port listens on 127.0.0.1 only. Then the observer page in Debian's Chromium
 * (playwright-core, nothing downloaded): a chat node killed with SIGKILL is marked down with its reason while the
 * others stay up, and is marked up again when the demo has started it again. Screenshots go to
 * test/output/observer-browser/ (ignored by git). Last, Ctrl-C (SIGINT to the whole process group, as a terminal
 * sends it, so pnpm forwards a second one) stops every node gracefully and `pnpm demo` exits 0 without reporting a
 * failure. Waits are on the demo's output and the page's state, never on sleeps.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { freePortRange } from '../support/free-ports.ts'
import { waitUntil } from '../support/wait-until.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const OUTPUT = fileURLToPath(new URL('../output/observer-browser/', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

interface DemoNode {
  app: 'chat' | 'cache'
  name: string
  pid: number
  url: string
  redisPort: number | undefined
}

let demo: ChildProcess | undefined
let output = ''
let waiters: (() => void)[] = []
let nodes: DemoNode[] = []
let browser: BrowserContext | undefined
let profile: string | undefined

/** Resolves once the demo's output matches `pattern` after `from`; rejects if the demo exits first. */
async function waitForOutput(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(output.slice(from))
    if (match !== null) return match
    if (demo?.exitCode !== null) throw new Error(`the demo exited (${demo?.exitCode}) before printing ${pattern}:\n${output}`)
    await new Promise<void>((resolve) => waiters.push(resolve))
  }
}

/** What Ctrl-C in a terminal does: SIGINT to every process of the foreground group (pnpm, its shell, the demo). */
function pressCtrlC(): void {
  process.kill(-demo!.pid!, 'SIGINT')
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package; this suite drives it`)
  if (spawnSync('redis-cli', ['--version']).error !== undefined) throw new Error('redis-cli is missing: install the Debian package redis-tools')
  mkdirSync(OUTPUT, { recursive: true })
  // Below the kernel's ephemeral range: fixed ports inside it (this suite once used 47370, 48080 and 46380) can be
  // taken at any moment as the local port of another suite's outgoing connection. 13 ports each: three chat nodes,
  // then the cache's three from ten above the first.
  const [basePort] = await freePortRange(13)
  const [httpPort] = await freePortRange(13)
  const [redisPort] = await freePortRange(3)
  const ports = ['--base-port', String(basePort), '--http-port', String(httpPort), '--redis-port', String(redisPort)]
  // Its own process group, as a terminal's foreground job: Ctrl-C below is a SIGINT to the group.
  demo = spawn('pnpm', ['demo', ...ports, '--restart-delay-ms', '6000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const collect = (d: Buffer): void => {
    output += d.toString()
    for (const w of waiters.splice(0)) w()
  }
  demo.stdout!.on('data', collect)
  demo.stderr!.on('data', collect)
  demo.once('exit', () => {
    for (const w of waiters.splice(0)) w()
  })
  await new Promise<void>((resolve, reject) => {
    demo!.once('spawn', resolve)
    demo!.once('error', (error) => reject(new Error(`pnpm, which runs the demo as the README says, did not start: ${error.message}`)))
  })
  await waitForOutput(/Ctrl-C stops every node gracefully\./)
  nodes = [...output.matchAll(/^ {2}(chat|cache) +(\S+@\S+) +pid (\d+) +(http:\/\/\S+\/)(?: +redis-cli -p (\d+))?$/gm)].map((m) => ({
    app: m[1] as 'chat' | 'cache',
    name: m[2]!,
    pid: Number(m[3]),
    url: m[4]!,
    redisPort: m[5] === undefined ? undefined : Number(m[5]),
  }))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  if (demo?.pid !== undefined && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo!.once('exit', resolve))
    pressCtrlC()
    await exited
  }
  // Whatever a failed run left behind.
  for (const n of nodes) if (alive(n.pid)) process.kill(n.pid, 'SIGKILL')
})

describe('pnpm demo', () => {
  it('starts three chat and three cache nodes as separate processes and prints URLs that answer', async () => {
    onTestFailed(() => console.error(output))
    expect(nodes.map((n) => n.app)).toEqual(['chat', 'chat', 'chat', 'cache', 'cache', 'cache'])
    expect(new Set(nodes.map((n) => n.pid)).size).toBe(6)
    for (const n of nodes) expect(alive(n.pid), `${n.name} runs as its own process`).toBe(true)
    const chat = nodes.filter((n) => n.app === 'chat')
    const cache = nodes.filter((n) => n.app === 'cache')
    expect(output).toContain(`Start here: ${chat[0]!.url}`)
    for (const n of chat) {
      const page = await fetch(n.url)
      expect(page.status, n.url).toBe(200)
      expect(await page.text()).toContain('<html')
    }
    for (const n of nodes) expect((await fetch(`${n.url}readyz`)).status, `${n.name} is ready`).toBe(200)
    // The cache replicates a write on one node to the others; the Redis protocol reads it on another.
    expect((await fetch(`${cache[0]!.url}kv/demo-key`, { method: 'PUT', body: 'hello' })).status).toBeLessThan(300)
    // Replication is asynchronous and announces nothing: a bounded wait rather than a fixed number of tries, which
    // a loaded machine could use up before the write arrives.
    await waitUntil('cache node 2 to read the key written on node 1', async () => (await fetch(`${cache[1]!.url}kv/demo-key`)).text(), (v) => v === 'hello')
    const get = spawnSync('redis-cli', ['-p', String(cache[2]!.redisPort), 'GET', 'demo-key'], { encoding: 'utf8', timeout: 5000 })
    expect(get.stdout.trim()).toBe('hello')
    // Each app is its own cluster, seen whole from any of its nodes.
    // (The observer gathers its report from its peers: read until it holds every node, bounded.)
    for (const group of [chat, cache]) {
      const whole = group.map((n) => n.name).sort()
      const report = await waitUntil(
        `the observer of ${group[1]!.name} to report its whole cluster`,
        async () => (await (await fetch(`${group[1]!.url}observer/cluster.json`)).json()) as { nodes: { node: string }[] },
        (r) => r.nodes.length === whole.length,
      )
      expect(report.nodes.map((n) => n.node)).toEqual(whole)
    }
  })

  it('starts every node as the deployment does: the recommended Node flags and allocator setting', () => {
    for (const n of nodes) {
      // What the kernel holds for the running process: its arguments and its environment, NUL-separated.
      const argv = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
      expect(argv.slice(1, 1 + RECOMMENDED_NODE_FLAGS.length), `${n.name}: ${argv.join(' ')}`).toEqual([...RECOMMENDED_NODE_FLAGS])
      expect(argv[1 + RECOMMENDED_NODE_FLAGS.length], n.name).toMatch(new RegExp(`apps/${n.app}/dist/main\\.js$`))
      // glibc parses GLIBC_TUNABLES in place at start, cutting it at each ':' with a NUL, so each tunable shows there
      // as an entry of its own.
      const env = readFileSync(`/proc/${n.pid}/environ`, 'utf8').split('\0')
      const [first, ...rest] = RECOMMENDED_GLIBC_TUNABLES.split(':')
      expect(env, `${n.name}: GLIBC_TUNABLES`).toContain(`GLIBC_TUNABLES=${first}`)
      for (const tunable of rest) expect(env, n.name).toContain(tunable)
    }
  })

  it('listens on the loopback address only: the pages, the cache API, the Redis ports and the cluster ports', () => {
    // `ss` lists each listening TCP socket with the processes holding it (`users:(("node",pid=…,fd=…))`).
    const listening = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    if (listening.error !== undefined) throw new Error(`ss is missing: install the Debian package iproute2 (${listening.error.message})`)
    for (const n of nodes) {
      const addresses = listening.stdout
        .split('\n')
        .filter((line) => line.includes(`pid=${n.pid},`))
        .map((line) => line.trim().split(/\s+/)[3]!)
      // A chat node: its cluster port and its HTTP port (pages, WebSocket, probes); a cache node: also Redis.
      expect(addresses.length, `${n.name} listens: ${addresses.join(' ')}`).toBe(n.app === 'chat' ? 2 : 3)
      for (const address of addresses) expect(address, n.name).toMatch(/^127\.0\.0\.1:\d+$/)
    }
  })

  it('shows in the observer page a killed node go down and come back, while the others stay up', async () => {
    onTestFailed(() => console.error(output))
    profile = mkdtempSync(join(tmpdir(), 'cohort-observer-chromium-'))
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true })
    const page = await browser.newPage()
    const [first, second, victim] = nodes.filter((n) => n.app === 'chat') as [DemoNode, DemoNode, DemoNode]
    await page.goto(`${first.url}observer`)
    const card = (n: DemoNode) => page.locator(`.node[data-node="${n.name}"]`)
    for (const n of [first, second, victim]) await card(n).and(page.locator('[data-status="up"]')).waitFor()
    await page.locator('#connection[data-state="live"]').waitFor()
    await page.locator(`td[data-from="${first.name}"][data-to="${victim.name}"]`).waitFor()
    await page.screenshot({ path: join(OUTPUT, '1-cluster-up.png'), fullPage: true })

    const mark = output.length
    process.kill(victim.pid, 'SIGKILL')
    await card(victim).and(page.locator('[data-status="down"]')).waitFor({ timeout: 15_000 })
    expect(await card(victim).textContent()).toContain('noconnection')
    for (const n of [first, second]) expect(await card(n).getAttribute('data-status')).toBe('up')
    await page.locator('#events li.nodedown', { hasText: victim.name }).first().waitFor()
    await page.screenshot({ path: join(OUTPUT, '2-node-killed.png'), fullPage: true })

    const back = await waitForOutput(new RegExp(`\\+ ${victim.name.replace(/\./g, '\\.')} is back \\(pid (\\d+)\\)`), mark)
    await card(victim).and(page.locator('[data-status="up"]')).waitFor({ timeout: 15_000 })
    expect(Number(back[1])).not.toBe(victim.pid)
    victim.pid = Number(back[1])
    await page.locator('#events li.nodeup', { hasText: victim.name }).first().waitFor()
    expect(await page.locator('#summary').textContent()).toBe('3 up, 0 down')
    await page.screenshot({ path: join(OUTPUT, '3-node-back.png'), fullPage: true })
  })

  it('stops every node gracefully on Ctrl-C and exits 0, pnpm reporting no failure', async () => {
    onTestFailed(() => console.error(output))
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)))
    pressCtrlC()
    expect(await exited).toBe(0)
    expect(output).not.toContain('ELIFECYCLE')
    for (const n of nodes) {
      expect(output).toContain(`  ${n.name} stopped gracefully`)
      expect(alive(n.pid), `${n.name} (pid ${n.pid}) is gone`).toBe(false)
    }
    expect(output).toMatch(/every node stopped gracefully\.\n$/)
  })
})
