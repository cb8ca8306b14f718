/**
 * The registry's promises to the scenario processes: a scenario that reports under the name its job passes must be
 * passed the name of the figure the registry expects, or the figure is reported as missing in every run.
 */
import { describe, expect, it } from 'vitest'
import { SCENARIOS } from './registry.ts'

describe('the registry', () => {
  it('passes every wire baseline the name of its figure', () => {
    const wire = SCENARIOS.filter((job) => job.file === 'baselines/wire-oneway.bench.js')
    // ws, net and net-onread for the sizes, ws and net for the object.
    expect(wire.length).toBeGreaterThan(10)
    for (const job of wire) {
      const params = job.params?.({ quick: false, results: new Map() })
      expect({ job: job.id, figure: params?.['figure'] }).toEqual({ job: job.id, figure: job.figures[0]?.name })
    }
  })
})
