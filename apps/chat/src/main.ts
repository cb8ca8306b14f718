#!/usr/bin/env node
/**
 * The chat node binary: the only file that touches `process`. It runs one chat node with the real environment,
 * signals and exit, prints its events as JSON lines on stdout, and exits 1 with the reason on a bad configuration.
 */
import { tolerateClosedReader } from '@cohort/discovery'
import { runChatNode } from './run-chat-node.ts'

// A reader of the node's output that goes away (a parent that died, `| head`) must not end the node.
tolerateClosedReader(process.stdout, (error) => process.stderr.write(`cohort-chat: stdout closed (${error.message}); events are no longer written\n`))
tolerateClosedReader(process.stderr)

try {
  await runChatNode({
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    writeEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
  })
} catch (error) {
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : ''
  process.stderr.write(`cohort-chat: ${error instanceof Error ? error.message : String(error)}${code}\n`)
  process.exit(1)
}
