/**
 * The imp API's subscribe() and unsubscribe() result codes against the scripted fake broker:
 * subscribe's synchronous return and its callback by declared arity (qosMode, 0x80 per refused
 * filter) [imp §2.9, §9.3, §9.8], the refusals that send nothing (-5 to -9), a connection lost
 * before SUBACK, and unsubscribe's all-or-nothing callback [imp §2.10].
 */
import { describe, expect, it } from 'vitest';
import { OperationResult, mqtt } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, sleep } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('subscribe() [imp §2.9, §9.3, §9.8]', () => {
  it('returns 0 and a function(qosMode) callback gets the granted QoS as one integer', async () => {
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
    const outcome: string[] = [];
    client.subscribe('forbidden', 1, function (qosMode: number | number[]) {
      outcome.push((qosMode as number) < 0x80 ? 'subscribed' : 'not subscribed');
    });
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0x80] });
    await expect.poll(() => outcome).toEqual(['not subscribed']);
  });

  it('returns -9 for a bad QoS, -8 for a bad filter, -5 for bad UTF-8; nothing is sent', async () => {
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
    const results = new Calls<[number]>();
    client.unsubscribe(['a', 'b'], (rc) => results.record(rc));
    await conn.expect('unsubscribe');
    conn.close();
    await results.waitForCount(1);
    expect(results.args).toEqual([[-1]]);
  });
});
