import { afterEach, describe, expect, it } from 'vitest'
import { supervisor } from '@cohort/core'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { createProgram } from './program.ts'
import type { ProgramIO } from './program.ts'
import { OBSERVER_NAME, observer } from './observer.ts'
import { parseTarget } from './hidden-client.ts'

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
  await node.system.start(supervisor({ name: 'root', children: [{ id: 'observer', start: observer(node.system), name: OBSERVER_NAME }] }))
  return node
}

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

describe('cohort cluster', () => {
  it('shows every node with its connections and supervision tree', async () => {
    const a = await observedNode('a')
    const b = await observedNode('b')
    await a.connect({ name: b.name, url: b.url })
    const r = run(['cluster', a.name, '--url', a.url], { COHORT_COOKIE: cookie })
    await r.done
    const out = r.out()
    expect(out).toContain('cluster of 2 nodes')
    expect(out).toContain('a@127.0.0.1\n  connected to: b@127.0.0.1')
    expect(out).toMatch(/└─ observer <a@127\.0\.0\.1\.\d+>/)
    // b's URL cannot be told from its name; it is reached on demand through what a knows, or reported unreachable.
    expect(out).toMatch(/b@127\.0\.0\.1/)
  })
})

describe('cohort --help', () => {
  it('lists the commands', async () => {
    const r = run(['--help'])
    await expect(r.done).rejects.toMatchObject({ code: 'commander.helpDisplayed' })
    for (const command of ['start', 'cluster', 'ping', 'doctor', 'demo', 'bench']) expect(r.out()).toContain(command)
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
})
