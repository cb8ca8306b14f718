#!/usr/bin/env node
// The `cohort-cache` command. A file of its own rather than dist/main.js, so that `pnpm install` in a fresh clone
// can link the command before the first build; it runs the built program, or says how to build it.
import { existsSync } from 'node:fs'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('cohort-cache: not built yet: run `pnpm build` in the repository first\n')
  process.exit(1)
}
await import(main.href)
