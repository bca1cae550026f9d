/**
 * A message the broker refuses by closing the connection [MQTT-3.3.5-2] (here aedes refusing to
 * authorize the topic; AWS IoT does the same) completes -13 after the client's undeliverableAfter
 * closes. The gateway's answer then says the broker will not take it: "Please try again", its
 * advice for a broker that is away, would only send the caller round the same loop.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../../client/helpers.js';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

let broker: AedesBroker;
let running: RunningGateway;

beforeAll(async () => {
  broker = await startAedes({
    brokerOptions: { authorizePublish: (_client, packet, callback) => callback(packet.topic.startsWith('denied/') ? new Error('not authorized') : null) },
  });
  running = await startGateway(broker.url, { publishTimeout: 20_000, mqtt: { url: broker.url, reconnect: { initialDelay: 10, maxDelay: 50 } } });
});
afterAll(async () => {
  await running?.gateway.close(500);
  await broker?.stop();
});

it('[MQTT-3.3.5-2] a message the broker closes the connection over: 500 SendMessageFailed saying it will not take it, not "Please try again"; the next call is published', async () => {
  const call = (topic: string): ReturnType<typeof rawHttp> => rawHttp(running.port, `GET /?${signedQuery('GET', { MqttTopic: topic })} HTTP/1.1\r\nHost: x\r\n\r\n`, 0, 20_000);
  const refused = await call('denied/x');
  const body = JSON.parse(refused.body) as { Code: string; Message: string };
  expect([refused.status, body.Code]).toEqual([500, 'SendMessageFailed']);
  expect(body.Message).toMatch(/will not take it/);
  expect(body.Message).not.toMatch(/try again/i);
  // The third close is the one that gave it up: the gateway is back once it has reconnected.
  await until(() => running.gateway.client.connected, 'the gateway connected again');
  expect((await call('fine/x')).status).toBe(200);
}, 30_000);
