/**
 * The imp API's synchronous throws (imp-api.md §9.4) other than connect()'s (those are in
 * throws-connect.test.ts): the mqtt object's constants; subscribe/unsubscribe/sendasync while
 * not connected; more than 10 topics; payloads over 256 KB; bad topics and QoS at
 * createmessage(); non-function handlers; and the optional one-instance-per-agent rule (§1.2,
 * §9.9). Everything runs against the scripted fake fx.broker, so every state is reached
 * deterministically.
 */
import { describe, expect, it } from 'vitest';
import { MqttError, createMqtt, mqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, connectFake, impUrl, throwsCode, within } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('mqtt object [imp §1.1, §9.14]', () => {
  it('carries the QoS constants 0, 1, 2 and cannot be modified', () => {
    expect([mqtt.AT_MOST_ONCE, mqtt.AT_LEAST_ONCE, mqtt.EXACTLY_ONCE]).toEqual([0, 1, 2]);
    expect(Object.isFrozen(mqtt)).toBe(true);
    const agent = createMqtt();
    expect([agent.AT_MOST_ONCE, agent.AT_LEAST_ONCE, agent.EXACTLY_ONCE]).toEqual([0, 1, 2]);
  });

  it('createclient() takes no arguments (the config is an optional extension)', () => {
    const client = mqtt.createclient();
    fx.adopt(client);
    expect(client.connectionstate()).toBe(0);
    expect(client.isconnected()).toBe(false);
  });
});

describe('operations need a connected client [imp §2.9, §2.10, §3.1, §9.4]', () => {
  async function expectAllThrow(client: ImpMqttClient): Promise<void> {
    const message = client.createmessage('t', 'body'); // creating is always allowed
    throwsCode(() => message.sendasync(), 'NOT_CONNECTED');
    throwsCode(() => message.sendasync(() => {}), 'NOT_CONNECTED');
    throwsCode(() => client.subscribe('t'), 'NOT_CONNECTED');
    throwsCode(() => client.subscribe('t', 1, () => {}), 'NOT_CONNECTED');
    throwsCode(() => client.unsubscribe('t'), 'NOT_CONNECTED');
  }

  it('before the first connect()', async () => {
    await expectAllThrow(fx.device());
  });

  it('while connecting', async () => {
    const client = fx.device();
    client.connect(impUrl(fx.broker.url), 'c');
    await expectAllThrow(client);
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    await expectAllThrow(client); // CONNECT sent, CONNACK not yet in
  });

  it('while disconnecting and after disconnect()', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'c');
    const done = new Promise<void>((resolve) => client.disconnect(() => resolve()));
    expect(client.connectionstate()).toBe(3);
    await expectAllThrow(client);
    await conn.expect('disconnect');
    await within(done, 'disconnect callback');
    await expectAllThrow(client);
  });

  it('after the connection was lost', async () => {
    const client = fx.device();
    const lost = new Calls<[number]>();
    client.onconnectionlost((reason) => lost.record(reason));
    const { conn } = await connectFake(fx.broker, client, 'c');
    conn.close();
    await lost.waitForCount(1);
    await expectAllThrow(client);
  });
});

describe('topic counts [imp §2.9, §2.10, §4]', () => {
  it('subscribe() and unsubscribe() throw for more than 10 topics; 10 are fine', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'n');
    const eleven = Array.from({ length: 11 }, (_, i) => `t/${i}`);
    throwsCode(() => client.subscribe(eleven), 'TOO_MANY_TOPICS');
    throwsCode(() => client.subscribe(eleven, 0, () => {}), 'TOO_MANY_TOPICS');
    throwsCode(() => client.unsubscribe(eleven), 'TOO_MANY_TOPICS');
    throwsCode(() => client.subscribe([]), 'NO_TOPICS');
    throwsCode(() => client.unsubscribe([]), 'NO_TOPICS');
    expect(client.subscribe(eleven.slice(0, 10))).toBe(0);
    const sub = await conn.expect('subscribe');
    expect(sub.subscriptions).toHaveLength(10);
    client.unsubscribe(eleven.slice(0, 10));
    const unsub = await conn.expect('unsubscribe');
    expect(unsub.topics).toHaveLength(10);
  });

  it('the limit is the maxTopics config option', async () => {
    const client = fx.device({ maxTopics: 2 });
    await connectFake(fx.broker, client, 'n');
    throwsCode(() => client.subscribe(['a', 'b', 'c']), 'TOO_MANY_TOPICS');
    expect(client.subscribe(['a', 'b'])).toBe(0);
  });

  it('unsubscribe() throws for an invalid filter (it returns nothing, so it cannot return a code)', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'n');
    expect(() => client.unsubscribe('a/#/b')).toThrow(MqttError);
    expect(() => client.unsubscribe(['ok', 'a+'])).toThrow(MqttError);
    expect(() => client.unsubscribe('')).toThrow(MqttError);
    // Typed errors, not the UTF-8 decoder's TypeError nor a payload's message [MQTT-1.5.3-1] (found in review).
    throwsCode(() => client.unsubscribe(new Uint8Array([0xff])), 'INVALID_UTF8');
    throwsCode(() => client.unsubscribe(null as never), 'INVALID_ARGUMENT');
    throwsCode(() => client.unsubscribe(['ok', undefined] as never), 'INVALID_ARGUMENT');
    // Nothing reached the broker for the refused calls.
    client.unsubscribe('fine/+');
    expect((await conn.expect('unsubscribe')).topics).toEqual(['fine/+']);
  });
});

describe('createmessage() [imp §2.11, §9.4]', () => {
  it('may be called while disconnected; defaults to QoS 0 without retain', () => {
    const client = fx.device();
    const message = client.createmessage('a/b', 'hello');
    expect(message.qos).toBe(0);
    expect(message.retain).toBe(false);
    expect(message.topic).toBe('a/b');
    expect(new TextDecoder().decode(message.payload)).toBe('hello');
    const options = client.createmessage('a/b', new Uint8Array([1, 2]), { qos: mqtt.EXACTLY_ONCE, retain: true });
    expect(options.qos).toBe(2);
    expect(options.retain).toBe(true);
  });

  it('throws for a payload over 256 KB; exactly 256 KB is accepted', () => {
    const client = fx.device();
    expect(client.createmessage('big', new Uint8Array(256 * 1024)).payload.length).toBe(262_144);
    expect(() => client.createmessage('big', 'x'.repeat(256 * 1024))).not.toThrow();
    throwsCode(() => client.createmessage('big', new Uint8Array(256 * 1024 + 1)), 'PAYLOAD_TOO_LARGE');
    // The limit counts bytes: 87,382 three-byte characters are 262,146 bytes.
    throwsCode(() => client.createmessage('big', '€'.repeat(87_382)), 'PAYLOAD_TOO_LARGE');
  });

  it('the payload limit is the maxPayloadSize config option', () => {
    const client = fx.device({ maxPayloadSize: 4 });
    expect(() => client.createmessage('t', 'four')).not.toThrow();
    throwsCode(() => client.createmessage('t', 'fives'), 'PAYLOAD_TOO_LARGE');
  });

  it('throws for a bad topic or QoS', () => {
    const client = fx.device();
    for (const topic of ['', 'a/+', 'a/#', '#', 'nul\u0000']) {
      expect(() => client.createmessage(topic, 'x'), JSON.stringify(topic)).toThrow(MqttError);
    }
    throwsCode(() => client.createmessage(new Uint8Array([0xc3, 0x28]), 'x'), 'INVALID_UTF8'); // [MQTT-1.5.3-1]
    throwsCode(() => client.createmessage(null as never, 'x'), 'INVALID_ARGUMENT');
    for (const qos of [3, -1, 1.5]) throwsCode(() => client.createmessage('t', 'x', { qos }), 'INVALID_QOS');
  });

  it('throws INVALID_OPTIONS for options that are not a table: the bare QoS integer of the 2018 API would otherwise send at QoS 0 [imp §2.11, §8] (found in review)', () => {
    const client = fx.device();
    for (const options of [1, 2, 'qos', true, null]) {
      throwsCode(() => client.createmessage('t', 'x', options as never), 'INVALID_OPTIONS');
    }
    expect(client.createmessage('t', 'x', { qos: 2 }).qos).toBe(2);
    expect(client.createmessage('t', 'x', undefined).qos).toBe(0);
  });

  it("[MQTT-3.3.1-5] throws INVALID_OPTIONS for a retain that is not a boolean ('false' would retain the message)", () => {
    const client = fx.device();
    for (const retain of ['false', 0, 1, '']) throwsCode(() => client.createmessage('t', 'x', { retain: retain as never }), 'INVALID_OPTIONS');
    expect(client.createmessage('t', 'x', { retain: null as never }).retain).toBe(false);
  });
});

describe('handler registration [imp §2.6–2.8, §9.2]', () => {
  it('onconnect, onconnectionlost and onmessage throw for anything but a function or null', () => {
    const client = fx.device();
    for (const bad of [42, 'f', {}, true]) {
      throwsCode(() => (client.onconnect as (x: unknown) => void)(bad), 'INVALID_HANDLER');
      throwsCode(() => (client.onconnectionlost as (x: unknown) => void)(bad), 'INVALID_HANDLER');
      throwsCode(() => (client.onmessage as (x: unknown) => void)(bad), 'INVALID_HANDLER');
    }
    expect(() => client.onconnect(null)).not.toThrow();
    expect(() => client.onconnectionlost(null)).not.toThrow();
    expect(() => client.onmessage(null)).not.toThrow();
  });

  it('per-call callbacks too: sendasync, subscribe, unsubscribe, disconnect and close refuse a non-function at the call, so nothing is thrown later from the network (found in review)', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'bad-callbacks');
    const uncaught: unknown[] = [];
    const record = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      for (const bad of [42, 'nope', {}]) {
        throwsCode(() => client.createmessage('t', 'x').sendasync(bad as never), 'INVALID_HANDLER');
        throwsCode(() => client.subscribe('t', 0, bad as never), 'INVALID_HANDLER');
        throwsCode(() => client.unsubscribe('t', bad as never), 'INVALID_HANDLER');
        throwsCode(() => client.disconnect(bad as never), 'INVALID_HANDLER');
        throwsCode(() => client.close(bad as never), 'INVALID_HANDLER');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(conn.received.map((p) => p.type)).toEqual(['connect']); // nothing was sent for a refused call
      expect(client.isconnected()).toBe(true);
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
  });
});

describe('one instance per agent (configurable) [imp §1.2, §9.9]', () => {
  it('by default any number of clients may exist (D-create)', () => {
    const agent = createMqtt();
    const a = agent.createclient();
    const b = agent.createclient();
    fx.adopt(a, b);
    expect(a).not.toBe(b);
  });

  it('with singleInstance, createclient() throws while another instance lives, until its close()', async () => {
    const agent = createMqtt({ singleInstance: true });
    const first = agent.createclient();
    fx.adopt(first);
    throwsCode(() => agent.createclient(), 'CLIENT_EXISTS');
    // Other agents are unaffected.
    fx.adopt(createMqtt({ singleInstance: true }).createclient());

    const { conn } = await connectFake(fx.broker, first, 'single');
    throwsCode(() => agent.createclient(), 'CLIENT_EXISTS');
    const closed = new Promise<void>((resolve) => first.close(() => resolve()));
    await conn.expect('disconnect');
    conn.close();
    await within(closed, 'close() callback');
    const second = agent.createclient();
    fx.adopt(second);
    await connectFake(fx.broker, second, 'single-2');
    expect(second.isconnected()).toBe(true);
  });

  it('close() on a never-connected instance releases it at once (asynchronously)', async () => {
    const agent = createMqtt({ singleInstance: true });
    const first = agent.createclient();
    const closed = new Promise<void>((resolve) => first.close(() => resolve()));
    throwsCode(() => agent.createclient(), 'CLIENT_EXISTS');
    await within(closed, 'close() callback');
    fx.adopt(agent.createclient());
  });
});
