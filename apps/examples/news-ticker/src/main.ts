#!/usr/bin/env node
/**
 * Runs the news example as a node process: the only file that touches `process`. Events go to stdout as JSON lines,
 * the log to stderr. The quote feed runs apart: `node dist/feed-main.js`.
 */
import { tolerateClosedReader } from '@cohort/discovery'
import { runNewsNode } from './news-node.ts'

// A reader of the node's output that goes away (a parent that died, `| head`) must not end the node.
tolerateClosedReader(process.stdout, (error) => process.stderr.write(`news example: stdout closed (${error.message}); events are no longer written\n`))
tolerateClosedReader(process.stderr)

try {
  await runNewsNode({
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    writeEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
  })
} catch (err) {
  process.stderr.write(`news example: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
