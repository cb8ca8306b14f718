/**
 * The remote node of the Distribution contract suite over the real transport: a node in its own process (compiled
 * packages) with the contract behaviours defined. Reports `{ name, url }` over IPC once listening.
 */
import { startNode } from '@cohort/transport'
import { defineContractBehaviours } from './contract-behaviours.mjs'

const { name, cookie, tickMs } = JSON.parse(process.argv[2])
const node = await startNode({ name, host: '127.0.0.1', port: 0, cookie, tickMs })
defineContractBehaviours(node.system)
process.send({ name: node.name, url: node.url })
process.on('disconnect', () => process.exit(0))
