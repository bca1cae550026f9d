/**
 * Self-tests of the test harness: the port helpers (free, server-range and dead ports, waiting
 * for a listener) and the test certificates (which verify against the CA, which must not).
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certPaths, certs } from './certs.js';
import { LOOPBACK, canConnect, ephemeralPortRange, getFreePort, getServerPort, heldDeadPort, refuses, reserveDeadPort, waitForPort } from './ports.js';

describe('ports', () => {
  it('getFreePort gives a bindable loopback port; waitForPort / canConnect see listeners', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await canConnect(port)).toBe(false);
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
    try {
      await waitForPort(port, { timeoutMs: 2_000 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await expect(waitForPort(port, { timeoutMs: 100, abort: () => 'gave up' })).rejects.toThrow(/gave up/);
  });

  it('getServerPort gives a bindable loopback port outside the ephemeral range (where listen(0) never lands)', async () => {
    const { low, high } = ephemeralPortRange();
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThanOrEqual(low);
    const port = await getServerPort();
    if (low - 20_000 >= 1_000 || 65_535 - high >= 1_000) expect(port < low || port > high, `${port} within ${low}-${high}`).toBe(true);
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reserveDeadPort gives a refusing port outside the ephemeral range and below the getServerPort ones', async () => {
    const { low } = ephemeralPortRange();
    const dead = await reserveDeadPort();
    try {
      expect(await refuses(dead.port)).toBe(true);
      if (low > 11_000) expect(dead.port >= 10_000 && dead.port < Math.min(20_000, low), String(dead.port)).toBe(true);
    } finally {
      await dead.close();
    }
  });

  it('heldDeadPort (the fallback) refuses connections and nobody can listen on it until it is closed', async () => {
    const dead = await heldDeadPort();
    try {
      expect(await refuses(dead.port)).toBe(true);
      for (const host of [LOOPBACK, '0.0.0.0']) {
        const server = net.createServer();
        const outcome = await new Promise<string>((resolve) => {
          server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          server.listen({ port: dead.port, host }, () => server.close(() => resolve('listening')));
        });
        expect(outcome, host).toBe('EADDRINUSE');
      }
      expect(await refuses(dead.port)).toBe(true);
    } finally {
      await dead.close();
      await dead.close(); // idempotent
    }
  });
});

describe('certs', () => {
  it('the server certificate verifies against the CA for 127.0.0.1 and localhost; the bad ones do not', async () => {
    const check = async (identity: { key: Buffer; cert: Buffer }, host: string, servername?: string): Promise<string> => {
      const server = tls.createServer(identity, (socket) => socket.end());
      server.on('tlsClientError', () => {});
      await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
      const { port } = server.address() as net.AddressInfo;
      try {
        return await new Promise<string>((resolve) => {
          const socket = tls.connect({ port, host, ca: certs.caCert, ...(servername ? { servername } : {}) });
          socket.once('secureConnect', () => {
            socket.destroy();
            resolve('ok');
          });
          socket.once('error', (error: NodeJS.ErrnoException) => {
            socket.destroy();
            resolve(error.code ?? error.message);
          });
        });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    };
    const good = { key: certs.serverKey, cert: certs.serverCert };
    expect(await check(good, LOOPBACK)).toBe('ok');
    expect(await check(good, LOOPBACK, 'localhost')).toBe('ok');
    expect(await check({ key: certs.untrustedServerKey, cert: certs.untrustedServerCert }, LOOPBACK)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
    expect(await check({ key: certs.wrongHostServerKey, cert: certs.wrongHostServerCert }, LOOPBACK)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(await check({ key: certs.expiredServerKey, cert: certs.expiredServerCert }, LOOPBACK)).toBe('CERT_HAS_EXPIRED');
  });
});

it('the certificate paths all exist', () => {
  for (const file of Object.values(certPaths)) expect(existsSync(file), file).toBe(true);
});
