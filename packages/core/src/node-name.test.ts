import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { internNodeName } from './node-names.ts'

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/**
 * String identity is invisible to JavaScript, so this runs V8's own check (`%IsSameHeapObject`, behind
 * --allow-natives-syntax) in a child process on the compiled package, which `pnpm test` builds first.
 */
function inChildWithNatives(body: string): string {
  const script = `const core = await import(${JSON.stringify(DIST_INDEX)});\n${body}`
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
      const one = core.internNodeName('peer@127.0.0.1');
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
