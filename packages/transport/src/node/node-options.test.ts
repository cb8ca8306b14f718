/** Unit tests of resolveNodeOptions: defaults and validation messages. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_NODE_OPTIONS, resolveNodeOptions } from './node-options.ts'

const base = { name: 'a@127.0.0.1', cookie: 'secret' }

function invalid(input: object): { option: string; value: unknown; message: string } {
  try {
    resolveNodeOptions({ ...base, ...input } as never)
  } catch (error) {
    expect(error).toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION' })
    return error as never
  }
  throw new Error('expected InvalidOptionError')
}

describe('resolveNodeOptions', () => {
  it('fills every default from the frozen defaults', () => {
    const o = resolveNodeOptions(base)
    expect(Object.isFrozen(DEFAULT_NODE_OPTIONS)).toBe(true)
    expect(o).toMatchObject({ ...DEFAULT_NODE_OPTIONS, name: base.name, nameHost: '127.0.0.1', url: undefined, tls: undefined })
    expect(o.tickMs).toBe(15_000)
    expect(o.maxMessageBytes).toBe(8 * 1024 * 1024)
  })

  it('names the option and the value it refuses', () => {
    expect(invalid({ name: 'nohost' })).toMatchObject({ option: 'name', value: 'nohost' })
    expect(invalid({ port: 70000 })).toMatchObject({ option: 'port', value: 70000 })
    expect(invalid({ tickMs: 10 })).toMatchObject({ option: 'tickMs', value: 10 })
    expect(invalid({ url: 'http://x:1' })).toMatchObject({ option: 'url' })
    expect(invalid({ fragmentBytes: 8 * 1024 * 1024 })).toMatchObject({ option: 'fragmentBytes' })
    expect(invalid({ highWaterMarkBytes: 100, lowWaterMarkBytes: 100 })).toMatchObject({ option: 'lowWaterMarkBytes', value: 100 })
    expect(invalid({ hidden: 'yes' })).toMatchObject({ option: 'hidden', value: 'yes' })
    expect(invalid({ maskFrames: 1 })).toMatchObject({ option: 'maskFrames', value: 1 })
    expect(invalid({ readInPlace: 'yes' })).toMatchObject({ option: 'readInPlace', value: 'yes' })
    expect(invalid({ maxPendingHandshakes: 0 })).toMatchObject({ option: 'maxPendingHandshakes' })
    expect(invalid({ creation: -1 })).toMatchObject({ option: 'creation' })
    expect(invalid({ busyWaitMs: -1 })).toMatchObject({ option: 'busyWaitMs', value: -1 })
    expect(invalid({ busyWaitMs: 0.5 })).toMatchObject({ option: 'busyWaitMs', value: 0.5 })
    expect(invalid({ busyWaitMs: 1001 })).toMatchObject({ option: 'busyWaitMs', value: 1001 })
  })

  it('never puts the cookie in the error', () => {
    const e = invalid({ cookie: '' })
    expect(e.option).toBe('cookie')
    const e2 = invalid({ cookie: 1234567 })
    expect(e2.message).not.toContain('1234567')
  })
})
