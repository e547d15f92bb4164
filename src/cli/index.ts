#!/usr/bin/env node
/**
 * The `red5pro-bluegreen` command line (docs/cli.md). Entry point only: everything is in `program.ts`.
 *
 * The process ends as soon as the command is done, once stdout and stderr are flushed: a library
 * handle left open (an idle keep-alive socket, werift's ICE sockets after `probe`) must not keep a
 * finished command waiting.
 */
import { run } from './program'

// A reader that goes away (`red5pro-bluegreen status | head -3`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0)
    }
    throw error
  })
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

void run(process.argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  async (code) => {
    await Promise.all([flushed(process.stdout), flushed(process.stderr)])
    process.exit(code)
  },
)
