import { describe, expect, it } from 'vitest'
import { runStrategy } from '../../test-support/run-strategy.ts'
import { staticPeers } from './static-peers.ts'

describe('staticPeers', () => {
  it('reports the list once, at start', async () => {
    const peers = [
      { name: 'chat@10.0.0.5', url: 'ws://10.0.0.5:4370' },
      { name: 'chat@fd00::6', url: 'wss://[fd00::6]:4370' },
    ]
    const r = runStrategy(staticPeers(peers))
    expect(r.updates).toEqual([{ peers }])
    await r.run.stop()
  })

  it('rejects a peer without a node name or ws URL, naming the entry', () => {
    expect(() => staticPeers([{ name: 'chat', url: 'ws://h:1' }])).toThrow(/invalid option peers\[0\]\.name: "chat"/)
    expect(() => staticPeers([{ name: 'chat@h', url: 'http://h:1' }])).toThrow(/invalid option peers\[0\]\.url/)
  })
})
