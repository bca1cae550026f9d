/**
 * The imp API against real brokers (mosquitto and aedes, the same tests on each): the seed 000
 * sendasync example and its failure cases, subscribe → onmessage, the will on an abnormal close
 * (and none on disconnect()), an inbound message over 256 KB, credentials, TLS (ssl://) and
 * WebSocket (an impmqtt extension). One simulated device = one agent (createMqtt()).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { startAedesWebSocket } from '../../support/aedes.js';
import { certs } from '../../support/certs.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { forEachBroker } from './brokers.js';
import type { BrokerKind, TestBroker } from './brokers.js';
import {
  Calls,
  Inbox,
  TransportTap,
  closeAll,
  closeCore,
  connectFake,
  connectImp,
  coreClient,
  disconnectImp,
  impUrl,
  newDevice,
  sendImp,
  sleep,
  subscribeImp,
  within,
} from './helpers.js';

const clients: ImpMqttClient[] = [];

function device(config: Parameters<typeof newDevice>[0] = {}): ImpMqttClient {
  const client = newDevice(config);
  clients.push(client);
  return client;
}

afterEach(async () => {
  await closeAll(clients.splice(0));
});

let unique = 0;
const id = (what: string): string => `${what}-${process.pid}-${++unique}`;

forEachBroker('imp API integration', (kind: BrokerKind) => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await kind.start();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  /** A connected device with an inbox, subscribed to `topic` (QoS `qos`). */
  async function subscriber(topic: string, qos = 2): Promise<{ client: ImpMqttClient; inbox: Inbox }> {
    const client = device();
    const inbox = new Inbox();
    client.onmessage(inbox.handler);
    expect(await connectImp(client, broker.url, id('sub'))).toBe(0);
    const [rc, granted] = await subscribeImp(client, topic, qos);
    expect([rc, granted]).toEqual([0, qos]);
    return { client, inbox };
  }

  describe('seed 000: createmessage + sendasync', () => {
    it('the example: QoS 1 message, sendasync reports 0 ("published"), and the message arrives', async () => {
      const { inbox } = await subscriber('imp.mqtt.test.pings');
      const client = device();
      expect(await connectImp(client, broker.url, id('imp.mqtt.test'))).toBe(0);
      const log: string[] = [];

      // Create a message (topic, message, options) using the mqttclient instance
      const message = client.createmessage('imp.mqtt.test.pings', 'This is a test message', { qos: mqtt.AT_LEAST_ONCE });
      // Send the new message
      log.push('Posting the message');
      const done = new Promise<void>((resolve) =>
        message.sendasync(function (result) {
          log.push('The message was ' + (result != 0 ? 'not ' : '') + 'published');
          if (result != 0) log.push('Error code ' + result);
          resolve();
        }),
      );
      await within(done, 'the sendasync callback');
      expect(log).toEqual(['Posting the message', 'The message was published']);

      const [item] = await inbox.waitForCount(1);
      expect(item!.topic).toBe('imp.mqtt.test.pings');
      expect(item!.message.tostring()).toBe('This is a test message');
      expect(item!.qos).toBe(1);
      expect(item!.retain).toBe(0);
      expect(item!.dup).toBe(0);
    });

    it('QoS 0 and QoS 2 also report 0 and arrive', async () => {
      const topic = `seed/${id('q')}`;
      const { inbox } = await subscriber(topic);
      const client = device();
      expect(await connectImp(client, broker.url, id('pub'))).toBe(0);
      expect(await sendImp(client, topic, 'zero', { qos: mqtt.AT_MOST_ONCE })).toBe(0);
      expect(await sendImp(client, topic, 'two', { qos: mqtt.EXACTLY_ONCE })).toBe(0);
      await inbox.waitForCount(2);
      expect(inbox.items.map((i) => [i.message.tostring(), i.qos])).toEqual([
        ['zero', 0],
        ['two', 2],
      ]);
    });

    it('failure case: sendasync while disconnected throws (before connect, and after disconnect)', async () => {
      const client = device();
      const message = client.createmessage('imp.mqtt.test.pings', 'This is a test message', { qos: mqtt.AT_LEAST_ONCE });
      expect(() => message.sendasync(() => {})).toThrow(/connected/);
      expect(await connectImp(client, broker.url, id('d'))).toBe(0);
      expect(await within(new Promise<number>((resolve) => message.sendasync(resolve)), 'sendasync')).toBe(0);
      await disconnectImp(client);
      expect(() => message.sendasync(() => {})).toThrow(/connected/);
      // The doc's advice: wrap sendasync in try...catch.
      let caught = false;
      try {
        message.sendasync();
      } catch {
        caught = true;
      }
      expect(caught).toBe(true);
    });

    it('failure case: the broker goes away with a QoS 1 publish unacknowledged → -11, never a hang', async () => {
      const own = await kind.start();
      try {
        const client = device();
        const lost = new Calls<[number]>();
        client.onconnectionlost((reason: number) => lost.record(reason));
        expect(await connectImp(client, own.url, id('midflight'))).toBe(0);
        own.stall();
        const result = new Promise<number>((resolve) => client.createmessage('mid/flight', 'x', { qos: mqtt.AT_LEAST_ONCE }).sendasync(resolve));
        await sleep(100); // the PUBLISH is on the wire, unacknowledged
        await own.stop();
        const rc = await within(result, 'the sendasync callback after the broker died', 15_000);
        expect(rc).not.toBe(0);
        expect([-11, -3]).toContain(rc);
        expect(rc).toBe(-11); // it was in flight
        await lost.waitForCount(1);
        expect(lost.args).toEqual([[-1]]);
      } finally {
        await own.stop();
      }
    });
  });

  describe('subscribe → onmessage', () => {
    it('delivers text, binary and retained messages with integer flags; granted QoS caps delivery', async () => {
      const topic = `sub/${id('t')}`;
      const publisher = device();
      expect(await connectImp(publisher, broker.url, id('pub'))).toBe(0);
      // A retained message first, to be delivered on subscribe with retain 1.
      expect(await sendImp(publisher, `${topic}/retained`, 'kept', { qos: 1, retain: true })).toBe(0);

      const client = device();
      const inbox = new Inbox();
      client.onmessage(inbox.handler);
      expect(await connectImp(client, broker.url, id('sub'))).toBe(0);
      const granted = await within(
        new Promise<number | number[]>((resolve) => {
          expect(
            client.subscribe([`${topic}/#`], [1], function (qosMode: number | number[]) {
              resolve(qosMode);
            }),
          ).toBe(0);
        }),
        'SUBACK',
      );
      expect(granted).toEqual([1]);
      const [retained] = await inbox.waitForCount(1);
      expect(retained).toMatchObject({ topic: `${topic}/retained`, retain: 1, dup: 0, qos: 1 });
      expect(retained!.message.tostring()).toBe('kept');

      const binary = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      expect(await sendImp(publisher, `${topic}/bin`, binary, { qos: 2 })).toBe(0);
      expect(await sendImp(publisher, `${topic}/text`, 'héllo', { qos: 0 })).toBe(0);
      await inbox.waitForCount(3);
      const [, bin, text] = inbox.items;
      expect(Array.from(bin!.message.bytes)).toEqual(Array.from(binary));
      // Published at 2 through a wildcard subscription granted 1: capped at 1 [MQTT-3.8.4-6],
      // except on aedes 1.2.0 (a broker bug: see brokers.ts).
      expect(bin!.qos).toBe(kind.behaviour.capsQoSForWildcardFilters ? 1 : 2);
      expect(bin!.retain).toBe(0); // a live message, not the retained copy
      expect(text!.message.tostring()).toBe('héllo');
      expect(text!.qos).toBe(0);

      // Through an exact filter granted 1, both brokers cap a QoS 2 message at 1.
      expect(await subscribeImp(client, `${topic}-exact`, 1)).toEqual([0, 1]);
      expect(await sendImp(publisher, `${topic}-exact`, 'capped', { qos: 2 })).toBe(0);
      const [, , , capped] = await inbox.waitForCount(4);
      expect(capped!.qos).toBe(1);

      // Clear the retained message (empty retained payload) for other tests.
      expect(await sendImp(publisher, `${topic}/retained`, '', { qos: 1, retain: true })).toBe(0);
    });

    it('unsubscribe stops delivery; cb(0)', async () => {
      const topic = `unsub/${id('t')}`;
      const { client, inbox } = await subscriber(topic, 1);
      const publisher = device();
      expect(await connectImp(publisher, broker.url, id('pub'))).toBe(0);
      expect(await sendImp(publisher, topic, 'before', { qos: 1 })).toBe(0);
      await inbox.waitForCount(1);
      expect(await within(new Promise<number>((resolve) => client.unsubscribe(topic, resolve)), 'UNSUBACK')).toBe(0);
      expect(await sendImp(publisher, topic, 'after', { qos: 1 })).toBe(0);
      // A marker on another subscription proves the broker has processed "after" by now.
      const [rc] = await subscribeImp(client, `${topic}/marker`, 1);
      expect(rc).toBe(0);
      expect(await sendImp(publisher, `${topic}/marker`, 'marker', { qos: 1 })).toBe(0);
      await inbox.waitForCount(2);
      expect(inbox.texts()).toEqual(['before', 'marker']);
    });

    it('an inbound message over 256 KB drops the connection with onconnectionlost(-3)', async () => {
      const topic = `big/${id('t')}`;
      const { client, inbox } = await subscriber(topic, 1);
      const lost = new Calls<[number]>();
      client.onconnectionlost((reason: number) => lost.record(reason));
      // The imp cannot send it (createmessage refuses > 256 KB), so the core client does.
      const sender = await coreClient(broker.coreUrl, id('core-big'));
      try {
        await within(new Promise<void>((resolve) => sender.publish(topic, new Uint8Array(256 * 1024), { qos: 1 }, () => resolve())), 'exactly 256 KB');
        await inbox.waitForCount(1);
        expect(inbox.items[0]!.message.len()).toBe(262_144);
        await within(new Promise<void>((resolve) => sender.publish(topic, new Uint8Array(256 * 1024 + 1), { qos: 1 }, () => resolve())), 'one byte more');
        await lost.waitForCount(1);
        expect(lost.args).toEqual([[-3]]);
        expect(inbox.items).toHaveLength(1);
        expect(client.connectionstate()).toBe(0);
      } finally {
        await closeCore(sender);
      }
    });
  });

  describe('will [imp §2.1; MQTT-3.1.2-8, MQTT-3.1.2-10]', () => {
    it('is published to another client when the device drops abnormally (socket destroyed)', async () => {
      const willTopic = `will/${id('t')}`;
      const { inbox } = await subscriber(willTopic);
      const tap = new TransportTap();
      const client = device({ transport: tap.factory });
      const lost = new Calls<[number]>();
      client.onconnectionlost((reason: number) => lost.record(reason));
      expect(await connectImp(client, broker.url, id('will'), { willtopic: willTopic, willmessage: 'client not disconnected' })).toBe(0);
      tap.cut();
      await lost.waitForCount(1);
      expect(lost.args).toEqual([[-1]]);
      const [will] = await inbox.waitForCount(1);
      expect(will!.topic).toBe(willTopic);
      expect(will!.message.tostring()).toBe('client not disconnected');
      expect(will!.qos).toBe(0); // willqos defaults to 0
    });

    it('willqos / willretain extensions and blob will payloads are honoured', async () => {
      const willTopic = `will/${id('t')}`;
      const tap = new TransportTap();
      const client = device({ transport: tap.factory });
      const payload = new Uint8Array([0, 1, 2, 0xff]);
      // A subscriber already there sees the will go out: once it has it, the broker has kept it (aedes stores a
      // retained message before it forwards it; mosquitto does both in one turn of its loop).
      const { inbox: live } = await subscriber(willTopic, 2);
      expect(await connectImp(client, broker.url, id('will'), { willtopic: willTopic, willmessage: payload, willqos: 1, willretain: true })).toBe(0);
      tap.cut();
      await expect.poll(() => client.connectionstate()).toBe(0);
      await live.waitForCount(1);
      // Retained: a late subscriber still gets it.
      const { inbox } = await subscriber(willTopic, 2);
      const [will] = await inbox.waitForCount(1);
      expect(Array.from(will!.message.bytes)).toEqual([0, 1, 2, 0xff]);
      expect(will!.retain).toBe(1);
      expect(will!.qos).toBe(1);
      const cleaner = device();
      expect(await connectImp(cleaner, broker.url, id('clean'))).toBe(0);
      expect(await sendImp(cleaner, willTopic, '', { retain: true, qos: 1 })).toBe(0);
    });

    it('is not published after disconnect() (DISCONNECT discards it) [MQTT-3.14.4-3]', async () => {
      const willTopic = `will/${id('t')}`;
      const { inbox } = await subscriber(willTopic);
      const client = device();
      expect(await connectImp(client, broker.url, id('nowill'), { willtopic: willTopic, willmessage: 'should not appear' })).toBe(0);
      await disconnectImp(client);
      // A marker on the same topic, sent after the disconnect completed, must be the only message.
      const other = device();
      expect(await connectImp(other, broker.url, id('marker'))).toBe(0);
      expect(await sendImp(other, willTopic, 'marker', { qos: 1 })).toBe(0);
      await inbox.waitForCount(1);
      await sleep(200);
      expect(inbox.texts()).toEqual(['marker']);
    });

    it('willmessage without willtopic is ignored (no will flag in CONNECT)', async () => {
      const fake = await startFakeBroker({ autoPingresp: true });
      try {
        const client = device();
        const { connect } = await connectFake(fake, client, 'nowilltopic', { willmessage: 'orphan' });
        expect(connect.will).toBeUndefined();
        const withTopic = device();
        const second = await connectFake(fake, withTopic, 'willtopic', { willtopic: 'w', willmessage: 'm' });
        expect(second.connect.will).toMatchObject({ topic: 'w', qos: 0, retain: false });
      } finally {
        await fake.stop();
      }
    });
  });

  describe('credentials, TLS', () => {
    it('username/password: 0 when right; the broker-specific refusal code when wrong', async () => {
      const own = await kind.start({ users: { alice: 'secret' } });
      try {
        const good = device();
        expect(await connectImp(good, own.url, id('alice'), { username: 'alice', password: 'secret' })).toBe(0);
        const bad = device();
        expect(await connectImp(bad, own.url, id('mallory'), { username: 'alice', password: 'wrong' })).toBe(kind.behaviour.badPasswordConnack);
        expect(bad.connectionstate()).toBe(0);
        // Blobs are accepted for credentials too.
        const blob = device();
        expect(await connectImp(blob, own.url, id('alice-blob'), { username: new TextEncoder().encode('alice'), password: new TextEncoder().encode('secret') })).toBe(0);
      } finally {
        await own.stop();
      }
    });

    it('ssl:// connects with the test CA; url() keeps the ssl:// scheme; an untrusted server gives onconnect(-1)', async () => {
      const own = await kind.start({ tls: true });
      try {
        const url = own.tlsUrl!;
        expect(url.startsWith('ssl://')).toBe(true);
        const client = device();
        const inbox = new Inbox();
        client.onmessage(inbox.handler);
        expect(await connectImp(client, url, id('tls'), { tls: { ca: certs.caCert } })).toBe(0);
        expect(client.url()).toBe(url);
        expect(await subscribeImp(client, 'tls/t', 1)).toEqual([0, 1]);
        expect(await sendImp(client, 'tls/t', 'secure', { qos: 1 })).toBe(0);
        await inbox.waitForCount(1);
        expect(inbox.texts()).toEqual(['secure']);
        const untrusting = device();
        expect(await connectImp(untrusting, url, id('tls-bad'))).toBe(-1);
      } finally {
        await own.stop();
      }
    });
  });
});

describe('imp API over WebSocket (impmqtt extension) [aedes]', () => {
  it('connects with ws://, publishes and receives', async () => {
    const broker = await startAedesWebSocket();
    try {
      const client = device();
      const inbox = new Inbox();
      client.onmessage(inbox.handler);
      expect(await connectImp(client, broker.url, id('ws'))).toBe(0);
      expect(client.url()).toBe(broker.url);
      expect(await subscribeImp(client, 'ws/t', 2)).toEqual([0, 2]);
      expect(await sendImp(client, 'ws/t', 'over websocket', { qos: 2 })).toBe(0);
      await inbox.waitForCount(1);
      expect(inbox.texts()).toEqual(['over websocket']);
      await disconnectImp(client);
    } finally {
      await broker.stop();
    }
  });
});

describe('seed 000 failure case against the scripted broker', () => {
  it('the broker closes the socket while the QoS 1 publish is unacknowledged → -11, and onconnectionlost(-1)', async () => {
    const fake = await startFakeBroker({ autoPingresp: true });
    try {
      const client = device();
      const lost = new Calls<[number]>();
      client.onconnectionlost((reason: number) => lost.record(reason));
      const { conn } = await connectFake(fake, client, 'imp.mqtt.test');
      const log: string[] = [];
      const done = new Promise<void>((resolve) =>
        client.createmessage('imp.mqtt.test.pings', 'This is a test message', { qos: mqtt.AT_LEAST_ONCE }).sendasync((result) => {
          log.push(`The message was ${result != 0 ? 'not ' : ''}published`, `Error code ${result}`);
          resolve();
        }),
      );
      await conn.expect('publish');
      conn.close();
      await within(done, 'the sendasync callback');
      expect(log).toEqual(['The message was not published', 'Error code -11']);
      await lost.waitForCount(1);
      expect(lost.args).toEqual([[-1]]);
    } finally {
      await fake.stop();
    }
  });

  it('impUrl keeps the imp schemes (tcp:// for mqtt://)', () => {
    expect(impUrl('mqtt://127.0.0.1:1')).toBe('tcp://127.0.0.1:1');
    expect(impUrl('mqtts://127.0.0.1:1')).toBe('ssl://127.0.0.1:1');
  });
});
