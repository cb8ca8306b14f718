import { describe, expect, it } from 'vitest'
import { describeGeneratorFloor } from './report.ts'
import type { ScenarioResult } from './report.ts'

const figure = (extra: Record<string, unknown>): ScenarioResult => ({ name: 'x.p99.load90', metric: 'latency', unit: 'µs', baseline: null, ratio: null, skipped: null, notes: '', extra })

describe('describeGeneratorFloor', () => {
  it("prints the generator's floor and the measured loop's send lag", () => {
    expect(describeGeneratorFloor(figure({ generatorFloor: 1250, sendLagP99: 3000 }))).toBe('generator alone 1250 µs, send lag p99 3000 µs')
  })

  it('says why there is no floor when the generator could not keep up alone', () => {
    const text = 'overloaded: 3600/s offered, its calls 1.1 s late after 1.2 s, so it stopped'
    expect(describeGeneratorFloor(figure({ generatorFloorOverloaded: text, sendLagP99: 3000 }))).toBe(`generator alone ${text}, send lag p99 3000 µs`)
  })

  it('prints nothing for a figure without a floor', () => {
    expect(describeGeneratorFloor(figure({}))).toBe('')
  })
})
