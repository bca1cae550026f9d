#!/usr/bin/env node
/** The `impmqtt` executable: runs main() on this process, exits once stdout and stderr are flushed. */
import { main } from './main.js';

const exitAfterFlush = (status: number): void => {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
};

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(exitAfterFlush, (error: unknown) => {
  // A bug, not a usage or connection error: say so plainly rather than hide it.
  process.stderr.write(`impmqtt: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(70);
});
