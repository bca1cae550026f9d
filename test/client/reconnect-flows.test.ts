/**
 * What happens to requests in flight when the connection is lost and the client reconnects by
 * itself: QoS 1/2 publishes re-sent first, with DUP, their ids and their order; PUBRELs re-sent;
 * subscribes cut off reported; nothing dropped without a callback. Also disconnect() during each
 * stage of reconnection. Scripted server farm, fake timers.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MqttClient } from '../support/internals.js';
import type { ClientOptions, PublishPacket, QoS } from '../support/internals.js';
import { farmClient as clientOfFarm, serverFarm } from '../support/server-farm.js';
import type { Farm, FarmConnection } from '../support/server-farm.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

function farmClient(farm: Farm, options: Partial<ClientOptions> = {}): MqttClient {
  return clientOfFarm(farm, { clientId: 'flows', keepalive: 0, reconnect: { initialDelay: 100, maxDelay: 1_000, stableAfter: 0 }, ...options });
}

const publishes = (c: FarmConnection): PublishPacket[] => c.packets.filter((p): p is PublishPacket => p.type === 'publish');

/** Ends the test's client and checks it left nothing running. */
async function finish(client: MqttClient): Promise<void> {
  client.destroy();
  await vi.runAllTimersAsync();
  expect(vi.getTimerCount()).toBe(0);
}

describe('requests in flight across a reconnect', () => {
  it('[MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-4.6.0-4] QoS 1/2 in flight are re-sent first, DUP, same ids, original order (PUBRELs after, in PUBREC order); a subscribe cut off completes -11; every callback once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<QoS>(1, 2), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (qos, acked, cleanSession, sessionPresent) => {
          const farm = serverFarm(['accept'], { sessionPresent });
          const client = farmClient(farm, { cleanSession });
          const results: number[][] = qos.map(() => []);
          const subResults: number[] = [];
          try {
            client.connect();
            await vi.advanceTimersByTimeAsync(0);
            qos.forEach((q, i) => client.publish('t', `m${i}`, { qos: q }, (result) => results[i]!.push(result)));
            client.subscribe([{ topic: 's', qos: 1 }], (result) => subResults.push(result));
            await vi.advanceTimersByTimeAsync(0);
            const first = farm.live()!;
            const sent = publishes(first);
            // The broker acknowledges some: PUBACK for QoS 1 (done), PUBREC for QoS 2 (then at PUBREL).
            const pubrecOrder: number[] = [];
            sent.forEach((p, i) => {
              if (!acked[i]) return;
              if (p.qos === 2) pubrecOrder.push(p.packetId!);
              farm.send(p.qos === 1 ? { type: 'puback', packetId: p.packetId! } : { type: 'pubrec', packetId: p.packetId! });
            });
            await vi.advanceTimersByTimeAsync(0);
            farm.drop(new Error('reset'));
            await vi.advanceTimersByTimeAsync(2_000);
            expect(client.connected).toBe(true);
            expect(subResults).toEqual([-11]);
            const second = farm.live()!;
            expect(second).not.toBe(first);
            const unacked = sent.filter((_, i) => !acked[i]);
            // First after CONNECT: the unacknowledged PUBLISHes, then the PUBRELs.
            const resent = second.packets.slice(1, 1 + unacked.length + pubrecOrder.length);
            expect(resent.map((p) => (p.type === 'publish' ? [p.type, p.packetId, p.dup, p.qos] : [p.type, 'packetId' in p ? p.packetId : 0]))).toEqual([
              ...unacked.map((p) => ['publish', p.packetId, true, p.qos]),
              ...pubrecOrder.map((id) => ['pubrel', id]),
            ]);
            // The broker completes everything on the new connection: each callback 0, once.
            for (const p of resent) {
              if (p.type === 'publish') farm.send(p.qos === 1 ? { type: 'puback', packetId: p.packetId! } : { type: 'pubrec', packetId: p.packetId! });
              else if (p.type === 'pubrel') farm.send({ type: 'pubcomp', packetId: p.packetId });
            }
            await vi.advanceTimersByTimeAsync(0);
            for (const p of second.packets.slice(1 + resent.length)) if (p.type === 'pubrel') farm.send({ type: 'pubcomp', packetId: p.packetId });
            await vi.advanceTimersByTimeAsync(0);
            expect(results).toEqual(qos.map(() => [0]));
          } finally {
            await finish(client);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('disconnect() while reconnecting', () => {
  it.each(['backoff wait', 'transport opening', 'CONNACK wait'] as const)('during the %s: nothing more is opened, pending requests complete, the callback runs once, no timer is left', async (stage) => {
    const farm = serverFarm(['accept']);
    const client = farmClient(farm, { reconnect: { initialDelay: 1_000, maxDelay: 1_000, stableAfter: 0 } });
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const results: number[] = [];
    client.publish('t', 'x', { qos: 1 }, (r) => results.push(r));
    farm.behaviours[0] = stage === 'transport opening' ? 'silent' : stage === 'CONNACK wait' ? 'mute' : 'accept';
    farm.drop(new Error('reset'));
    await vi.advanceTimersByTimeAsync(0);
    expect(client.reconnecting).toBe(true);
    if (stage !== 'backoff wait') await vi.advanceTimersByTimeAsync(1_000);
    const transports = farm.tried.length;
    const done: string[] = [];
    client.disconnect(() => done.push('disconnected'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(done).toEqual(['disconnected']);
    expect(results).toEqual([-11]);
    expect(farm.tried.length).toBe(transports);
    expect(client.state).toBe('disconnected');
    expect(vi.getTimerCount()).toBe(0);
    await finish(client);
  });
});
