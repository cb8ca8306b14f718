/**
 * The server facts that command tests run with: what `INFO` and `CLIENT` report of a server that is not there. Fixed,
 * so replies compare byte for byte across tests.
 */
import type { ServerFacts } from '../command-session.ts'

export const TEST_FACTS: ServerFacts = {
  nodeName: 'a@h',
  version: '0.1.0',
  startedAt: 0,
  port: 6379,
  connectedClients: () => 1,
  totalCommands: () => 0,
  memory: () => ({ rss: 1, heapUsed: 1 }),
}
