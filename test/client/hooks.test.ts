/**
 * The engine's hooks for faces: inbound admission (refuse a packet before it is handled, so it is
 * never acknowledged), outbound admission (refuse a request with a result code before anything is
 * sent) and packetSent (accounting of every packet written).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError, ResultCode, encode } from '../support/internals.js';
import type { ClientHooks, Packet } from '../support/internals.js';
import { startFakeBroker } from '../support/fake-broker.js';
import { Cleanup, collectMessages, makeClient, publishAsync, settle, sleep, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function connected(hooks: ClientHooks) {
  const broker = cleanup.broker(await startFakeBroker());
  const client = makeClient(cleanup, { url: broker.url, clientId: 'hooks', keepalive: 0, hooks });
  const up = waitFor(client, 'connect');
  client.connect();
  const { conn } = await broker.acceptNext();
  await up;
  return { client, conn };
}

const publish = (packetId: number, topic = 'in'): Packet => ({ type: 'publish', topic, payload: new Uint8Array([packetId]), qos: 1, dup: false, retain: false, packetId });

describe('admitInbound', () => {
  it('a refused packet is neither delivered nor acknowledged; the connection closes with the refusal; the rest of that read is dropped', async () => {
    const error = new MqttError('INBOUND_RATE_EXCEEDED', 'too much');
    const seen: number[] = [];
    const { client, conn } = await connected({
      admitInbound: (packet) => {
        if (packet.type !== 'publish') return undefined;
        seen.push(packet.packetId!);
        return packet.packetId === 2 ? { reason: 'rate-exceeded', error } : undefined;
      },
    });
    const inbox = collectMessages(client);
    const closed = waitFor(client, 'close');
    // Three PUBLISHes in one write: 1 is admitted, 2 refused, 3 never looked at.
    await conn.sendRaw(Buffer.concat([encode(publish(1)), encode(publish(2)), encode(publish(3))]));
    expect(await closed).toEqual({ reason: 'rate-exceeded', error });
    expect(seen).toEqual([1, 2]);
    expect(inbox.messages.map((m) => m.packetId)).toEqual([1]);
    await conn.expectClosed();
    expect(conn.received.filter((p) => p.type === 'puback')).toEqual([{ type: 'puback', packetId: 1 }]);
  });

  it('is given the client clock', async () => {
    const now = 12_345;
    const times: number[] = [];
    const broker = cleanup.broker(await startFakeBroker());
    const client = makeClient(cleanup, { url: broker.url, keepalive: 0, clock: () => now, hooks: { admitInbound: (_p, t) => void times.push(t) } });
    const up = waitFor(client, 'connect');
    client.connect();
    await broker.acceptNext();
    await up;
    expect(times).toEqual([12_345]);
  });
});

describe('admitOutbound', () => {
  it('a refusal is the return value, the callback is never called and nothing is sent', async () => {
    const asked: string[] = [];
    const { client, conn } = await connected({
      admitOutbound: (admission) => {
        asked.push(admission.type);
        return admission.type === 'publish' && admission.request.topic === 'no' ? ResultCode.RATE_LIMITED : ResultCode.SUCCESS;
      },
    });
    let called = false;
    expect(client.publish('no', 'x', { qos: 1 }, () => (called = true))).toBe(ResultCode.RATE_LIMITED);
    expect(client.publish('yes', 'x', { qos: 0 })).toBe(ResultCode.SUCCESS);
    expect(client.subscribe([{ topic: 's', qos: 0 }])).toBe(ResultCode.SUCCESS);
    expect(client.unsubscribe(['s'])).toBe(ResultCode.SUCCESS);
    const next = await conn.expect('publish');
    expect(next.topic).toBe('yes');
    await conn.expect('subscribe');
    await conn.expect('unsubscribe');
    await sleep(20);
    expect(called).toBe(false);
    expect(asked).toEqual(['publish', 'publish', 'subscribe', 'unsubscribe']);
  });

  it('bad input still throws at the call, before the hook is asked', async () => {
    let asked = 0;
    const { client } = await connected({ admitOutbound: () => (asked++, ResultCode.SUCCESS) });
    expect(() => client.publish('a/#', 'x')).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC', origin: 'caller' }));
    expect(() => client.subscribe([{ topic: 'a/#/b', qos: 0 }])).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC_FILTER' }));
    expect(asked).toBe(0);
  });
});

describe('packetSent', () => {
  it('sees every packet written, acknowledgements and CONNECT included, in order', async () => {
    const sent: string[] = [];
    const { client, conn } = await connected({ packetSent: (packet) => void sent.push(packet.type) });
    await conn.send(publish(7));
    await conn.expect('puback');
    expect(await Promise.all([publishAsync(client, 'out', 'x', { qos: 0 })])).toEqual([0]);
    await settle();
    expect(sent).toEqual(['connect', 'puback', 'publish']);
  });
});
