/**
 * Regressions found by review and fault testing of the core client (issue 8), at its edges with
 * application code: a TransportFactory that reports open synchronously or calls its events
 * detached, and once() listeners removed with off(). Each test fails
 * on the code before its fix; the waits are bounds against hangs, never timing assertions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PacketDecoder, encode } from '../support/internals.js';
import type { MqttError, TransportEvents, TransportFactory } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { Cleanup, makeClient, settle, until, waitFor } from './helpers.js';
import { manualTransport } from './manual-transport.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a TransportFactory that reports open synchronously', () => {
  it('connects: CONNECT goes out and CONNACK completes the connection', async () => {
    const writes: Uint8Array[] = [];
    let events: TransportEvents | undefined;
    const factory: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      e.open(); // before the factory has even returned its transport
      return { write: (b) => (writes.push(Uint8Array.from(b)), true), end: () => e.close(), destroy: () => e.close() };
    };
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: factory, connectTimeout: 2_000 });
    const connected = waitFor(client, 'connect');
    const failed = new Promise<MqttError>((resolve) => client.once('connectfailed', ({ error }) => resolve(error)));
    client.connect();
    await until(() => writes.length === 1, 'the CONNECT write', 1_500).catch(async () => {
      throw await failed;
    });
    expect(new PacketDecoder().push(writes[0]!)[0]!.type).toBe('connect');
    events!.data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    expect(client.state).toBe('connected');
  });
});

describe("a TransportFactory of the application's", () => {
  it('may call its events detached, as plain functions', async () => {
    const writes: Uint8Array[] = [];
    let data: ((chunk: Uint8Array) => void) | undefined;
    const factory: TransportFactory = (_endpoint, _options, events) => {
      const { open, close } = events; // e.g. ws.onopen = events.open
      data = events.data;
      queueMicrotask(open);
      return { write: (b) => (writes.push(Uint8Array.from(b)), true), end: () => close(), destroy: () => close() };
    };
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: factory, connectTimeout: 2_000 });
    const connected = waitFor(client, 'connect');
    client.connect();
    await until(() => writes.length === 1, 'the CONNECT write', 1_500);
    data!(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    const closed = waitFor(client, 'close');
    client.destroy();
    expect((await closed).reason).toBe('normal');
  });
});

describe('once() listeners', () => {
  it('off(listener) removes a listener added with once()', async () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    let calls = 0;
    const listener = (): void => void calls++;
    client.once('state', listener);
    expect(client.listenerCount('state')).toBe(1);
    client.off('state', listener);
    expect(client.listenerCount('state')).toBe(0);
    client.connect();
    await settle();
    expect(calls).toBe(0);
  });

  it('a once() listener still runs once, and off() of another listener leaves it', async () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    const seen: string[] = [];
    client.once('state', (s) => seen.push(`once:${s}`));
    const other = (): void => void seen.push('other');
    client.on('state', other);
    client.off('state', other);
    client.connect();
    client.destroy();
    await settle();
    expect(seen).toEqual(['once:connecting']);
  });
});
