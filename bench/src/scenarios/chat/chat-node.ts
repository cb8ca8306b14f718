/**
 * One apps/chat node for the chat scenario: the app's own composition root (`runChatNode`, what `main.ts` runs) in a
 * process that also ends when the scenario that started it does (its IPC channel closes), so a scenario killed on a
 * timeout leaves no node behind.
 */
import { runChatNode } from '@cohort/chat'

process.on('disconnect', () => process.exit(0))
await runChatNode({
  env: process.env,
  signals: process,
  exit: (code) => process.exit(code),
  writeEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
})
