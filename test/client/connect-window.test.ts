/**
 * disconnect() and destroy() in the window where a connection is being opened: from a 'state'
 * handler as the client turns 'connecting', and right after connect() when the transport cannot
 * even start. The application's call wins: nothing is opened behind its back, its callback runs,
 * and the close is reported against this attempt, not the last connection. (Found in review.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, TransportFactory } from '../support/internals.js';
import { openTransport } from '../../src/transport/index.js';
import { startFakeBroker } from '../support/fake-broker.js';
import { LOOPBACK } from '../support/ports.js';
import { Cleanup, disconnectAsync, makeClient, settle, sleep, until, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('disconnect() and destroy() while a connection is being opened', () => {
  it('disconnect() right after connect() whose transport cannot start: the callback runs, the client ends disconnected', async () => {
    const cannotStart: TransportFactory = () => {
      throw new Error('no transport here');
    };
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: cannotStart });
    client.connect();
    await expect(disconnectAsync(client, undefined, 2_000)).resolves.toBeUndefined();
    expect(client.state).toBe('disconnected');
  });

  it("disconnect() from the 'state' handler on 'connecting': no connection is opened, and the callback runs", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = makeClient(cleanup, { url: broker.url });
    let done: Promise<void> | undefined;
    client.on('state', (state) => {
      if (state === 'connecting' && done === undefined) done = disconnectAsync(client, undefined, 2_000);
    });
    client.connect();
    expect(await broker.nextConnection(300).catch(() => null)).toBeNull();
    await expect(done).resolves.toBeUndefined();
    expect(client.state).toBe('disconnected');
  });

  it("destroy() from the 'state' handler on 'connecting': no connection is opened behind the application's back", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = makeClient(cleanup, { url: broker.url });
    const states: string[] = [];
    const connects: unknown[] = [];
    client.on('state', (state) => {
      states.push(state);
      if (state === 'connecting') client.destroy();
    });
    client.on('connect', (info) => connects.push(info));
    client.connect();
    expect(await broker.nextConnection(300).catch(() => null)).toBeNull();
    await settle();
    expect({ connects: connects.length, state: client.state, states }).toEqual({ connects: 0, state: 'disconnected', states: ['connecting', 'disconnecting', 'disconnected'] });
  });

  it("destroy() as a reconnect begins reports no second 'close' for the connection already reported lost", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = makeClient(cleanup, { url: broker.url, reconnect: { initialDelay: 10, maxDelay: 10 } });
    const connected = waitFor(client, 'connect');
    client.connect();
    const { conn } = await broker.acceptNext();
    await connected;
    const closes: string[] = [];
    client.on('close', (info) => closes.push(info.reason));
    const stopped = new Promise<void>((resolve) => {
      client.on('state', (state) => {
        if (state !== 'connecting') return;
        client.destroy();
        resolve();
      });
    });
    conn.close();
    await stopped;
    await settle();
    expect({ closes, state: client.state }).toEqual({ closes: ['transport'], state: 'disconnected' });
  });
});

describe('a restart from the connecting handler (found in review)', () => {
  it("destroy() then connect() from the 'state' handler on 'connecting' opens one transport, not two", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const opened: Transport[] = [];
    const counting: TransportFactory = (endpoint, options, events) => {
      const t = openTransport(endpoint, options, events);
      opened.push(t);
      return t;
    };
    const client = makeClient(cleanup, { url: broker.url, transport: counting });
    let restarted = false;
    client.on('state', (state) => {
      if (state === 'connecting' && !restarted) {
        restarted = true;
        client.destroy(); // the application changes its mind ...
        client.connect(); // ... and starts again
      }
    });
    client.connect();
    // The CONNECT comes on the transport that was kept; then a window for a second socket to show.
    await until(() => broker.connections.some((c) => c.pending.some((p) => p.type === 'connect')), 'a CONNECT at the broker');
    await sleep(500);
    await settle();
    // Each socket the broker saw, and whether a CONNECT came on it.
    const sockets = broker.connections.map((c) => c.pending.some((p) => p.type === 'connect'));
    expect({ transports: opened.length, sockets }).toEqual({ transports: 1, sockets: [true] });
  });
});
