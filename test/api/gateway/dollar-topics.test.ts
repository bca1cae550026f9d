/**
 * Topics beginning with "$" (MQTT 3.1.1 §4.7.2: the broker's own, e.g. $SYS; a server SHOULD
 * stop clients exchanging messages through them). Found in review: the gateway published to
 * them and answered 200 — but mosquitto acknowledges a client's PUBLISH to $SYS/… and drops
 * it, so the caller was told "sent" for a message nobody could receive. ApsaraMQ's own topic
 * names cannot begin with "$" either: such a MqttTopic is refused, and nothing is published.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttClient } from '../../../src/client/index.js';
import { collectMessages, subscribeAsync, until, utf8, waitFor } from '../../client/helpers.js';
import type { Collector } from '../../client/helpers.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import type { MosquittoBroker } from '../../support/mosquitto.js';
import { INSTANCE, popCore, popCoreError, startGateway, teaSendMessage } from './sdk.js';
import type { RunningGateway, TeaError } from './sdk.js';

describeWithMosquitto('SendMessage gateway: MqttTopic beginning with "$"', () => {
  let broker: MosquittoBroker;
  let running: RunningGateway;
  let subscriber: MqttClient;
  let received: Collector;

  beforeAll(async () => {
    broker = await startMosquitto();
    running = await startGateway(broker.url);
    subscriber = new MqttClient({ url: broker.url, reconnect: false });
    subscriber.connect();
    await waitFor(subscriber, 'connect');
    await subscribeAsync(subscriber, [{ topic: '$SYS/gw/#', qos: 1 }, { topic: 'gw/dollar/#', qos: 1 }]);
    received = collectMessages(subscriber);
  });
  afterAll(async () => {
    subscriber?.destroy();
    await running?.gateway.close(500);
    await broker?.stop();
  });

  it('$SYS/…: InvalidParameter.MqttTopic (400) to pop-core and the Tea SDK, and nothing is published', async () => {
    const error = await popCoreError(popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: '$SYS/gw/x', Payload: 'lost' }));
    expect(error.code).toBe('InvalidParameter.MqttTopic');
    const tea = await teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: '$SYS/gw/y', Payload: 'lost' }).catch((e: TeaError) => e);
    expect(tea).toMatchObject({ code: 'InvalidParameter.MqttTopic', statusCode: 400 });
    // A marker through an ordinary topic: once it is in, anything published before it would be too.
    await popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/dollar/end', Payload: 'end' });
    await until(() => received.messages.length > 0, 'the marker');
    expect(received.messages.map((m) => [m.topic, utf8(m.payload)])).toEqual([['gw/dollar/end', 'end']]);
  });
});
