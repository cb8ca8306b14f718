import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
import { describe, expect, it } from 'vitest'
import { nodeProcessArgs, nodeProcessEnv } from './node-process.ts'

describe('node-process', () => {
  it('puts the recommended Node flags before the script and its arguments', () => {
    expect(nodeProcessArgs('/app/main.js', ['start', '--demo'])).toEqual([...RECOMMENDED_NODE_FLAGS, '/app/main.js', 'start', '--demo'])
  })

  it('adds the recommended allocator setting to the environment, and keeps one the user set', () => {
    expect(nodeProcessEnv({ LOG_LEVEL: 'warn' })).toEqual({ LOG_LEVEL: 'warn', GLIBC_TUNABLES: RECOMMENDED_GLIBC_TUNABLES })
    const own = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }
    expect(nodeProcessEnv(own)).toEqual(own)
  })
})
