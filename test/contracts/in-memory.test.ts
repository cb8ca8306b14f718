import { createNetwork } from '@cohort/core/testing'
import { defineContractBehaviours } from './contract-behaviours.mjs'
import { distributionContract } from './distribution.contract.ts'
import type { ContractCluster } from './distribution.contract.ts'

for (const compactCalls of [true, false]) {
  distributionContract(`in-memory network${compactCalls ? '' : ' (calls as monitor, request, reply, demonitor)'}`, () => cluster(compactCalls))
}

async function cluster(compactCalls: boolean): Promise<ContractCluster> {
  const net = createNetwork({ compactCalls })
  const a = net.addNode('a@contract')
  const b = net.addNode('b@contract')
  defineContractBehaviours(b)
  return {
    a,
    b: b.node,
    compactCalls,
    killB: () => net.kill('b@contract'),
    waitFor: (predicate) => net.waitFor(predicate),
    close: () => net[Symbol.asyncDispose](),
  }
}
