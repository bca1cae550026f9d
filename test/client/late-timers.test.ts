/**
 * The engine's timers when the process was stalled (suspended laptop or VM, a long synchronous
 * task, a debugger): a timer then fires long after its time, before the event loop has read
 * what the broker sent meanwhile. A deadline must not be judged passed on that first wake-up
 * (cf. MQTT.js #1257, false keepalive disconnects). Fake timers; the client's clock is
 * Date.now() plus a skew the test moves to model the stall.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MqttClient } from '../support/internals.js';
import type { ClientOptions } from '../support/internals.js';
import { farmClient as clientOfFarm, farmTimers, serverFarm } from '../support/server-farm.js';
import type { Farm } from '../support/server-farm.js';

const clients = farmTimers();
let skew = 0;

beforeEach(() => {
  skew = 0;
});

function farmClient(farm: Farm, options: Partial<ClientOptions> = {}): MqttClient {
  return clientOfFarm(farm, { clientId: 'late', clock: () => Date.now() + skew, connectTimeout: 5_000, reconnect: false, ...options }, clients);
}

/** The process stalls for `ms`: its clock moves, no timer fires, nothing is read. */
function stall(ms: number): void {
  skew += ms;
}

describe('timers that fire late', () => {
  it('[MQTT-3.12.4-1] a PINGRESP that arrived while the process was stalled past the ping deadline keeps the connection (no false keepalive-timeout)', async () => {
    const farm = serverFarm(['accept'], { answerPings: false });
    const client = farmClient(farm, { keepalive: 10, pingTimeout: 5_000 });
    const closes: string[] = [];
    client.on('close', ({ reason }) => closes.push(reason));
    client.connect();
    await vi.advanceTimersByTimeAsync(10_000);
    const conn = farm.live()!;
    expect(conn.packets.at(-1)?.type).toBe('pingreq');
    // The broker answers at once, but the process stalls before reading it; its timer fires first.
    stall(60_000);
    await vi.advanceTimersToNextTimerAsync(); // the ping deadline's timer, only
    farm.send({ type: 'pingresp' });
    await vi.advanceTimersByTimeAsync(100);
    expect(closes).toEqual([]);
    expect(client.connected).toBe(true);
  });

  it('a CONNACK that arrived while the process was stalled past the connect deadline is taken (no false CONNECT_TIMEOUT)', async () => {
    const farm = serverFarm(['mute']);
    const client = farmClient(farm, { keepalive: 0 });
    const failures: string[] = [];
    client.on('connectfailed', ({ error }) => failures.push(error.code));
    client.connect();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(farm.live()?.packets[0]?.type).toBe('connect');
    stall(60_000);
    await vi.advanceTimersToNextTimerAsync(); // the CONNACK deadline's timer, only
    farm.send({ type: 'connack', returnCode: 0, sessionPresent: false });
    await vi.advanceTimersByTimeAsync(100);
    expect(failures).toEqual([]);
    expect(client.connected).toBe(true);
  });

  it('a PUBACK that arrived while the process was stalled past the disconnect() linger completes its publish 0, not -11', async () => {
    const farm = serverFarm(['accept']);
    const client = farmClient(farm, { keepalive: 0 });
    client.connect();
    await vi.advanceTimersByTimeAsync(100);
    expect(client.connected).toBe(true);
    const results: number[] = [];
    client.publish('late/linger', new Uint8Array([1]), { qos: 1 }, (rc) => results.push(rc));
    await vi.advanceTimersByTimeAsync(0);
    const publish = farm.live()!.packets.at(-1)!;
    expect(publish.type).toBe('publish');
    let disconnected = false;
    client.disconnect(() => (disconnected = true), 5_000);
    stall(60_000);
    await vi.advanceTimersToNextTimerAsync(); // the linger timer, only
    farm.send({ type: 'puback', packetId: (publish as { packetId: number }).packetId });
    await vi.advanceTimersByTimeAsync(100);
    expect(results).toEqual([0]);
    expect(disconnected).toBe(true);
  });

  it('a broker that really went silent is still given up on, one read turn after a late wake-up', async () => {
    const farm = serverFarm(['accept'], { answerPings: false });
    const client = farmClient(farm, { keepalive: 10, pingTimeout: 5_000 });
    const closes: string[] = [];
    client.on('close', ({ reason }) => closes.push(reason));
    client.connect();
    await vi.advanceTimersByTimeAsync(10_000);
    stall(60_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(closes).toEqual(['keepalive-timeout']);
  });
});
