/**
 * TLS through MqttClient at the edges (found in review): which failures are TLS failures.
 * Loopback only: a name that does not resolve is simulated by standing in for dns.lookup, the
 * function Node's sockets resolve through, with the error getaddrinfo gives.
 */
import dns from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError } from '../support/internals.js';
import { Cleanup, makeClient, waitFor } from '../client/helpers.js';

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
