/**
 * The built bin when its stdout's reader goes away (`impmqtt demo | head -1`): it ends quietly
 * with status 1, as `sub` does, instead of dying of an unhandled EPIPE 'error' with a stack
 * trace on stderr. (Found in review.) Loopback only: demo's embedded broker; the gateway's broker
 * is a port nothing listens on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProcessRunner } from '../support/cli.js';
import { ensureBuilt } from '../support/examples.js';
import { deadPort } from '../support/ports.js';

const runner = new ProcessRunner();
beforeAll(() => ensureBuilt(), 150_000);
afterAll(() => runner.stopAll());

it('demo and gateway with stdout closed by its reader: status 1, no stack trace', async () => {
  const brokerPort = String(await deadPort()); // nothing listens: the gateway never reaches a broker
  const argvs = [['demo'], ['gateway', '--allow-anonymous', '--http-port', '0', '-h', '127.0.0.1', '-p', brokerPort]];
  for (const argv of argvs) {
    const running = runner.impmqtt(argv, { timeoutMs: 15_000 });
    running.child.stdout!.destroy(); // the reader is gone before the first line
    const finished = await running.done;
    expect(finished.stderr, argv[0]).not.toMatch(/Unhandled 'error'|EPIPE|\n\s+at /);
    expect(finished.status, argv[0]).toBe(1);
  }
}, 40_000);
