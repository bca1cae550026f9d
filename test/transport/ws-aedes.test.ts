/**
 * The WebSocket transport on real sockets, through MqttClient, to aedes: ws:// and wss:// with
 * the builtin RFC 6455 client (the mqtt subprotocol [MQTT-6.0.0-3], path, query and headers in
 * the upgrade, refused upgrades), and a platform WebSocket class (implementation 'global').
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { startAedesWebSocket } from '../support/aedes.js';
import { certs } from '../support/certs.js';
import { LOOPBACK } from '../support/ports.js';
import { Cleanup, connectedClient } from '../client/helpers.js';
import { failedConnect, roundTrip } from './client-checks.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('WebSocket (builtin RFC 6455 client)', () => {
  it('[MQTT-6.0.0-3] ws:// to aedes: offers the mqtt subprotocol and round-trips QoS 0/1/2', async () => {
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url, ws: { implementation: 'builtin' } });
    await roundTrip(client);
    expect(broker.upgrades).toHaveLength(1);
    expect(broker.upgrades[0]!.protocol).toBe('mqtt');
    expect(broker.upgrades[0]!.url).toBe('/mqtt');
    expect(broker.upgrades[0]!.headers['sec-websocket-protocol']).toBe('mqtt');
  });

  it('uses the builtin client by default on a Node without a global WebSocket', async () => {
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url });
    await roundTrip(client);
  });

  it('wss:// to aedes with the test CA', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ tls: true }));
    expect(broker.url.startsWith('wss://')).toBe(true);
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert }, ws: { implementation: 'builtin' } });
    await roundTrip(client);
  });

  it('wss:// against an untrusted certificate fails with TLS_ERROR', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ tls: { identity: 'untrusted' } }));
    const { error } = await failedConnect(cleanup, { url: broker.url, tls: { ca: certs.caCert }, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('TLS_ERROR');
  });

  it('sends the URL path with its query and the extra headers in the upgrade request', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ path: '/custom' }));
    const client = await connectedClient(cleanup, {
      url: `ws://${LOOPBACK}:${broker.port}/custom?token=abc`,
      ws: { implementation: 'builtin', headers: { 'X-Test-Header': 'hello' } },
    });
    await roundTrip(client);
    expect(broker.upgrades[0]!.url).toBe('/custom?token=abc');
    expect(broker.upgrades[0]!.headers['x-test-header']).toBe('hello');
  });

  it('fails with WEBSOCKET_ERROR when the server refuses the upgrade (wrong path)', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ path: '/mqtt' }));
    const { error } = await failedConnect(cleanup, { url: `ws://${LOOPBACK}:${broker.port}/elsewhere`, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('WEBSOCKET_ERROR');
    expect(error.message).toMatch(/refused the upgrade/);
  });

  it.skipIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function')(
    "implementation 'global' on a platform without a global WebSocket fails with UNSUPPORTED_TRANSPORT",
    async () => {
      const { error } = await failedConnect(cleanup, { url: `ws://${LOOPBACK}:9/mqtt`, ws: { implementation: 'global' } });
      expect(error.code).toBe('UNSUPPORTED_TRANSPORT');
    },
  );
});

describe("WebSocket through a platform WebSocket class (implementation 'global')", () => {
  const g = globalThis as { WebSocket?: unknown };
  let saved: unknown;

  afterEach(() => {
    if (saved === undefined) delete g.WebSocket;
    else g.WebSocket = saved;
  });

  it('[MQTT-6.0.0-3] round-trips through a WHATWG-style WebSocket (the ws package standing in for the browser one)', async () => {
    saved = g.WebSocket;
    g.WebSocket = WsWebSocket;
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url, ws: { implementation: 'global' } });
    await roundTrip(client);
    expect(broker.upgrades[0]!.protocol).toBe('mqtt');
  });
});
