import { RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
import { describe, expect, it } from 'vitest'
import { nodeFlags } from '../runner.ts'
import { inheritedNodeFlags } from './node-flags.ts'

describe('the Node flags of a run', () => {
  it('starts scenario processes with the recommended flags unless the run asks for Node defaults', () => {
    expect(nodeFlags({})).toEqual([...RECOMMENDED_NODE_FLAGS])
    expect(nodeFlags({ nodeDefaults: true })).toEqual([])
  })

  it('passes on to helpers the recommended flags its own process started with, and no other flag', () => {
    const saved = [...process.execArgv]
    try {
      process.execArgv.splice(0, process.execArgv.length, '--expose-gc', ...RECOMMENDED_NODE_FLAGS, '--cpu-prof')
      expect(inheritedNodeFlags()).toEqual([...RECOMMENDED_NODE_FLAGS])
      process.execArgv.splice(0, process.execArgv.length, '--expose-gc')
      expect(inheritedNodeFlags()).toEqual([])
    } finally {
      process.execArgv.splice(0, process.execArgv.length, ...saved)
    }
  })
})
