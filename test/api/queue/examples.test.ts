/**
 * The queue example (examples/queue/tutorial.mjs, seed 004's flow) run as a child process
 * against a mosquitto started here, as `npm run example:queue` runs it, on the built package.
 */
import { expect, it } from 'vitest';
import { describeExamples, exitCode } from '../../support/examples.js';
import { deadPort } from '../../support/ports.js';

describeExamples('queue example (examples/queue/tutorial.mjs on dist/)', (broker, runner) => {
  it('[seed 004] sends ABC123 as mymessage, receives it, then finds the queue empty, and exits 0', async () => {
    const tutorial = runner.run('examples/queue/tutorial.mjs', [broker().url]);
    expect(await exitCode(tutorial, 'tutorial.mjs')).toBe(0);
    expect(tutorial.stdout()).toBe(['received mymessage: ABC123', 'peek: null', 'peekBatch: []', 'readMessageCount: 0', 'closed', ''].join('\n'));
    expect(tutorial.stderr()).toBe('');
  });

  it('reports an unreachable broker with its code and exits 1, without hanging', async () => {
    const port = await deadPort();
    const tutorial = runner.run('examples/queue/tutorial.mjs', [`mqtt://127.0.0.1:${port}`]);
    expect(await exitCode(tutorial, 'tutorial.mjs')).toBe(1);
    expect(tutorial.stderr()).toMatch(/^SOCKET_ERROR: /);
  });
});
