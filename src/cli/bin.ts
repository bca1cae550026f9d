#!/usr/bin/env node
/** The `impmqtt` executable: runs main() on this process, exits once stdout and stderr are flushed. */
import { main } from './main.js';

const exitAfterFlush = (status: number): void => {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
};

// The reader of stdout went away (`impmqtt demo | head -1`): what is left to print has nowhere to
// go. End quietly with status 1, as sub does, rather than die of an unhandled 'error' event with a
// stack trace (as demo and gateway did).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`impmqtt: cannot write to stdout: ${error.code ?? error.message}\n`);
  process.exit(1);
});

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(exitAfterFlush, (error: unknown) => {
  // A bug, not a usage or connection error: say so plainly rather than hide it.
  process.stderr.write(`impmqtt: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(70);
});
