/**
 * The imp examples (examples/imp/send.mjs, examples/imp/subscribe.mjs) run as child processes
 * against a mosquitto started here, exactly as `npm run example:imp:*` runs them: on the built
 * package (dist/). The subscriber starts first; once it reports its subscription, the sender
 * publishes the seed 000 message; both must exit 0 with the expected output.
 */
import { expect, it } from 'vitest';
import { deadPort } from '../../support/ports.js';
import { describeExamples, exitCode } from '../../support/examples.js';
import { impUrl, waitFor } from './helpers.js';

const SEND = 'examples/imp/send.mjs';
const SUBSCRIBE = 'examples/imp/subscribe.mjs';

describeExamples('imp examples (examples/imp/*.mjs on dist/)', (broker, runner) => {
  const run = runner.run.bind(runner);

  it('subscribe.mjs receives what send.mjs publishes; both exit 0', async () => {
    const url = impUrl(broker().url);
    const subscriber = run(SUBSCRIBE, [url, '1'], { MQTT_TIMEOUT_MS: '15000' });
    await waitFor(() => /Subscribed to imp\.mqtt\.test\.pings/.test(subscriber.stdout()) || subscriber.child.exitCode !== null, 'the subscriber to subscribe', 15_000);
    expect(subscriber.stdout()).toMatch(/Subscribed to imp\.mqtt\.test\.pings with delivery mode 1/);

    // The sender takes its URL from MQTT_URL this time.
    const sender = run(SEND, [], { MQTT_URL: url });
    expect(await exitCode(sender, 'send.mjs')).toBe(0);
    expect(sender.stdout()).toContain('Posting the message');
    expect(sender.stdout()).toContain('The message was published');
    expect(sender.stdout()).not.toContain('not published');
    expect(sender.stdout()).toContain('Disconnected');
    expect(sender.stderr()).toBe('');

    expect(await exitCode(subscriber, 'subscribe.mjs')).toBe(0);
    expect(subscriber.stdout()).toContain('Message received on topic imp.mqtt.test.pings: This is a test message (qos 1, retain 0, dup 0)');
    expect(subscriber.stderr()).toBe('');
  });

  it('send.mjs reports a connection failure and exits non-zero (no hang)', async () => {
    const port = await deadPort();
    const sender = run(SEND, [`tcp://127.0.0.1:${port}`]);
    expect(await exitCode(sender, 'send.mjs')).toBe(1);
    expect(sender.stderr()).toMatch(/Could not connect to tcp:\/\/127\.0\.0\.1:\d+: Socket error/);
  });

  it('subscribe.mjs gives up after its timeout with exit code 1', async () => {
    const subscriber = run(SUBSCRIBE, [impUrl(broker().url)], { MQTT_TIMEOUT_MS: '300', MQTT_TOPIC: 'nobody/publishes/here' });
    expect(await exitCode(subscriber, 'subscribe.mjs')).toBe(1);
    expect(subscriber.stderr()).toMatch(/Timed out after 300 ms with 0 of 1 message/);
  });
});
