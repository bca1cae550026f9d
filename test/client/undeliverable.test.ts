/**
 * A publish the broker refuses by closing the connection [MQTT-3.3.5-2], through a real broker
 * (aedes, whose authorizePublish refusal closes the connection, as AWS IoT and VerneMQ do). Before
 * undeliverableAfter it was re-sent first at every reconnect and closed every connection for
 * ever: the client was cut off, and nothing published after it got through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient, ResultCode } from '../support/internals.js';
import { startAedes } from '../support/aedes.js';
import { Cleanup, collectMessages, connectedClient, publishAsync, subscribeAsync, uniqueId, until, utf8 } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a publish the broker will not authorize [MQTT-3.3.5-2]', () => {
  it('completes -13 after the broker closed the connection over it 3 times; the client stays up and what was published behind it is delivered', async () => {
    let connections = 0;
    const broker = cleanup.broker(
      await startAedes({
        brokerOptions: {
          authorizePublish: (_client, packet, callback) => callback(packet.topic.startsWith('denied/') ? new Error('not authorized') : null),
        },
      }),
    );
    broker.broker.on('client', () => connections++);
    const watcher = await connectedClient(cleanup, { url: broker.url, clientId: uniqueId('watch') });
    await subscribeAsync(watcher, [{ topic: 'ok/#', qos: 1 }]);
    const seen = collectMessages(watcher);

    const client = new MqttClient({ url: broker.url, clientId: uniqueId('refused'), reconnect: { initialDelay: 10, maxDelay: 50 } });
    cleanup.client(client);
    client.connect();
    const denied = publishAsync(client, 'denied/x', 'no', { qos: 1 });
    const behind = publishAsync(client, 'ok/x', 'yes', { qos: 1 });
    expect(await denied).toBe(ResultCode.UNDELIVERABLE);
    expect(await behind).toBe(ResultCode.SUCCESS);
    await until(() => seen.messages.length === 1, 'the message published behind it');
    expect(seen.messages.map((m) => [m.topic, utf8(m.payload)])).toEqual([['ok/x', 'yes']]);
    // Three connections ended over it; the fourth carries on.
    await until(() => client.connected, 'the client connected again');
    expect(connections - 1).toBe(4); // the watcher's own connection aside
    expect(await publishAsync(client, 'ok/y', 'still up', { qos: 1 })).toBe(ResultCode.SUCCESS);
  });
});
