/**
 * The imp API's result codes, each in its own code space [imp §9.1]: onconnect (-1 or CONNACK
 * 0–5) [imp §2.6], subscribe's synchronous return and its callback by declared arity
 * [imp §2.9, §9.3, §9.8], unsubscribe's all-or-nothing callback [imp §2.10], and sendasync's
 * delivery-mode-aware completion with 0 / -3 / -11 / -12 [imp §3.1, §9.6]. Against the
 * scripted fake broker (and refused ports / bad TLS for the socket failures).
 */
import { describe, expect, it } from 'vitest';
import { ConnectResult, ConnectionLostReason, OperationResult, SUBSCRIPTION_REFUSED, mqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { certs } from '../../support/certs.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeConnection } from '../../support/fake-broker.js';
import { deadPort } from '../../support/ports.js';
import { Calls, fakeBrokerPerTest, connectFake, connectImp, impUrl, newDevice, sleep, within } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('the three code spaces are separate tables [imp §9.1]', () => {
  it('exports each space under its own name, with the documented values', () => {
    expect(ConnectResult).toEqual({
      SOCKET_ERROR: -1,
      ACCEPTED: 0,
      UNACCEPTABLE_PROTOCOL_VERSION: 1,
      IDENTIFIER_REJECTED: 2,
      SERVER_UNAVAILABLE: 3,
      BAD_USERNAME_OR_PASSWORD: 4,
      NOT_AUTHORIZED: 5,
    });
    expect(ConnectionLostReason).toEqual({ SOCKET: -1, INBOUND_RATE_EXCEEDED: -2, INBOUND_MESSAGE_TOO_LARGE: -3, MALFORMED_FRAME: -4 });
    // Every code sendasync/subscribe can report has its name here (-13 came with undeliverableAfter).
    expect(OperationResult).toEqual({
      SUCCESS: 0,
      FAILURE: -1,
      DISCONNECTED: -3,
      OUTBOUND_RATE_EXCEEDED: -4,
      BAD_UTF8_STRING: -5,
      NULL_PARAMETER: -6,
      TOPICNAME_TRUNCATED: -7,
      BAD_STRUCTURE: -8,
      BAD_QOS: -9,
      NO_MORE_MESSAGE_IDS: -10,
      OPERATION_INCOMPLETE: -11,
      MAX_BUFFERED_MESSAGES: -12,
      UNDELIVERABLE: -13,
    });
    expect(SUBSCRIPTION_REFUSED).toBe(0x80);
  });
});

describe('onconnect result codes [imp §2.6]', () => {
  it('CONNACK return codes 1–5 arrive as 1–5, and the client ends disconnected', async () => {
    for (const returnCode of [1, 2, 3, 4, 5]) {
      const client = fx.device();
      const lost = new Calls<[number]>();
      client.onconnectionlost((r: number) => lost.record(r));
      const rc = connectImp(client, impUrl(fx.broker.url), `refused-${returnCode}`);
      await fx.broker.acceptNext({ returnCode });
      expect(await rc).toBe(returnCode);
      await expect.poll(() => client.connectionstate()).toBe(0);
      expect(lost.count).toBe(0); // a refused attempt is not a lost connection
    }
  });

  it('-1 when nothing listens on the port', async () => {
    const port = await deadPort();
    const client = fx.device();
    expect(await connectImp(client, `tcp://127.0.0.1:${port}`, 'nobody')).toBe(-1);
    expect(client.connectionstate()).toBe(0);
  });

  it('-1 when the broker closes the socket before CONNACK', async () => {
    const client = fx.device();
    const rc = connectImp(client, impUrl(fx.broker.url), 'hangup');
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    conn.close();
    expect(await rc).toBe(-1);
  });

  it('-1 when no CONNACK comes within connecttimeout', async () => {
    const client = fx.device();
    const rc = connectImp(client, impUrl(fx.broker.url), 'slow', { connecttimeout: 200 });
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    expect(await rc).toBe(-1);
    await within(conn.closed, 'the client hanging up');
  });

  it('-1 for a TLS failure (untrusted certificate); 0 over ssl:// with the right CA', async () => {
    const tlsBroker = await startFakeBroker({ tls: true, autoPingresp: true });
    fx.track(tlsBroker);
    const url = impUrl(tlsBroker.url);
    expect(url.startsWith('ssl://')).toBe(true);
    const untrusting = fx.device();
    expect(await connectImp(untrusting, url, 'tls-bad')).toBe(-1);
    const trusting = fx.device();
    const rc = connectImp(trusting, url, 'tls-good', { tls: { ca: certs.caCert } });
    await tlsBroker.acceptNext();
    expect(await rc).toBe(0);
    expect(trusting.url()).toBe(url);
  });
});

/** A connected client and its broker connection. */
async function connected(config: Parameters<typeof newDevice>[0] = {}): Promise<{ client: ImpMqttClient; conn: FakeConnection }> {
  const client = fx.device(config);
  const { conn } = await connectFake(fx.broker, client, 'codes');
  return { client, conn };
}

describe('subscribe() [imp §2.9, §9.3, §9.8]', () => {
  it('returns 0 and a function(qosMode) callback gets the granted QoS as one integer', async () => {
    const { client, conn } = await connected();
    const calls: unknown[][] = [];
    const rc = client.subscribe('a/b', mqtt.AT_LEAST_ONCE, function (qosMode: number | number[]) {
      calls.push([...arguments]);
      void qosMode;
    });
    expect(rc).toBe(0);
    const sub = await conn.expect('subscribe');
    expect(sub.subscriptions).toEqual([{ topic: 'a/b', qos: 1 }]);
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1] });
    await expect.poll(() => calls).toEqual([[1]]);
  });

  it('a function(rc, qosMode) callback gets (0, granted)', async () => {
    const { client, conn } = await connected();
    const calls: unknown[][] = [];
    client.subscribe('a/b', 2, function (resultCode: number, qosMode: number | number[]) {
      calls.push([...arguments]);
      void resultCode;
      void qosMode;
    });
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0] }); // downgraded by the broker
    await expect.poll(() => calls).toEqual([[0, 0]]);
  });

  it('a function(err, qos = null) callback, as EI\'s Azure library declares it for subscribe and unsubscribe, gets (0, granted); q => f(q, x) still gets qosMode alone [imp §2.9, §2.10, §7b, §9.3] (found in review)', async () => {
    const { client, conn } = await connected();
    const azure: unknown[][] = [];
    const shared = function (err: number, qos: number | number[] | null = null) {
      azure.push([err, qos]);
    };
    client.subscribe('devices/d/messages/devicebound/#', mqtt.AT_LEAST_ONCE, shared);
    let sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1] });
    await expect.poll(() => azure).toEqual([[0, 1]]); // not [[1, null]]: err 1 would read as a failure
    client.unsubscribe('devices/d/messages/devicebound/#', shared);
    const unsub = await conn.expect('unsubscribe');
    await conn.send({ type: 'unsuback', packetId: unsub.packetId });
    await expect.poll(() => azure).toEqual([[0, 1], [0, null]]);
    // One parameter without parentheses, a call with two arguments in its body: one parameter.
    const arrow: unknown[][] = [];
    client.subscribe('a/b', 2, (q: number | number[]) => arrow.push([q, 'x']));
    client.subscribe('c/d', 2, (q => arrow.push([q, 'y'])) as (q: number | number[]) => void);
    for (let i = 0; i < 2; i++) {
      sub = await conn.expect('subscribe');
      await conn.send({ type: 'suback', packetId: sub.packetId, granted: [2] });
    }
    await expect.poll(() => arrow).toEqual([[2, 'x'], [2, 'y']]);
  });

  it('qos may be omitted with the callback second: requests QoS 0', async () => {
    const { client, conn } = await connected();
    const granted = new Calls<[number | number[]]>();
    expect(client.subscribe('x', (qosMode: number | number[]) => granted.record(qosMode))).toBe(0);
    const sub = await conn.expect('subscribe');
    expect(sub.subscriptions).toEqual([{ topic: 'x', qos: 0 }]);
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0] });
    await granted.waitForCount(1);
    expect(granted.args).toEqual([[0]]);
    // And with no callback at all.
    expect(client.subscribe('y')).toBe(0);
    expect((await conn.expect('subscribe')).subscriptions).toEqual([{ topic: 'y', qos: 0 }]);
  });

  it('an array of topics gives an array of qosMode in request order, 0x80 per refused filter [MQTT-3.9.3-1]', async () => {
    const { client, conn } = await connected();
    const one = new Calls<[number | number[]]>();
    const two = new Calls<[number, number | number[]]>();
    client.subscribe(['a', 'b/+', 'c/#'], [0, 1, 2], (qosMode: number | number[]) => one.record(qosMode));
    const first = await conn.expect('subscribe');
    expect(first.subscriptions).toEqual([
      { topic: 'a', qos: 0 },
      { topic: 'b/+', qos: 1 },
      { topic: 'c/#', qos: 2 },
    ]);
    await conn.send({ type: 'suback', packetId: first.packetId, granted: [0, 0x80, 2] });
    await one.waitForCount(1);
    expect(one.args).toEqual([[[0, 0x80, 2]]]);

    client.subscribe(['d'], 1, (rc: number, qosMode: number | number[]) => two.record(rc, qosMode));
    const second = await conn.expect('subscribe');
    expect(second.subscriptions).toEqual([{ topic: 'd', qos: 1 }]); // one QoS applies to every topic
    await conn.send({ type: 'suback', packetId: second.packetId, granted: [0x80] });
    await two.waitForCount(1);
    // An array of one topic is still an array; a refusal is a granted code, not a failed request.
    expect(two.args).toEqual([[0, [0x80]]]);
  });

  it('a single refused filter gives qosMode 0x80 (the doc pattern: qosMode < 0x80 means subscribed)', async () => {
    const { client, conn } = await connected();
    const outcome: string[] = [];
    client.subscribe('forbidden', 1, function (qosMode: number | number[]) {
      outcome.push((qosMode as number) < 0x80 ? 'subscribed' : 'not subscribed');
    });
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0x80] });
    await expect.poll(() => outcome).toEqual(['not subscribed']);
  });

  it('returns -9 for a bad QoS, -8 for a bad filter, -5 for bad UTF-8; nothing is sent', async () => {
    const { client, conn } = await connected();
    const cb = new Calls<unknown[]>();
    expect(client.subscribe('t', 3, () => cb.record())).toBe(-9);
    expect(client.subscribe('t', -1)).toBe(-9);
    expect(client.subscribe(['t', 'u'], [1, 5])).toBe(-9);
    expect(client.subscribe('a/#/b', 0, () => cb.record())).toBe(-8);
    expect(client.subscribe('a+', 0)).toBe(-8);
    expect(client.subscribe('', 0)).toBe(-8);
    expect(client.subscribe(['ok', 'bad#'], 0)).toBe(-8);
    expect(client.subscribe(new Uint8Array([0x61, 0xff]), 0, () => cb.record())).toBe(-5);
    expect(client.subscribe('lone\ud800surrogate', 0)).toBe(-5);
    await sleep(20);
    expect(conn.pending).toEqual([]);
    expect(cb.count).toBe(0); // a refused request has no callback
    // Blobs are accepted as topics when they are UTF-8.
    expect(client.subscribe(new TextEncoder().encode('blob/topic'), 1)).toBe(0);
    expect((await conn.expect('subscribe')).subscriptions).toEqual([{ topic: 'blob/topic', qos: 1 }]);
  });

  it('returns -6 (NULL_PARAMETER) for a null or missing topic, alone or in an array, not -5 (bad UTF-8); nothing is sent [imp §1.3, §2.9] (found in review)', async () => {
    const { client, conn } = await connected();
    const cb = new Calls<unknown[]>();
    expect(OperationResult.NULL_PARAMETER).toBe(-6);
    expect(client.subscribe(null as never, 0, () => cb.record())).toBe(-6);
    expect(client.subscribe(undefined as never)).toBe(-6);
    expect(client.subscribe(['ok', null] as never, 1)).toBe(-6);
    expect(client.subscribe([undefined, 'ok'] as never)).toBe(-6);
    await sleep(20);
    expect(conn.pending).toEqual([]);
    expect(cb.count).toBe(0);
  });

  it('returns -7 (TOPICNAME_TRUNCATED, "contains embedded NULs") for a filter holding U+0000, string or blob; nothing is sent (found in review)', async () => {
    const { client, conn } = await connected();
    const cb = new Calls<unknown[]>();
    // U+0000 is valid UTF-8, so not -5: the imp's code for embedded NULs is -7 [imp §1.3].
    expect(OperationResult.TOPICNAME_TRUNCATED).toBe(-7);
    expect(client.subscribe('a\u0000b', 0, () => cb.record())).toBe(-7);
    expect(client.subscribe(new Uint8Array([0x61, 0x00, 0x62]), 0)).toBe(-7);
    expect(client.subscribe(['ok', 'nul\u0000'], 0)).toBe(-7);
    await sleep(20);
    expect(conn.pending).toEqual([]);
    expect(cb.count).toBe(0);
  });

  it('a connection lost before SUBACK: rc -11 and qosMode 0x80 (an array of them for an array)', async () => {
    const { client, conn } = await connected();
    const single = new Calls<[number, number | number[]]>();
    const many = new Calls<[number | number[]]>();
    client.subscribe('s', 1, (rc: number, qosMode: number | number[]) => single.record(rc, qosMode));
    client.subscribe(['m1', 'm2'], 1, (qosMode: number | number[]) => many.record(qosMode));
    await conn.expect('subscribe');
    await conn.expect('subscribe');
    conn.close();
    await single.waitForCount(1);
    await many.waitForCount(1);
    expect(single.args).toEqual([[-11, 0x80]]);
    expect(many.args).toEqual([[[0x80, 0x80]]]);
  });

  it('a SUBACK with the wrong number of codes: rc -1, qosMode 0x80, connection dropped -4 [MQTT-3.8.4-5]', async () => {
    const { client, conn } = await connected();
    const result = new Calls<[number, number | number[]]>();
    const lost = new Calls<[number]>();
    client.onconnectionlost((r: number) => lost.record(r));
    client.subscribe(['a', 'b'], 0, (rc: number, qosMode: number | number[]) => result.record(rc, qosMode));
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0] });
    await result.waitForCount(1);
    expect(result.args).toEqual([[-1, [0x80, 0x80]]]);
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-4]]);
  });
});

describe('unsubscribe() [imp §2.10, §9.8]', () => {
  it('returns nothing; cb(0) on UNSUBACK for one topic or several', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    expect(client.unsubscribe('a', (rc) => results.record(rc))).toBeUndefined();
    const first = await conn.expect('unsubscribe');
    expect(first.topics).toEqual(['a']);
    client.unsubscribe(['b/+', 'c/#'], (rc) => results.record(rc));
    const second = await conn.expect('unsubscribe');
    expect(second.topics).toEqual(['b/+', 'c/#']);
    await conn.send({ type: 'unsuback', packetId: second.packetId });
    await conn.send({ type: 'unsuback', packetId: first.packetId });
    await results.waitForCount(2);
    expect(results.args).toEqual([[0], [0]]);
    client.unsubscribe('no-callback');
    await conn.expect('unsubscribe');
  });

  it('cb(-1) when the request did not complete (connection lost before UNSUBACK)', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    client.unsubscribe(['a', 'b'], (rc) => results.record(rc));
    await conn.expect('unsubscribe');
    conn.close();
    await results.waitForCount(1);
    expect(results.args).toEqual([[-1]]);
  });
});

describe('sendasync() completion by delivery mode [imp §3.1, §9.6]', () => {
  it('QoS 0: 0 once written; the PUBLISH carries QoS 0, no retain by default', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    client.createmessage('q0', 'zero').sendasync((rc) => results.record(rc));
    await results.waitForCount(1);
    expect(results.args).toEqual([[0]]);
    const publish = await conn.expect('publish');
    expect(publish).toMatchObject({ topic: 'q0', qos: 0, retain: false, dup: false });
    expect(new TextDecoder().decode(publish.payload)).toBe('zero');
  });

  it('QoS 1: 0 only on PUBACK', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    client.createmessage('q1', 'one', { qos: mqtt.AT_LEAST_ONCE, retain: true }).sendasync((rc) => results.record(rc));
    const publish = await conn.expect('publish');
    expect(publish).toMatchObject({ topic: 'q1', qos: 1, retain: true, dup: false });
    await sleep(20);
    expect(results.count).toBe(0);
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    await results.waitForCount(1);
    expect(results.args).toEqual([[0]]);
  });

  it('QoS 2: not on PUBREC, 0 on PUBCOMP', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    client.createmessage('q2', 'two', { qos: mqtt.EXACTLY_ONCE }).sendasync((rc) => results.record(rc));
    const publish = await conn.expect('publish');
    expect(publish.qos).toBe(2);
    await conn.send({ type: 'pubrec', packetId: publish.packetId! });
    expect(await conn.expect('pubrel')).toEqual({ type: 'pubrel', packetId: publish.packetId });
    await sleep(20);
    expect(results.count).toBe(0);
    await conn.send({ type: 'pubcomp', packetId: publish.packetId! });
    await results.waitForCount(1);
    expect(results.args).toEqual([[0]]);
  });

  it('a message may be sent more than once: each send is its own PUBLISH and callback', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[string, number]>();
    const message = client.createmessage('again', 'same', { qos: 1 });
    message.sendasync((rc) => results.record('first', rc));
    message.sendasync((rc) => results.record('second', rc));
    message.sendasync(); // no callback
    const publishes = [await conn.expect('publish'), await conn.expect('publish'), await conn.expect('publish')];
    const ids = publishes.map((p) => p.packetId!);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids.reverse()) await conn.send({ type: 'puback', packetId: id });
    await results.waitForCount(2);
    await sleep(20);
    expect(results.args.sort()).toEqual([
      ['first', 0],
      ['second', 0],
    ]);
  });

  it('-11 for publishes in flight when the connection drops; each callback fires once', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[string, number]>();
    client.createmessage('a', '1', { qos: 1 }).sendasync((rc) => results.record('qos1', rc));
    client.createmessage('b', '2', { qos: 2 }).sendasync((rc) => results.record('qos2', rc));
    await conn.expect('publish');
    const q2 = await conn.expect('publish');
    await conn.send({ type: 'pubrec', packetId: q2.packetId! }); // QoS 2 at the PUBREL stage
    await conn.expect('pubrel');
    conn.close();
    await results.waitForCount(2);
    await sleep(20);
    expect(results.args.sort()).toEqual([
      ['qos1', -11],
      ['qos2', -11],
    ]);
  });

  it('-3 for a publish queued behind maxInflight when the connection drops', async () => {
    const { client, conn } = await connected({ maxInflight: 1 });
    const results = new Calls<[string, number]>();
    client.createmessage('a', 'in flight', { qos: 1 }).sendasync((rc) => results.record('inflight', rc));
    client.createmessage('b', 'queued', { qos: 1 }).sendasync((rc) => results.record('queued', rc));
    await conn.expect('publish');
    await sleep(20);
    expect(conn.pending).toEqual([]); // the second waits for a slot
    conn.close();
    await results.waitForCount(2);
    expect(results.args.sort()).toEqual([
      ['inflight', -11],
      ['queued', -3],
    ]);
  });

  it('a queued publish goes out when a slot frees; -12 past maxBuffered', async () => {
    const { client, conn } = await connected({ maxInflight: 1, maxBuffered: 1 });
    const results = new Calls<[string, number]>();
    client.createmessage('a', '1', { qos: 1 }).sendasync((rc) => results.record('first', rc));
    client.createmessage('b', '2', { qos: 1 }).sendasync((rc) => results.record('second', rc));
    client.createmessage('c', '3', { qos: 1 }).sendasync((rc) => results.record('third', rc));
    await results.waitForCount(1);
    expect(results.args).toEqual([['third', -12]]);
    const first = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: first.packetId! });
    const second = await conn.expect('publish');
    expect(second.topic).toBe('b');
    await conn.send({ type: 'puback', packetId: second.packetId! });
    await results.waitForCount(3);
    expect(results.args).toEqual([
      ['third', -12],
      ['first', 0],
      ['second', 0],
    ]);
  });

  it('an unknown PUBACK is ignored, and the real one still completes the send', async () => {
    const { client, conn } = await connected();
    const results = new Calls<[number]>();
    client.createmessage('a', '1', { qos: 1 }).sendasync((rc) => results.record(rc));
    const publish = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: publish.packetId! === 1 ? 2 : 1 });
    await sleep(20);
    expect(results.count).toBe(0);
    expect(client.isconnected()).toBe(true);
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    await results.waitForCount(1);
    expect(results.args).toEqual([[0]]);
  });
});
