/**
 * Which closes count toward undeliverableAfter, through the engine: only the broker's (the
 * transport closed under a connection past CONNACK). The application's own destroy() tears the
 * transport down too, and its close arrives the same way; counted, it completed the oldest
 * publish -13 (UNDELIVERABLE: "the broker will not take it") instead of -11, and silently ended a
 * QoS 2 flow kept past -11 for the broker to finish [MQTT-4.3.3-2]. In memory: a transport the
 * test answers for the broker; nothing is opened.
 */
import { describe, expect, it } from 'vitest';
import { MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { ClientOptions, Packet, TransportEvents, TransportFactory } from '../support/internals.js';

interface Line {
  events: TransportEvents;
  packets: Packet[];
  closed: boolean;
}

/** A transport factory whose connections open at once; `lines` gets each, in order. */
function inMemory(lines: Line[]): TransportFactory {
  return (_endpoint, _options, events) => {
    const line: Line = { events, packets: [], closed: false };
    const decoder = new PacketDecoder();
    const close = (): void => {
      if (line.closed) return;
      line.closed = true;
      events.close();
    };
    lines.push(line);
    queueMicrotask(() => events.open());
    return {
      write: (bytes) => (line.packets.push(...decoder.push(bytes)), true),
      end: () => queueMicrotask(close),
      destroy: () => queueMicrotask(close),
    };
  };
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A client connected through `lines` (CONNACK with `sessionPresent`). */
async function connected(lines: Line[], client: MqttClient, sessionPresent = false): Promise<Line> {
  client.connect();
  await turns();
  const line = lines.at(-1)!;
  expect(line.packets.map((p) => p.type)).toEqual(['connect']);
  line.events.data(encode({ type: 'connack', returnCode: 0, sessionPresent }));
  expect(client.state).toBe('connected');
  return line;
}

function client(lines: Line[], options: Partial<ClientOptions> = {}): MqttClient {
  return new MqttClient({ url: 'mqtt://127.0.0.1:1883', clientId: 'closes', reconnect: false, transport: inMemory(lines), ...options });
}

describe('undeliverableAfter counts only the broker closing the connection [MQTT-3.3.5-2]', () => {
  it("the application's destroy() is not the broker refusing the oldest publish: it completes -11, not -13", async () => {
    const lines: Line[] = [];
    const c = client(lines, { undeliverableAfter: 1 });
    await connected(lines, c);
    const results: number[] = [];
    c.publish('t/1', 'x', { qos: 1 }, (result) => results.push(result));
    c.destroy();
    await turns();
    expect(c.state).toBe('disconnected');
    expect(results).toEqual([ResultCode.INCOMPLETE]);
  });

  it("[MQTT-4.3.3-2] a QoS 2 flow kept past -11 (cleanSession false) is re-sent on the next connection however often the application destroy()s", async () => {
    const lines: Line[] = [];
    const c = client(lines, { undeliverableAfter: 1, cleanSession: false });
    let line = await connected(lines, c);
    const results: number[] = [];
    c.publish('t/2', 'x', { qos: 2 }, (result) => results.push(result));
    await turns();
    const sent = line.packets.at(-1) as Extract<Packet, { type: 'publish' }>;
    for (let round = 0; round < 3; round++) {
      c.destroy();
      await turns();
      line = await connected(lines, c, true);
      await turns();
      expect(line.packets.slice(1)).toEqual([{ ...sent, dup: true }]);
    }
    expect(results).toEqual([ResultCode.INCOMPLETE]);
    c.destroy();
    await turns();
  });

  it('the broker closing it still counts', async () => {
    const lines: Line[] = [];
    const c = client(lines, { undeliverableAfter: 1 });
    const line = await connected(lines, c);
    const results: number[] = [];
    c.publish('t/3', 'x', { qos: 1 }, (result) => results.push(result));
    line.closed = true;
    line.events.close();
    await turns();
    expect(results).toEqual([ResultCode.UNDELIVERABLE]);
  });

  it('disconnect() from the -13 callback (the close under way) ends the client: its callback runs, no reconnection', async () => {
    const lines: Line[] = [];
    const c = client(lines, { undeliverableAfter: 1, reconnect: { initialDelay: 0, maxDelay: 0 } });
    const line = await connected(lines, c);
    const events: string[] = [];
    c.on('close', ({ reason }) => events.push(`close ${reason}`));
    c.publish('t/4', 'x', { qos: 1 }, (result) => {
      events.push(`published ${result}`);
      c.disconnect(() => events.push('disconnected'));
    });
    line.closed = true;
    line.events.close();
    await turns();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(events).toEqual([`published ${ResultCode.UNDELIVERABLE}`, 'close normal', 'disconnected']);
    expect([c.state, lines.length]).toEqual(['disconnected', 1]);
  });

  it('a publish made again from the -13 callback goes out on the next connection', async () => {
    const lines: Line[] = [];
    const c = client(lines, { undeliverableAfter: 1, reconnect: { initialDelay: 0, maxDelay: 0 } });
    const line = await connected(lines, c);
    const results: number[] = [];
    c.publish('t/5', 'x', { qos: 1 }, (result) => {
      results.push(result);
      if (result === ResultCode.UNDELIVERABLE) c.publish('t/5b', 'y', { qos: 1 }, (again) => results.push(again));
    });
    line.closed = true;
    line.events.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await turns();
    const next = lines.at(-1)!;
    expect(lines).toHaveLength(2);
    next.events.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    await turns();
    const publish = next.packets.at(-1) as Extract<Packet, { type: 'publish' }>;
    expect([publish.type, publish.topic, publish.dup]).toEqual(['publish', 't/5b', false]);
    next.events.data(encode({ type: 'puback', packetId: publish.packetId! }));
    expect(results).toEqual([ResultCode.UNDELIVERABLE, ResultCode.SUCCESS]);
    c.destroy();
    await turns();
  });
});
