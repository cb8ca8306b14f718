import { createNetwork } from '@cohort/core/testing'
import { defineContractBehaviours } from './contract-behaviours.mjs'
import { distributionContract } from './distribution.contract.ts'

distributionContract('in-memory network', async () => {
  const net = createNetwork()
  const a = net.addNode('a@contract')
  const b = net.addNode('b@contract')
  defineContractBehaviours(b)
  return {
    a,
    b: b.node,
    killB: () => net.kill('b@contract'),
    waitFor: (predicate) => net.waitFor(predicate),
    close: () => net[Symbol.asyncDispose](),
  }
})
