/**
 * The imp API's synchronous throws (imp-api.md §9.4): connect() while not fully disconnected or
 * while another client of the agent is connected, client IDs outside 1–255, keepalive outside
 * {0} ∪ [30, 65535], bad URL schemes; subscribe/unsubscribe/sendasync while not connected; more
 * than 10 topics; payloads over 256 KB; bad topics and QoS at createmessage(); non-function
 * handlers; and the optional one-instance-per-agent rule (§1.2, §9.9). Everything runs against
 * the scripted fake fx.broker, so every state is reached deterministically.
 */
import { describe, expect, it } from 'vitest';
import { MqttError, createMqtt, mqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, connectFake, disconnectFake, impUrl, within } from './helpers.js';

/** Runs `fn`, expecting an MqttError with `code`. */
function throwsCode(fn: () => unknown, code: string): MqttError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected MqttError ${code}`).toBeInstanceOf(MqttError);
  expect((caught as MqttError).code).toBe(code);
  return caught as MqttError;
}

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

describe('connect() throws when the client is not disconnected [imp §2.1, §9.4, §9.10]', () => {
  it('while connecting (state 1)', async () => {
    const client = fx.device();
    client.connect(impUrl(fx.broker.url), 'a');
    expect(client.connectionstate()).toBe(1);
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'a'), 'INVALID_STATE');
    // The attempt under way is not disturbed by the refused call.
    const rc = new Calls<[number]>();
    client.onconnect((code) => rc.record(code));
    await fx.broker.acceptNext();
    await rc.waitForCount(1);
    expect(rc.args).toEqual([[0]]);
  });

  it('while connected (state 2)', async () => {
    const client = fx.device();
    await connectFake(fx.broker, client, 'a');
    expect(client.connectionstate()).toBe(2);
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'a'), 'INVALID_STATE');
    expect(client.isconnected()).toBe(true);
  });

  it('while disconnecting (state 3); connect() inside the disconnect callback succeeds', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'first');
    const order: string[] = [];
    let reconnect: Promise<unknown> | undefined;
    client.disconnect(() => {
      order.push('disconnect callback');
      // The connection is fully closed now: connect() is allowed again.
      expect(client.connectionstate()).toBe(0);
      client.onconnect((rc) => order.push(`onconnect(${rc})`));
      client.connect(impUrl(fx.broker.url), 'second');
      order.push('connect() returned');
      reconnect = fx.broker.acceptNext();
    });
    expect(client.connectionstate()).toBe(3);
    const early = throwsCode(() => client.connect(impUrl(fx.broker.url), 'too-early'), 'INVALID_STATE');
    expect(early.message).toMatch(/disconnect/);
    await conn.expect('disconnect');
    await within(conn.closed, 'the first connection closing');
    await expect.poll(() => reconnect !== undefined).toBe(true);
    const second = (await reconnect) as { connect: { clientId: string } };
    expect(second.connect.clientId).toBe('second');
    await expect.poll(() => order).toEqual(['disconnect callback', 'connect() returned', 'onconnect(0)']);
    expect(client.id()).toBe('second');
  });

  it('when another client of the same agent is connected or connecting; not across agents', async () => {
    const agent = createMqtt();
    const first = agent.createclient();
    const second = agent.createclient();
    fx.adopt(first, second);
    first.connect(impUrl(fx.broker.url), 'first');
    // Still connecting: the slot is taken already.
    throwsCode(() => second.connect(impUrl(fx.broker.url), 'second'), 'ANOTHER_CLIENT_CONNECTED');
    const rc = new Calls<[number]>();
    first.onconnect((code) => rc.record(code));
    const { conn } = await fx.broker.acceptNext();
    await rc.waitForCount(1);
    throwsCode(() => second.connect(impUrl(fx.broker.url), 'second'), 'ANOTHER_CLIENT_CONNECTED');
    expect(second.connectionstate()).toBe(0);
    expect(second.id()).toBeNull();

    // A client of another agent (another device) connects regardless.
    const other = fx.device();
    await connectFake(fx.broker, other, 'other-agent');

    // Once the first has fully disconnected, the second may connect.
    await disconnectFake(first, conn);
    await connectFake(fx.broker, second, 'second');
    expect(second.isconnected()).toBe(true);
    // ...and now the first is the one refused.
    throwsCode(() => first.connect(impUrl(fx.broker.url), 'first'), 'ANOTHER_CLIENT_CONNECTED');
  });
});

describe('connect() argument checks [imp §2.1, §4, §9.4, §9.5]', () => {
  it('throws for a client ID of 0 or 256+ characters, or not a string; 1 and 255 are accepted', async () => {
    const client = fx.device();
    throwsCode(() => client.connect(impUrl(fx.broker.url), ''), 'INVALID_CLIENT_ID');
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'x'.repeat(256)), 'INVALID_CLIENT_ID');
    throwsCode(() => (client.connect as (url: string, id: unknown) => void)(impUrl(fx.broker.url), 42), 'INVALID_CLIENT_ID');
    expect(client.connectionstate()).toBe(0);
    expect(client.id()).toBeNull();
    expect(client.url()).toBeNull();

    const { conn, connect } = await connectFake(fx.broker, client, 'x');
    expect(connect.clientId).toBe('x');
    await disconnectFake(client, conn);
    const long = 'é'.repeat(255); // 255 characters (510 UTF-8 bytes): the rule counts characters
    const second = await connectFake(fx.broker, client, long);
    expect(second.connect.clientId).toBe(long);
  });

  it('throws for keepalive outside {0} ∪ [30, 65535] or not an integer; default 60', async () => {
    const client = fx.device();
    for (const keepalive of [-1, 1, 29, 65_536, 30.5, Number.NaN]) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'k', { keepalive }), 'INVALID_KEEPALIVE');
    }
    expect(client.connectionstate()).toBe(0);
    const seen: number[] = [];
    for (const keepalive of [undefined, 0, 30, 65_535]) {
      const { conn, connect } = await connectFake(fx.broker, client, 'k', keepalive === undefined ? {} : { keepalive });
      seen.push(connect.keepalive);
      await disconnectFake(client, conn);
    }
    expect(seen).toEqual([60, 0, 30, 65_535]);
  });

  it("[MQTT-3.1.2-4] throws INVALID_OPTIONS for a cleansession or willretain that is not a boolean ('false', 0), leaving the client untouched", () => {
    const client = fx.device();
    for (const value of ['false', 0, 1, '']) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'b', { cleansession: value as never }), 'INVALID_OPTIONS');
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'b', { willtopic: 'w', willretain: value as never }), 'INVALID_OPTIONS');
    }
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('throws INVALID_OPTIONS for options that are not a table (keepalive given bare, null), leaving the client untouched [imp §2.1] (found in review)', () => {
    const client = fx.device();
    for (const options of [60, 'keepalive', true, null]) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'o', options as never), 'INVALID_OPTIONS');
    }
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('[MQTT-1.5.3-1] throws INVALID_UTF8 for a user name or will topic given as a blob that is not UTF-8, naming the field, leaving the client untouched (found in review)', () => {
    const client = fx.device();
    const bad = new Uint8Array([0xc3, 0x28]);
    expect(throwsCode(() => client.connect(impUrl(fx.broker.url), 'u', { username: bad as never }), 'INVALID_UTF8').message).toContain('username');
    expect(throwsCode(() => client.connect(impUrl(fx.broker.url), 'u', { willtopic: bad as never }), 'INVALID_UTF8').message).toContain('will topic');
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('throws MqttError INVALID_URL for a bad scheme or a malformed URL, leaving the client untouched', () => {
    const client = fx.device();
    for (const url of ['http://127.0.0.1:1883', 'mqtt-sn://127.0.0.1', 'not a url', '']) {
      throwsCode(() => client.connect(url, 'u'), 'INVALID_URL');
    }
    expect(client.connectionstate()).toBe(0);
    expect(client.url()).toBeNull();
    expect(client.id()).toBeNull();
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
