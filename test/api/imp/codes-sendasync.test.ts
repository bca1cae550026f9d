/**
 * The imp API's sendasync() completion by delivery mode against the scripted fake broker
 * [imp §3.1, §9.6]: 0 once written (QoS 0), on PUBACK (QoS 1) or PUBCOMP (QoS 2); -11 for
 * publishes in flight when the connection drops, -3 for one queued behind maxInflight, -12 past
 * maxBuffered.
 */
import { describe, expect, it } from 'vitest';
import { mqtt } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, sleep } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('sendasync() completion by delivery mode [imp §3.1, §9.6]', () => {
  it('QoS 0: 0 once written; the PUBLISH carries QoS 0, no retain by default', async () => {
    const { client, conn } = await fx.connected('codes');
    const results = new Calls<[number]>();
    client.createmessage('q0', 'zero').sendasync((rc) => results.record(rc));
    await results.waitForCount(1);
    expect(results.args).toEqual([[0]]);
    const publish = await conn.expect('publish');
    expect(publish).toMatchObject({ topic: 'q0', qos: 0, retain: false, dup: false });
    expect(new TextDecoder().decode(publish.payload)).toBe('zero');
  });

  it('QoS 1: 0 only on PUBACK', async () => {
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes');
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
    const { client, conn } = await fx.connected('codes', { maxInflight: 1 });
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
    const { client, conn } = await fx.connected('codes', { maxInflight: 1, maxBuffered: 1 });
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
    const { client, conn } = await fx.connected('codes');
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
