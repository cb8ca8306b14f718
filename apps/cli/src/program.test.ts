import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { supervisor } from '@cohort/core'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { createProgram } from './program.ts'
import type { ProgramIO } from './program-io.ts'
import { observerChild } from '@cohort/discovery'
import type { ClusterReport } from '@cohort/discovery'
import { parseTarget } from './hidden-client.ts'
import { formatStatus } from './status-view.ts'

const cookie = 'cli-test-cookie'
const nodes: CohortNode[] = []

afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close()
})

function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = []
  const err: string[] = []
  const io: ProgramIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env,
    signals: { on: () => undefined, off: () => undefined },
    exit: () => undefined,
    entry: 'unused',
  }
  const program = createProgram(io).exitOverride()
  for (const c of program.commands) c.exitOverride()
  return {
    done: program.parseAsync(args, { from: 'user' }),
    out: () => out.join(''),
    err: () => err.join(''),
  }
}

/** A node with the observer under a root supervisor, as `cohort start` runs it. */
async function observedNode(basename: string): Promise<CohortNode> {
  const node = await startNode({ name: `${basename}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie })
  nodes.push(node)
  await node.system.start(supervisor({ name: 'root', children: [observerChild(node.system, { traffic: node })] }))
  return node
}

describe('cohort --version', () => {
  it("prints the package's version and nothing else", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    const r = run(['--version'])
    await expect(r.done).rejects.toMatchObject({ code: 'commander.version', exitCode: 0 })
    expect(r.out()).toBe(`${version}\n`)
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('cohort ping', () => {
  it('measures round trips to a node over a hidden connection', async () => {
    const a = await observedNode('a')
    const r = run(['ping', a.name, '--url', a.url, '--cookie', cookie, '--count', '2'])
    await r.done
    expect(r.out()).toMatch(/^pong from a@127\.0\.0\.1 in \d+\.\d\d ms\npong from a@127\.0\.0\.1 in \d+\.\d\d ms\n$/)
    // The CLI was hidden: the node never counted it as a member.
    expect(a.nodes()).toEqual([])
  })

  it('fails with a clear error without a cookie, and on a wrong one', async () => {
    const a = await observedNode('a')
    await expect(run(['ping', a.name, '--url', a.url]).done).rejects.toThrow(/no cookie: pass --cookie or set COHORT_COOKIE/)
    await expect(run(['ping', a.name, '--url', a.url, '--cookie', 'wrong']).done).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    await expect(run(['ping', a.name, '--url', a.url, '--cookie', cookie, '--count', 'x']).done).rejects.toThrow(/invalid --count x/)
  })
})

describe('cohort status', () => {
  it('shows every node with its connections and supervision tree, asking one node', async () => {
    const a = await observedNode('a')
    const b = await observedNode('b')
    await a.connect({ name: b.name, url: b.url })
    const r = run(['status', '--node', `${a.name}:${a.port}`], { COHORT_COOKIE: cookie })
    await r.done
    const out = r.out()
    expect(out).toMatch(/^cluster of 2 nodes seen from a@127\.0\.0\.1 at \d\d:\d\d:\d\d: 2 up, 0 down\n/)
    expect(out).toMatch(/\na@127\.0\.0\.1 +\d+ +1 +2 +0 +– +0 +0\n/)
    expect(out).toContain('  a@127.0.0.1 → b@127.0.0.1  – out / – in')
    // An idle cluster has nothing queued: the status's own requests to the peers are not counted as a backlog.
    expect(out).toMatch(/ {2}a@127\.0\.0\.1 → b@127\.0\.0\.1 .*, 0 B queued\n/)
    expect(out).toMatch(/ {2}b@127\.0\.0\.1 → a@127\.0\.0\.1 .*, 0 B queued\n/)
    expect(out).toMatch(/└─ observer <a@127\.0\.0\.1\.\d+>/)
    expect(out).toMatch(/└─ observer <b@127\.0\.0\.1\.\d+>/)
    expect(out).toContain('a@127.0.0.1: nodeup b@127.0.0.1')
    // The CLI's hidden connection is no member: neither node counts it.
    expect(a.nodes()).toEqual([b.name])
  })

  it('answers as `cohort cluster <node>` too, and prints JSON with --json', async () => {
    const a = await observedNode('a')
    const r = run(['cluster', a.name, '--url', a.url, '--cookie', cookie, '--json'])
    await r.done
    const report = JSON.parse(r.out()) as ClusterReport
    expect(report.nodes.map((n) => n.node)).toEqual(['a@127.0.0.1'])
  })

  it('redraws with --watch, showing rates from the second frame on, until SIGINT', async () => {
    const a = await observedNode('a')
    const b = await observedNode('b')
    await a.connect({ name: b.name, url: b.url })
    const listeners = new Map<string, (signal: string) => void>()
    const frames: string[] = []
    let twoFrames: () => void = () => undefined
    const gotTwo = new Promise<void>((resolve) => (twoFrames = resolve))
    const io: ProgramIO = {
      stdout: (t) => {
        if (t.startsWith('cluster of')) frames.push(t)
        if (frames.length === 2) twoFrames()
      },
      stderr: () => undefined,
      env: { COHORT_COOKIE: cookie },
      signals: { on: (signal, listener) => listeners.set(signal, listener), off: (signal) => listeners.delete(signal) },
      exit: () => undefined,
      entry: 'unused',
    }
    const done = createProgram(io).parseAsync(['status', '--node', `${a.name}:${a.port}`, '--watch', '--interval-ms', '600'], { from: 'user' })
    await gotTwo
    expect(frames[0]).toContain('  a@127.0.0.1 → b@127.0.0.1  – out / – in')
    expect(frames[1]).toMatch(/ {2}a@127\.0\.0\.1 → b@127\.0\.0\.1 {2}\d+\/s out \/ \d+\/s in/)
    const [cli] = a.hiddenNodes()
    const cliLeft = new Promise<string>((resolve) => a.system.monitorNodes((e) => e.type === 'nodedown' && e.node === cli && resolve(e.node), { hidden: true }))
    listeners.get('SIGINT')!('SIGINT')
    await done
    expect(listeners.size, 'the watch removed its signal listeners').toBe(0)
    expect(await cliLeft, 'the CLI closed its hidden connection').toBe(cli)
  })

  it('names what is missing or wrong', async () => {
    await expect(run(['status', '--cookie', cookie]).done).rejects.toThrow(/no node: pass --node name@host:port/)
    await expect(run(['status', '--node', 'a@127.0.0.1:1']).done).rejects.toThrow(/no cookie/)
    await expect(run(['status', '--node', 'a@127.0.0.1:1', '--cookie', cookie, '--interval-ms', '5']).done).rejects.toThrow(/invalid --interval-ms 5/)
    // Past a day: Node's timer would fire a delay past 24.8 days after 1 ms, and --watch would redraw without pause.
    await expect(run(['status', '--node', 'a@127.0.0.1:1', '--cookie', cookie, '--interval-ms', '3000000000']).done).rejects.toThrow(
      'invalid --interval-ms 3000000000: expected a whole number of milliseconds from 100 to 86400000 (a day)',
    )
  })
})

describe('formatStatus', () => {
  it('lists nodes that left with when and why, and the latest events in order', () => {
    const report: ClusterReport = {
      observedFrom: 'a@h',
      at: Date.UTC(2026, 0, 1, 12, 0, 5),
      nodes: [],
      silent: [{ node: 's@h', error: 'noproc' }],
      down: [{ node: 'b@h', since: Date.UTC(2026, 0, 1, 12, 0, 1), reason: 'noconnection' }],
    }
    const out = formatStatus(report)
    expect(out).toContain('cluster of 2 nodes seen from a@h at 12:00:05: 0 up, 1 down, 1 not answering')
    expect(out).toMatch(/\ns@h +not answering: noproc\n/)
    expect(out).toMatch(/\nb@h +DOWN since 12:00:01 \(noconnection\)\n/)
  })
})

describe('cohort --help', () => {
  it('lists the commands', async () => {
    const r = run(['--help'])
    await expect(r.done).rejects.toMatchObject({ code: 'commander.helpDisplayed' })
    for (const command of ['start', 'status|cluster', 'ping', 'doctor', 'demo', 'bench']) expect(r.out()).toContain(command)
  })

  it('names an unknown command', async () => {
    const r = run(['frobnicate'])
    await expect(r.done).rejects.toMatchObject({ code: 'commander.unknownCommand' })
    expect(r.err()).toContain("unknown command 'frobnicate'")
  })
})

describe('cohort start', () => {
  it('names the flag the user typed in a configuration error, and the variable it sets', async () => {
    await expect(run(['start', '--port', '43x'], { COHORT_COOKIE: cookie }).done).rejects.toThrow(
      'invalid --port (COHORT_PORT): expected an integer in 0..65535, got "43x"',
    )
    // Set in the environment, the variable is named.
    await expect(run(['start'], { COHORT_COOKIE: cookie, COHORT_PORT: '43x' }).done).rejects.toThrow('invalid COHORT_PORT: expected')
  })
})

describe('parseTarget', () => {
  it('derives the URL of a local demo node from its name', () => {
    expect(parseTarget('demo-4371@127.0.0.1', undefined)).toEqual({ name: 'demo-4371@127.0.0.1', url: 'ws://127.0.0.1:4371' })
    expect(parseTarget('demo-4371@::1', undefined).url).toBe('ws://[::1]:4371')
    expect(() => parseTarget('chat@10.0.0.5', undefined)).toThrow(/pass --url/)
  })

  it('reads name@host:port, the node name plus the port it listens on', () => {
    expect(parseTarget('chat@10.0.0.5:4370', undefined)).toEqual({ name: 'chat@10.0.0.5', url: 'ws://10.0.0.5:4370' })
    expect(parseTarget('chat@[fd00::5]:4370', undefined)).toEqual({ name: 'chat@fd00::5', url: 'ws://[fd00::5]:4370' })
  })
})
