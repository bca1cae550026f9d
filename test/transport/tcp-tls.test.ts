/**
 * The TCP and TLS transports on real sockets, through MqttClient, to aedes: a round trip over
 * each [MQTT-7.1.2-1], server authentication against the test CA (ssl://, tls://, servername),
 * mutual TLS, and every bad-certificate case failing loudly, before any MQTT byte is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TlsOptions } from '../support/internals.js';
import { startAedes } from '../support/aedes.js';
import { certs, clientIdentity } from '../support/certs.js';
import type { ServerIdentityName } from '../support/certs.js';
import { startFakeBroker } from '../support/fake-broker.js';
import { LOOPBACK, deadPort } from '../support/ports.js';
import { Cleanup, connectedClient, disconnectAsync, uniqueId } from '../client/helpers.js';
import { failedConnect, roundTrip } from './client-checks.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('TCP', () => {
  it('[MQTT-7.1.2-1] TCP: connects to aedes and round-trips QoS 0/1/2', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = await connectedClient(cleanup, { url: broker.url, clientId: uniqueId() });
    expect(client.connected).toBe(true);
    await roundTrip(client);
    await disconnectAsync(client);
    expect(client.state).toBe('disconnected');
  });

  it('fails with SOCKET_ERROR naming the address when nothing listens', async () => {
    const port = await deadPort();
    const { error, returnCode } = await failedConnect(cleanup, { url: `mqtt://${LOOPBACK}:${port}` });
    expect(returnCode).toBeUndefined();
    expect(error.code).toBe('SOCKET_ERROR');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TLS', () => {
  const startTls = async (identity: ServerIdentityName = 'good', requireClientCert = false) =>
    cleanup.broker(await startAedes({ tls: { identity, requireClientCert } }));

  it('[MQTT-7.1.2-1] TLS server authentication: verifies aedes against the test CA and round-trips', async () => {
    const broker = await startTls();
    expect(broker.url.startsWith('mqtts://')).toBe(true);
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert } });
    await roundTrip(client);
  });

  it('ssl:// and tls:// are TLS too', async () => {
    const broker = await startTls();
    for (const scheme of ['ssl', 'tls']) {
      const client = await connectedClient(cleanup, { url: `${scheme}://${LOOPBACK}:${broker.port}`, tls: { ca: certs.caCert } });
      expect(client.connected).toBe(true);
      await disconnectAsync(client);
    }
  });

  it('checks the certificate against `servername` when one is given', async () => {
    // The good certificate names localhost; the wrong-host one names only wrong-host.invalid.
    const good = await startTls();
    const viaName = await connectedClient(cleanup, { url: good.url, tls: { ca: certs.caCert, servername: 'localhost' } });
    expect(viaName.connected).toBe(true);
    const wrongHost = await startTls('wrongHost');
    const named = await connectedClient(cleanup, { url: wrongHost.url, tls: { ca: certs.caCert, servername: 'wrong-host.invalid' } });
    expect(named.connected).toBe(true);
  });

  it('mutual TLS: connects with the client certificate', async () => {
    const broker = await startTls('good', true);
    const tls: TlsOptions = { ca: certs.caCert, cert: clientIdentity.cert, key: clientIdentity.key };
    const client = await connectedClient(cleanup, { url: broker.url, tls });
    await roundTrip(client);
  });

  it('mutual TLS: without a client certificate the connection fails (never reaches CONNACK)', async () => {
    const broker = await startTls('good', true);
    const { error, returnCode } = await failedConnect(cleanup, { url: broker.url, tls: { ca: certs.caCert } });
    expect(returnCode).toBeUndefined();
    // TLS 1.3: the client's handshake completes, then the server's "certificate required" alert arrives.
    expect(error.code).toBe('TLS_ERROR');
    expect(error.message).toMatch(/certificate required/);
  });

  const badCertificates: [ServerIdentityName, RegExp][] = [
    ['untrusted', /self[- ]signed|unable to (verify|get local issuer)|certificate/i],
    ['wrongHost', /altnames|does not match/i],
    ['expired', /expired/i],
  ];

  for (const [identity, reason] of badCertificates) {
    it(`fails with TLS_ERROR and a clear message against the ${identity} certificate (rejectUnauthorized defaults to true)`, async () => {
      const broker = await startTls(identity);
      const { error, returnCode } = await failedConnect(cleanup, { url: broker.url, tls: { ca: certs.caCert } });
      expect(returnCode).toBeUndefined();
      expect(error.code).toBe('TLS_ERROR');
      expect(error.message).toContain(`TLS handshake to 127.0.0.1:${broker.port} failed`);
      expect(error.message).toMatch(reason);
    });
  }

  it('sends no MQTT byte to a server whose certificate fails (no silent downgrade)', async () => {
    const fake = cleanup.broker(await startFakeBroker({ tls: { identity: 'untrusted' } }));
    const { error } = await failedConnect(cleanup, { url: fake.url, tls: { ca: certs.caCert }, username: 'alice', password: 'secret' });
    expect(error.code).toBe('TLS_ERROR');
    expect(fake.connections.every((conn) => conn.rawChunks.length === 0)).toBe(true);
  });

  it('fails against the untrusted certificate with no TLS options at all (system trust store)', async () => {
    const broker = await startTls('untrusted');
    const { error } = await failedConnect(cleanup, { url: broker.url });
    expect(error.code).toBe('TLS_ERROR');
  });

  it('connects to the untrusted certificate only with rejectUnauthorized: false', async () => {
    const broker = await startTls('untrusted');
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert, rejectUnauthorized: false } });
    await roundTrip(client);
  });

  it('a TLS client against a plain TCP listener fails instead of speaking MQTT in the clear', async () => {
    const fake = cleanup.broker(await startFakeBroker());
    const { error } = await failedConnect(cleanup, { url: `mqtts://${LOOPBACK}:${fake.port}`, tls: { ca: certs.caCert }, connectTimeout: 500 });
    // The listener never answers the ClientHello, so the attempt runs into the connect timeout.
    expect(error.code).toBe('CONNECT_TIMEOUT');
    // Whatever reached the listener was a TLS ClientHello (0x16), never an MQTT CONNECT (0x10).
    for (const conn of fake.connections) {
      const first = conn.rawBytes()[0];
      if (first !== undefined) expect(first).toBe(0x16);
      expect(conn.received).toEqual([]);
    }
  });
});
