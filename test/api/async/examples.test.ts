/**
 * The async examples (examples/async/*.mjs) run as child processes against a mosquitto started
 * here, as `npm run example:async:*` runs them, on the built package: the subscriber starts
 * first; once subscribed, the publisher sends the seed's 28.4; both exit 0.
 */
import { expect, it } from 'vitest';
import { describeExamples, exitCode } from '../../support/examples.js';
import { deadPort } from '../../support/ports.js';
import { until } from '../../client/helpers.js';

describeExamples('async examples (examples/async/*.mjs on dist/)', (broker, runner) => {
  it('[seed 002] subscribe.mjs receives the 28.4 that publish.mjs publishes to temperature/outside; both exit 0', async () => {
    const subscriber = runner.run('examples/async/subscribe.mjs', [broker().url, '1', '15']);
    await until(() => /subscribed to temperature\/#/.test(subscriber.stdout()) || subscriber.child.exitCode !== null, 'the subscriber to subscribe', 15_000);
    const publisher = runner.run('examples/async/publish.mjs', [], { MQTT_URL: broker().url });
    expect(await exitCode(publisher, 'publish.mjs')).toBe(0);
    expect(publisher.stdout()).toContain('published 28.4 to temperature/outside');
    expect(await exitCode(subscriber, 'subscribe.mjs')).toBe(0);
    expect(subscriber.stdout()).toContain('temperature/outside 28.4 (QoS 1)');
    expect(subscriber.stderr()).toBe('');
  });

  it('publish.mjs reports a connection failure with its code and exits 1 (no hang)', async () => {
    const port = await deadPort();
    const publisher = runner.run('examples/async/publish.mjs', [`mqtt://127.0.0.1:${port}`]);
    expect(await exitCode(publisher, 'publish.mjs')).toBe(1);
    expect(publisher.stderr()).toMatch(/^SOCKET_ERROR: /);
  });
});
