/**
 * Payloads up to maxPayloadBytes (64 KiB, the service's limit) in the query string. The Tea
 * SDK's generated onsmqtt client always sends InstanceId, MqttTopic and Payload in the query
 * (TSSDK sendMessageWithOptions), and pop-core does by default (GET): a long payload makes a
 * long request line, which Node counts against the server's maxHeaderSize. Found in review:
 * with a fixed 16 KiB header limit, any payload over ~16 KB (~5 KB of CJK, ~4 KB of emoji)
 * got 431 BadRequest from the default request of both SDKs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../../../src/client/index.js';
import { collectMessages, subscribeAsync, utf8, waitFor } from '../../client/helpers.js';
import type { Collector } from '../../client/helpers.js';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { INSTANCE, popCore, popCoreError, startGateway, teaSendMessage } from './sdk.js';
import type { RunningGateway } from './sdk.js';

/** 16,384 four-byte characters: exactly 65,536 bytes, 196,608 characters percent-encoded. */
const LARGEST = '😀'.repeat(16_384);

describe('SendMessage gateway: the largest payload in the query string (default options)', () => {
  let broker: AedesBroker;
  let running: RunningGateway;
  let subscriber: MqttClient;
  let received: Collector;

  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url);
    subscriber = new MqttClient({ url: broker.url, reconnect: false });
    subscriber.connect();
    await waitFor(subscriber, 'connect');
    await subscribeAsync(subscriber, [{ topic: 'long/#', qos: 1 }]);
    received = collectMessages(subscriber);
  });
  afterAll(async () => {
    subscriber?.destroy();
    await running?.gateway.close(500);
    await broker?.stop();
  });

  it('pop-core GET (its default) and the Tea SDK (ACS3 and RPC v1, query only): 200 and delivered whole', async () => {
    expect(Buffer.byteLength(LARGEST)).toBe(65_536);
    expect(await popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'long/pop', Payload: LARGEST })).toHaveProperty('MsgId');
    expect((await teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: 'long/acs3', Payload: LARGEST })).statusCode).toBe(200);
    expect((await teaSendMessage(running.endpoint, 'v2', { InstanceId: INSTANCE, MqttTopic: 'long/v2', Payload: LARGEST })).statusCode).toBe(200);
    const messages = await received.wait(3);
    expect(messages.map((m) => [m.topic, utf8(m.payload) === LARGEST])).toEqual([
      ['long/pop', true],
      ['long/acs3', true],
      ['long/v2', true],
    ]);
  });

  it('one byte over maxPayloadBytes in the query: ParameterCheckFailed (the documented refusal), not a 431', async () => {
    const error = await popCoreError(popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'long/over', Payload: `${LARGEST}x` }));
    expect(error.code).toBe('ParameterCheckFailed');
  });
});
