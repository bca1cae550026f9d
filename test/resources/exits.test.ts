/**
 * A process that has closed what it opened ends by itself: nothing a face started (timers,
 * sockets, listeners) is left to hold it. Each face runs in its own child process, with every
 * long wait it can start pending at the close; the child must then exit on its own. The bound
 * is a guard against hangs (every wait left behind would be a minute or an hour), not a timing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../support/cli.js';
import { ROOT, ensureBuilt } from '../support/examples.js';
import { startLeanBroker } from './lean-broker.js';
import type { LeanBroker } from './lean-broker.js';

const runner = new ProcessRunner();
let broker: LeanBroker;
let silent: LeanBroker;
beforeAll(async () => {
  ensureBuilt({ types: false });
  broker = await startLeanBroker();
  silent = await startLeanBroker({ silentOnSubscribe: true });
}, 120_000);
afterAll(async () => {
  runner.stopAll();
  await Promise.all([broker?.stop(), silent?.stop()]);
});

describe('the process ends by itself once everything is closed', () => {
  it.each(['engine', 'async', 'queue', 'imp', 'gateway'])('%s', async (scenario) => {
    const config = { scenario, url: broker.url, silent: silent.url, unreachable: 'mqtt://127.0.0.1:1' };
    const script = join(ROOT, 'test/resources/children/exits.mjs');
    const { status, stdout, stderr } = await runner.start(process.execPath, [script, JSON.stringify(config)], { timeoutMs: 15_000 }).done;
    expect({ status, stdout: stdout.toString('utf8'), stderr }).toEqual({ status: 0, stdout: 'closed\n', stderr: '' });
  });
});
