#!/usr/bin/env node
/**
 * The `red5pro-bluegreen` command line (docs/cli.md). Entry point only: everything is in `program.ts`.
 */
import { run } from './program'

void run(process.argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code
})
