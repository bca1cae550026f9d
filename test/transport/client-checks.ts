/**
 * What the transport suites check through MqttClient (tcp-tls, ws-aedes and ws-raw-server): a
 * QoS 0/1/2 round trip on one connected client, and a connect that must fail before CONNACK.
 */
import { expect } from 'vitest';
import { MqttClient, MqttError } from '../support/internals.js';
import type { ClientOptions } from '../support/internals.js';
import { WAIT_MS, collectMessages, makeClient, publishAsync, subscribeAsync, uniqueId, utf8, waitFor } from '../client/helpers.js';
import type { Cleanup } from '../client/helpers.js';

/** Subscribes, publishes at QoS 0/1/2 on the same client and checks every message comes back. */
export async function roundTrip(client: MqttClient, topic = `rt/${uniqueId()}`): Promise<void> {
  const { result, granted } = await subscribeAsync(client, [{ topic, qos: 2 }]);
  expect(result).toBe(0);
  expect(granted).toEqual([2]);
  const inbox = collectMessages(client, topic);
  expect(await publishAsync(client, topic, 'zero', { qos: 0 })).toBe(0);
  expect(await publishAsync(client, topic, 'one', { qos: 1 })).toBe(0);
  expect(await publishAsync(client, topic, 'two', { qos: 2 })).toBe(0);
  const messages = await inbox.wait(3);
  expect(messages.map((m) => utf8(m.payload)).sort()).toEqual(['one', 'two', 'zero']);
  inbox.stop();
}

/** Starts a client expected to fail before CONNACK; returns the connectfailed info. */
export async function failedConnect(cleanup: Cleanup, options: ClientOptions): Promise<{ returnCode: number | undefined; error: MqttError }> {
  const client = makeClient(cleanup, { connectTimeout: WAIT_MS, ...options });
  let connected = false;
  client.on('connect', () => {
    connected = true;
  });
  const failed = waitFor(client, 'connectfailed');
  client.connect();
  const info = await failed;
  expect(connected).toBe(false);
  expect(client.state).toBe('disconnected');
  expect(info.error).toBeInstanceOf(MqttError);
  return info;
}
