import { describe, expect, it } from 'vitest'
import { readJsonLines, readText } from './json-lines.ts'

async function* chunks(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p)
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('readJsonLines', () => {
  it('yields one event per line across arbitrary chunk boundaries, including split UTF-8', async () => {
    const euro = new TextEncoder().encode('{"a":"€"}\n')
    async function* bytes() {
      yield new TextEncoder().encode('{"type":"ADD')
      yield new TextEncoder().encode('ED"}\n\n{"b":1}\n')
      yield euro.slice(0, 7)
      yield euro.slice(7)
      yield new TextEncoder().encode('{"last":true}')
    }
    expect(await collect(readJsonLines(bytes(), 1024))).toEqual([{ type: 'ADDED' }, { b: 1 }, { a: '€' }, { last: true }])
  })

  it('fails on a line longer than the bound', async () => {
    await expect(collect(readJsonLines(chunks('x'.repeat(20)), 10))).rejects.toThrow('watch event larger than 10 bytes')
  })

  it('reads a bounded body as text', async () => {
    expect(await readText(chunks('ab', 'c'), 3)).toBe('abc')
    await expect(readText(chunks('ab', 'cd'), 3)).rejects.toThrow('response larger than 3 bytes')
  })
})
