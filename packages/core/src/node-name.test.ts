import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { internNodeName, isNodeBasename, isNodeName, nodeName, parseNodeName } from './node-name.ts'

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const DIST_DISTRIBUTION = fileURLToPath(new URL('../dist/distribution/index.js', import.meta.url))

/**
 * String identity is invisible to JavaScript, so this runs V8's own check (`%IsSameHeapObject`, behind
 * --allow-natives-syntax) in a child process on the compiled package, which `pnpm test` builds first.
 */
function inChildWithNatives(body: string): string {
  const script = `const core = await import(${JSON.stringify(DIST_INDEX)});\nconst dist = await import(${JSON.stringify(DIST_DISTRIBUTION)});\n${body}`
  return execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim()
}

describe('node names', () => {
  it('returns a string equal to the name', () => {
    expect(internNodeName('chat@10.0.0.5')).toBe('chat@10.0.0.5')
    expect(internNodeName('')).toBe('')
    expect(internNodeName('ünïcödé@host')).toBe('ünïcödé@host')
  })

  it('gives every pid decoded from a large frame the one string of its node', () => {
    // A frame of many strings is decoded by msgpackr's native extraction, which hands out slices of one string.
    const out = inChildWithNatives(`
      const codec = core.createMessageCodec();
      const frame = [];
      for (let i = 0; i < 50; i++) frame.push('text number ' + i, new core.Pid('peer@127.0.0.1', i, 7));
      const decoded = codec.decode(codec.encode(frame));
      const nodes = decoded.filter((v) => v instanceof core.Pid).map((p) => p.node);
      const one = dist.internNodeName('peer@127.0.0.1');
      console.log(JSON.stringify({
        sameString: nodes.every((n) => %IsSameHeapObject(n, one)),
        count: nodes.length,
      }));
    `)
    const result = JSON.parse(out) as { sameString: boolean; count: number }
    expect(result.count).toBe(50)
    expect(result.sameString).toBe(true)
  })
})

describe('node name grammar', () => {
  it('splits app@host, including IPv6 hosts', () => {
    expect(parseNodeName('chat@10.0.0.5')).toEqual({ app: 'chat', host: '10.0.0.5' })
    expect(parseNodeName('cache-1@pod.ns.svc')).toEqual({ app: 'cache-1', host: 'pod.ns.svc' })
    expect(parseNodeName('a@[::1]')).toEqual({ app: 'a', host: '[::1]' })
  })

  it('refuses names without app or host, with spaces, or too long', () => {
    for (const bad of ['chat', '@host', 'chat@', 'a b@h', 'a@h@i', 7, `${'a'.repeat(300)}@h`]) {
      expect(isNodeName(bad)).toBe(false)
      expect(() => parseNodeName(bad, 'peer.name')).toThrow(expect.objectContaining({ option: 'peer.name', code: 'COHORT_ERR_INVALID_OPTION' }))
    }
  })

  it('accepts as a basename what may start a name, and builds the name from it', () => {
    expect(isNodeBasename('chat')).toBe(true)
    expect(isNodeBasename('-chat')).toBe(false)
    expect(isNodeBasename('')).toBe(false)
    expect(nodeName('chat', '10.0.0.5')).toBe('chat@10.0.0.5')
  })
})
