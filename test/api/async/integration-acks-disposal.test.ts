/**
 * The async face against a scripted broker (test/support/fake-broker.ts), for what a real broker
 * will not do on demand: refuse a subscription (SUBACK 0x80), or hold acknowledgements back.
 * Covers refused subscriptions, manual acknowledgement (manualAck) and `await using`.
 */
import { describe, expect, it } from 'vitest';
import { MqttCodeError, connect } from '../../../src/api/async/index.js';
import type { Client } from '../../../src/api/async/index.js';
import { bytes, uniqueId } from '../../client/helpers.js';
import { PROMPTLY, bounded, expectMqttError, nextMessage, rejectionOf, useScriptedBroker } from './async-helpers.js';

const { fakeBroker, connectFake } = useScriptedBroker();

// ---- 11. Refused subscriptions --------------------------------------------------------------

describe('SUBACK 0x80', () => {
  it('a refused single filter rejects an MqttCodeError naming the filter', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const subscribing = client.subscribe('forbidden/#', { qos: 1 });
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0x80] });
    const error = await rejectionOf(subscribing, 'the subscribe', PROMPTLY);
    expect(error).toBeInstanceOf(MqttCodeError);
    expectMqttError(error, 'SUBSCRIPTION_REFUSED');
    expect((error as MqttCodeError).rc).toBe(0x80);
    expect((error as Error).message).toContain('forbidden/#');
  });

  it("one of two filters refused: resolves [1, 0x80], in the filters' order [MQTT-3.9.3-1]", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const subscribing = client.subscribe([
      ['ok/#', 1],
      ['forbidden/#', 2],
    ]);
    const subscribe = await conn.expect('subscribe');
    expect(subscribe.subscriptions).toEqual([
      { topic: 'ok/#', qos: 1 },
      { topic: 'forbidden/#', qos: 2 },
    ]);
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1, 0x80] });
    expect(await bounded(subscribing, 'the subscribe')).toEqual([1, 0x80]);
  });
});

// ---- 12. Manual acknowledgement -------------------------------------------------------------

describe('manualAck', () => {
  for (const qos of [1, 2] as const) {
    const ack = qos === 1 ? 'puback' : 'pubrec';
    it(`QoS ${qos}: no ${ack.toUpperCase()} until message.ack() [MQTT-4.3.${qos + 1}-2]`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectFake(broker, { manualAck: true });
      const inbox = client.messages[Symbol.asyncIterator]();
      await conn.send({ type: 'publish', topic: 'work/item', payload: bytes('job'), qos, dup: false, retain: false, packetId: 42 });
      const message = await nextMessage(inbox, 'the message');
      expect([message.text(), message.qos, message.packetId]).toEqual(['job', qos, 42]);
      // Had an acknowledgement gone out on receipt, it would come before this probe.
      await client.publish('probe', 'p');
      expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
      await message.ack();
      expect(await conn.next()).toEqual({ type: ack, packetId: 42 });
      if (qos === 2) {
        await conn.send({ type: 'pubrel', packetId: 42 });
        expect(await conn.next()).toEqual({ type: 'pubcomp', packetId: 42 });
      }
    });
  }

  it('without manualAck, QoS 1 is acknowledged on receipt and ack() is a no-op', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const inbox = client.messages[Symbol.asyncIterator]();
    await conn.send({ type: 'publish', topic: 'work/item', payload: bytes('job'), qos: 1, dup: false, retain: false, packetId: 9 });
    expect(await conn.next()).toEqual({ type: 'puback', packetId: 9 });
    const message = await nextMessage(inbox);
    await expect(message.ack()).resolves.toBeUndefined();
    await client.publish('probe', 'p');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
  });
});

// ---- 13. await using ------------------------------------------------------------------------

describe('await using', () => {
  it('disconnects at the end of the block: the broker sees DISCONNECT, then the client hangs up [MQTT-3.14.4-1]', async () => {
    const broker = await fakeBroker();
    const accepted = broker.acceptNext();
    let kept: Client | undefined;
    {
      await using client = await connect(broker.url, { clientId: uniqueId('using') });
      kept = client;
      const { conn } = await accepted;
      await client.publish('inside', 'x');
      expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'inside' });
    }
    const { conn } = await accepted;
    expect(kept.connected).toBe(false);
    expect(conn.received.at(-1)).toEqual({ type: 'disconnect' });
    await conn.expectClosed();
  });

  it('disconnects when the block throws, too', async () => {
    const broker = await fakeBroker();
    const accepted = broker.acceptNext();
    const boom = new Error('boom');
    let kept: Client | undefined;
    const run = async (): Promise<void> => {
      await using client = await connect(broker.url, { clientId: uniqueId('using') });
      kept = client;
      throw boom;
    };
    await expect(run()).rejects.toBe(boom);
    const { conn } = await accepted;
    expect(kept?.connected).toBe(false);
    expect(conn.received.at(-1)).toEqual({ type: 'disconnect' });
  });
});
