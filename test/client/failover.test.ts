/**
 * Server failover and reconnect backoff against a farm of scripted servers, with fake timers
 * and the client's clock on them: which server each attempt goes to, and when.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MqttClient, MqttError } from '../support/internals.js';
import type { ClientOptions } from '../support/internals.js';
import { Failover } from '../../src/client/failover.js';
import { parseBrokerUrl } from '../support/internals.js';
import { farmClient as clientOfFarm, farmTimers, farmUrls, serverFarm } from '../support/server-farm.js';
import type { Behaviour, Farm } from '../support/server-farm.js';

const clients = farmTimers();

function farmClient(farm: Farm, options: Partial<ClientOptions> = {}): MqttClient {
  return clientOfFarm(farm, { clientId: 'failover', connectTimeout: 5_000, reconnect: { initialDelay: 100, maxDelay: 1_000, stableAfter: 10_000 }, ...options }, clients);
}

describe('failover', () => {
  it('a server that accepts CONNECT and drops at once does not keep the client from the next one (found in review)', async () => {
    const farm = serverFarm(['flap', 'accept']);
    const client = farmClient(farm);
    client.connect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client.connected).toBe(true);
    expect(client.url).toBe(farmUrls(2)[1]);
    expect(farm.tried.slice(0, 2)).toEqual([0, 1]);
  });

  it('a stable connection lost is retried on the same server first; if that attempt fails, the next server', async () => {
    const farm = serverFarm(['accept', 'accept']);
    const client = farmClient(farm);
    client.connect();
    await vi.advanceTimersByTimeAsync(10_000); // stableAfter
    expect(client.connected).toBe(true);
    farm.behaviours[0] = 'refuse';
    farm.drop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(farm.tried).toEqual([0, 0, 1]);
    expect(client.connected).toBe(true);
  });

  it("'reconnecting' already says so in the 'close' and 'connectfailed' handlers; false there when the client will not retry (found in review)", async () => {
    const farm = serverFarm(['accept']);
    const client = farmClient(farm);
    const seen: string[] = [];
    client.on('close', () => seen.push(`close ${client.reconnecting}`));
    client.on('connectfailed', () => seen.push(`connectfailed ${client.reconnecting}`));
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    farm.behaviours[0] = 'refuse';
    farm.drop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.slice(0, 2)).toEqual(['close true', 'connectfailed true']);
    const once = farmClient(serverFarm(['refuse']), { reconnect: false });
    once.on('connectfailed', () => seen.push(`once ${once.reconnecting}`));
    once.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.at(-1)).toBe('once false');
  });

  it('the server each attempt goes to: the next one unless the last connection stayed up for stableAfter (property)', () => {
    type Outcome = { kind: 'failed' } | { kind: 'lost'; upFor: number };
    const outcome = fc.oneof(fc.constant<Outcome>({ kind: 'failed' }), fc.record({ kind: fc.constant('lost' as const), upFor: fc.integer({ min: 0, max: 30_000 }) }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 20_000 }), fc.array(outcome, { maxLength: 30 }), (n, stableAfter, outcomes) => {
        const failover = new Failover(farmUrls(n).map((url) => parseBrokerUrl(url)), { initialDelay: 100, maxDelay: 1_000, stableAfter });
        let now = 0;
        let expected = 0;
        for (const o of outcomes) {
          if (o.kind === 'lost') {
            failover.connected(now);
            now += o.upFor;
          }
          const stable = o.kind === 'lost' && o.upFor >= stableAfter;
          if (!stable) expected = (expected + 1) % n;
          const { delay } = failover.next(now);
          expect(failover.endpoint.port).toBe(1883 + expected);
          // A stable connection also resets the growth: the first delay's cap again.
          if (stable) expect(delay).toBeLessThan(100);
          now += delay;
        }
      }),
    );
  });

  it('servers that refuse at TCP level, time out, fail TLS, refuse with CONNACK 3, never answer CONNECT or drop at once: each attempt moves on in turn, errors are typed, and a working server is reached within one round (property)', async () => {
    const failing = fc.constantFrom<Behaviour>('refuse', 'silent', 'tls', 'unavailable', 'mute', 'flap');
    await fc.assert(
      fc.asyncProperty(fc.array(failing, { minLength: 1, maxLength: 4 }), fc.option(fc.nat(4)), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }), async (bad, acceptAt, randoms) => {
        const behaviours = [...bad];
        if (acceptAt !== null) behaviours.splice(acceptAt % (bad.length + 1), 0, 'accept');
        let r = 0;
        const random = vi.spyOn(Math, 'random').mockImplementation(() => randoms[r++ % randoms.length]!);
        const farm = serverFarm(behaviours);
        const client = farmClient(farm);
        const errors: unknown[] = [];
        client.on('connectfailed', ({ error }) => errors.push(error));
        client.on('close', ({ error }) => error !== undefined && errors.push(error));
        try {
          client.connect();
          // A round: every server once, each at most connectTimeout, with at most maxDelay between.
          await vi.advanceTimersByTimeAsync(behaviours.length * (5_000 + 1_000));
          const n = behaviours.length;
          for (let i = 1; i < farm.tried.length; i++) expect(farm.tried[i]).toBe((farm.tried[i - 1]! + 1) % n);
          if (acceptAt !== null) {
            expect(client.connected).toBe(true);
            expect(behaviours[farm.tried.at(-1)!]).toBe('accept');
          } else {
            expect(client.connected).toBe(false);
            expect(client.reconnecting || client.state === 'connecting').toBe(true);
          }
          for (const error of errors) expect(error).toBeInstanceOf(MqttError);
        } finally {
          client.destroy();
          clients.splice(clients.indexOf(client), 1);
          await vi.runAllTimersAsync();
          expect(vi.getTimerCount()).toBe(0);
          random.mockRestore();
        }
      }),
      { numRuns: 40 },
    );
  });
});
