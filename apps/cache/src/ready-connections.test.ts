import { describe, expect, it } from 'vitest'
import { ReadyConnections } from './ready-connections.ts'
import type { ReadyConnection } from './ready-connections.ts'

/** Connections that log their steps, and a pass scheduler the test runs by hand. */
function setup() {
  const log: string[] = []
  const passes: Array<() => void> = []
  const ready = new ReadyConnections(() => log.push('flush'), (pass) => passes.push(pass))
  const connection = (name: string): ReadyConnection => ({ run: () => log.push(`run ${name}`), reply: () => log.push(`reply ${name}`) })
  return { log, passes, ready, connection }
}

describe('ReadyConnections', () => {
  it('runs every ready connection, then hands their writes to the peers, then writes the replies, each once however often it was marked', () => {
    const { log, passes, ready, connection } = setup()
    const a = connection('a')
    const b = connection('b')
    ready.add(a)
    ready.add(b)
    ready.add(a)
    expect(passes).toHaveLength(1)
    expect(log).toEqual([])
    passes[0]!()
    expect(log).toEqual(['run a', 'run b', 'flush', 'reply a', 'reply b'])
  })

  it('schedules a new pass for bytes that arrive after one, with only the connections marked since', () => {
    const { log, passes, ready, connection } = setup()
    ready.add(connection('a'))
    passes[0]!()
    ready.add(connection('b'))
    expect(passes).toHaveLength(2)
    passes[1]!()
    expect(log).toEqual(['run a', 'flush', 'reply a', 'run b', 'flush', 'reply b'])
  })
})
