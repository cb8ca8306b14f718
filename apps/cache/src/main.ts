#!/usr/bin/env node
/**
 * The cache node binary: the only file that touches `process`. It runs one cache node with the real environment,
 * signals and exit, and prints the `ready` event as one JSON line on stdout.
 */
import { startReplicatedMap } from '@cohort/core'
import { tolerateClosedReader } from '@cohort/discovery'
import { runCacheNode } from './run-cache-node.ts'

// A reader of the node's output that goes away (a parent that died, `| head`) must not end the node.
tolerateClosedReader(process.stdout, (error) => process.stderr.write(`cohort-cache: stdout closed (${error.message}); events are no longer written\n`))
tolerateClosedReader(process.stderr)

try {
  await runCacheNode(
    {
      env: process.env,
      signals: process,
      exit: (code) => process.exit(code),
      writeEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
    },
    (system, options) => startReplicatedMap<Uint8Array>(system, options),
  )
} catch (error) {
  // With the error's code, as the chat prints it: `COHORT_ERR_INVALID_CONFIG` for a bad variable (the README's table).
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : ''
  process.stderr.write(`cohort-cache: ${error instanceof Error ? error.message : String(error)}${code}\n`)
  process.exit(1)
}
