import { describe, expect, it } from 'vitest'
import { changedBesidesRunOutputs } from './machine.ts'

describe('changedBesidesRunOutputs', () => {
  it('calls a clean checkout clean', () => {
    expect(changedBesidesRunOutputs('')).toBe(false)
  })

  it('does not count what the run before rewrote', () => {
    const status = [' M bench/RESULTS.md', ' M bench/charts/latency-by-load.svg', ' M bench/results/latest.json', ''].join('\n')
    expect(changedBesidesRunOutputs(status)).toBe(false)
  })

  it('counts a change to code, beside the outputs or alone', () => {
    expect(changedBesidesRunOutputs(' M bench/RESULTS.md\n M packages/core/src/pid.ts\n')).toBe(true)
    expect(changedBesidesRunOutputs('M  bench/src/machine.ts\n')).toBe(true)
  })

  it('counts a file beside the outputs whose name only starts like one', () => {
    expect(changedBesidesRunOutputs(' M bench/RESULTS.md.orig\n')).toBe(true)
    expect(changedBesidesRunOutputs(' M bench/results-markdown.ts\n')).toBe(true)
  })

  it('counts a rename by both its names', () => {
    expect(changedBesidesRunOutputs('R  bench/results/a.json -> bench/results/b.json\n')).toBe(false)
    expect(changedBesidesRunOutputs('R  bench/src/old.ts -> bench/results/old.json\n')).toBe(true)
    expect(changedBesidesRunOutputs('R  bench/results/a.json -> bench/src/a.ts\n')).toBe(true)
  })
})
