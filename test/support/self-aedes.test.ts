/**
 * Self-tests of the test harness: the aedes launchers (plain TCP, TLS, mutual TLS, users, WebSocket
 * and secure WebSocket), checked with raw MQTT bytes from our codec.
 */
import { describe, expect, it } from 'vitest';
import { startAedes, startAedesWebSocket } from './aedes.js';
import { certs, clientIdentity } from './certs.js';
import { canConnect } from './ports.js';
import { connectPacket, defer, handshake, refusedWithoutCertificate, tcpClient, tlsClient, utf8, wsClient } from './raw-peer.js';

describe('aedes launchers', () => {
  it('plain TCP: CONNECT → CONNACK 0; stop() closes the client connection', async () => {
    const broker = defer(await startAedes());
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const client = await tcpClient(broker.port);
    expect(await handshake(client, connectPacket('aedes-plain'))).toEqual({ sessionPresent: false, returnCode: 0 });
    await broker.stop();
    await client.closed;
    expect(broker.broker.closed).toBe(true);
    expect(await canConnect(broker.port)).toBe(false);
  });

  it('TLS: verified against the test CA, CONNECT → CONNACK 0', async () => {
    const broker = defer(await startAedes({ tls: true }));
    expect(broker.url).toBe(`mqtts://127.0.0.1:${broker.port}`);
    const { client, socket } = await tlsClient(broker.port);
    expect(socket.authorized).toBe(true);
    expect(await handshake(client, connectPacket('aedes-tls'))).toEqual({ sessionPresent: false, returnCode: 0 });
  });

  it('mutual TLS: needs the client certificate', async () => {
    const broker = defer(await startAedes({ tls: { requireClientCert: true } }));
    const { client } = await tlsClient(broker.port, clientIdentity);
    expect((await handshake(client, connectPacket('aedes-mtls'))).returnCode).toBe(0);
    expect(await refusedWithoutCertificate(broker.port)).toBe(true);
  });

  it('users: right password 0, wrong password or none 4', async () => {
    const broker = defer(await startAedes({ users: { alice: 'secret' } }));
    const ok = await tcpClient(broker.port);
    expect((await handshake(ok, connectPacket('a', { username: 'alice', password: utf8('secret') }))).returnCode).toBe(0);
    const wrong = await tcpClient(broker.port);
    expect((await handshake(wrong, connectPacket('b', { username: 'alice', password: utf8('nope') }))).returnCode).toBe(4);
    const anonymous = await tcpClient(broker.port);
    expect((await handshake(anonymous, connectPacket('c'))).returnCode).toBe(4);
  });

  it('WebSocket at /mqtt with subprotocol mqtt: binary CONNECT → CONNACK 0; stop() closes it', async () => {
    const broker = defer(await startAedesWebSocket());
    expect(broker.url).toBe(`ws://127.0.0.1:${broker.port}/mqtt`);
    const { client, ws } = await wsClient(broker.url);
    expect(ws.protocol).toBe('mqtt');
    expect(await handshake(client, connectPacket('aedes-ws'))).toEqual({ sessionPresent: false, returnCode: 0 });
    expect(broker.upgrades).toHaveLength(1);
    expect(broker.upgrades[0]).toMatchObject({ url: '/mqtt', protocol: 'mqtt' });
    await broker.stop();
    await client.closed;
    expect(await canConnect(broker.port)).toBe(false);
  });

  it('WebSocket over TLS (wss)', async () => {
    const broker = defer(await startAedesWebSocket({ tls: true }));
    expect(broker.url).toBe(`wss://127.0.0.1:${broker.port}/mqtt`);
    const { client } = await wsClient(broker.url, 'mqtt', { ca: certs.caCert });
    expect((await handshake(client, connectPacket('aedes-wss'))).returnCode).toBe(0);
  });
});
