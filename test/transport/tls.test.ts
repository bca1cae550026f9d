/**
 * TLS through MqttClient at the edges (found in review): which failures are TLS failures.
 * Loopback only: a name that does not resolve is simulated by standing in for dns.lookup, the
 * function Node's sockets resolve through, with the error getaddrinfo gives.
 */
import dns from 'node:dns';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError, parseBrokerUrl } from '../support/internals.js';
import type { TlsOptions } from '../support/internals.js';
import { certs, serverIdentity } from '../support/certs.js';
import { Cleanup, makeClient, waitFor } from '../client/helpers.js';
import { openNodeSocket } from '../../src/transport/node-socket.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Every lookup fails as getaddrinfo does for an unknown name, until the test ends. */
function noSuchHost(): void {
  const real = dns.lookup;
  const fake = (hostname: string, options: unknown, callback?: (error: Error) => void): void => {
    const done = (typeof options === 'function' ? options : callback) as (error: Error) => void;
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
    process.nextTick(done, error);
  };
  (dns as { lookup: unknown }).lookup = fake;
  cleanup.add(real, (original) => void ((dns as { lookup: unknown }).lookup = original));
}

async function connectError(url: string): Promise<MqttError> {
  const client = makeClient(cleanup, { url, connectTimeout: 5_000 });
  const failed = waitFor(client, 'connectfailed');
  client.connect();
  const { error } = await failed;
  expect(error).toBeInstanceOf(MqttError);
  return error;
}

describe('TLS: a failure that is not TLS is not called one (found in review)', () => {
  // The DNS error's message names the host: a host name holding "tls", "ssl", "cert" or
  // "verify" made a name that does not resolve read as a failed TLS handshake.
  for (const host of ['broker.invalid', 'tls.broker.invalid', 'mqtt-ssl.invalid', 'certs.invalid', 'verify.invalid']) {
    it(`an unknown host ${host} over mqtts:// is a SOCKET_ERROR, not a TLS_ERROR`, async () => {
      noSuchHost();
      const error = await connectError(`mqtts://${host}:8883`);
      expect(error.code).toBe('SOCKET_ERROR');
      expect(error.message).toContain('ENOTFOUND');
      expect(error.message).not.toMatch(/TLS handshake/);
    });
  }
});

/** A TLS server with the good certificate (SAN IP:127.0.0.1, DNS:localhost) that notes the SNI each client sent (false: none). */
async function sniServer(): Promise<{ port: number; sni: (string | false)[] }> {
  const sni: (string | false)[] = [];
  const server = createServer(serverIdentity, (socket: TLSSocket) => {
    sni.push(socket.servername ?? false);
    socket.end();
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, sni };
}

/** Opens the TLS transport; resolves with whether it opened and how it closed. */
function openTls(url: string, tls: TlsOptions): Promise<{ opened: boolean; error: Error | undefined }> {
  return new Promise((resolve) => {
    let opened = false;
    openNodeSocket(parseBrokerUrl(url), true, tls, {
      open: () => void (opened = true),
      data: () => {},
      drain: () => {},
      close: (error) => resolve({ opened, error }),
    });
  });
}

/** Node's warnings raised while `run` runs. */
async function warningsDuring<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${(warning as { code?: string }).code ?? warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    const result = await run();
    await new Promise((resolve) => setTimeout(resolve, 20)); // warnings are emitted on a later tick
    return { result, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

describe('TLS: SNI carries host names only (RFC 6066 §3; found in review)', () => {
  it('sends the host name, and no SNI for an IP address (URL host)', async () => {
    const { port, sni } = await sniServer();
    expect((await openTls(`mqtts://localhost:${port}`, { ca: certs.caCert })).opened).toBe(true);
    expect((await openTls(`mqtts://127.0.0.1:${port}`, { ca: certs.caCert })).opened).toBe(true);
    expect(sni).toEqual(['localhost', false]);
  });

  it('a `servername` that is an IP address checks the certificate against it, sends no SNI, and draws no warning', async () => {
    const { port, sni } = await sniServer();
    const { result, warnings } = await warningsDuring(() => openTls(`mqtts://localhost:${port}`, { ca: certs.caCert, servername: '127.0.0.1' }));
    expect(result).toEqual({ opened: true, error: undefined });
    expect(sni).toEqual([false]);
    expect(warnings).toEqual([]); // Node: DEP0123 "Setting the TLS ServerName to an IP address is not permitted by RFC 6066"
  });

  it('a `servername` IP address the certificate does not name fails with TLS_ERROR', async () => {
    const { port } = await sniServer();
    const { result } = await warningsDuring(() => openTls(`mqtts://localhost:${port}`, { ca: certs.caCert, servername: '10.9.9.9' }));
    expect(result.opened).toBe(false);
    expect((result.error as MqttError).code).toBe('TLS_ERROR');
    expect(result.error?.message).toContain('10.9.9.9');
  });
});
