/**
 * Keepalive through the engine (real ClientTimers on fake timers, the client's clock on them):
 * random traffic in either direction, or one only, with a broker that answers every PINGREQ or
 * one that goes silent. Asserted: the client's gap between packets never exceeds keepalive
 * [MQTT-3.1.2-23]; a broker that answers is never dropped; a silent one is given up on within
 * keepalive + pingTimeout (and a timer's rounding) of the last thing it sent.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MqttClient } from '../support/internals.js';
import { farmUrls, serverFarm } from '../support/server-farm.js';

type Step = { kind: 'wait'; ms: number } | { kind: 'clientSends' } | { kind: 'brokerSends' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 25_000 }) }),
  fc.constant({ kind: 'clientSends' as const }),
  fc.constant({ kind: 'brokerSends' as const }),
);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('keepalive through the engine (property)', () => {
  it('[MQTT-3.1.2-23] whatever the traffic, no gap over keepalive between the client\'s packets, and a broker that answers PINGREQ is never dropped; a silent one is, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.option(fc.integer({ min: 1, max: 20_000 })),
        fc.boolean(),
        fc.array(step, { maxLength: 40 }),
        async (keepalive, pingTimeout, answers, steps) => {
          const farm = serverFarm(['accept'], { answerPings: answers });
          const client = new MqttClient({
            url: farmUrls(1)[0]!,
            clientId: 'ka',
            transport: farm.factory,
            clock: () => Date.now(),
            keepalive,
            ...(pingTimeout !== null && { pingTimeout }),
            reconnect: false,
          });
          const closes: string[] = [];
          let closedAt = 0;
          client.on('close', ({ reason }) => {
            closes.push(reason);
            closedAt = Date.now();
          });
          let lastHeard = 0;
          try {
            client.connect();
            await vi.advanceTimersByTimeAsync(0);
            expect(client.connected).toBe(true);
            const conn = farm.live()!;
            lastHeard = Date.now();
            const timeout = pingTimeout ?? Math.max(1_000, (keepalive * 1_000) / 2);
            const bound = keepalive * 1_000 + timeout + 2;
            for (const s of steps) {
              if (!client.connected) break;
              if (s.kind === 'clientSends') client.publish('t', 'x');
              else if (s.kind === 'brokerSends') {
                farm.send({ type: 'publish', topic: 't', payload: new Uint8Array(1), qos: 0, dup: false, retain: false });
                lastHeard = Date.now();
              } else {
                // In steps, so that a broker answering a PINGREQ counts as heard.
                const until = Date.now() + s.ms;
                while (client.connected && Date.now() < until) {
                  await vi.advanceTimersByTimeAsync(Math.min(100, until - Date.now()));
                  if (answers) lastHeard = Math.max(lastHeard, ...conn.times.filter((_, i) => conn.packets[i]!.type === 'pingreq'));
                }
              }
              await vi.advanceTimersByTimeAsync(0);
            }
            const times = [...conn.times, ...(client.connected ? [Date.now()] : [])];
            for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(keepalive * 1_000);
            if (answers) expect(closes).toEqual([]);
            else if (!client.connected) {
              expect(closes).toEqual(['keepalive-timeout']);
              expect(closedAt - lastHeard).toBeLessThanOrEqual(bound);
            } else expect(Date.now() - lastHeard).toBeLessThanOrEqual(bound);
          } finally {
            client.destroy();
            await vi.runAllTimersAsync();
            expect(vi.getTimerCount()).toBe(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
