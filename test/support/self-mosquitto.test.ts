/**
 * Self-tests of the test harness: the mosquitto gate (run, skip or fail when it is missing), its
 * password hashing, and the launcher (plain, TLS and mutual TLS listeners, password files, config
 * options, restart with persistence), checked with raw MQTT bytes from our codec.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certs, clientIdentity } from './certs.js';
import {
  describeWithMosquitto,
  hashMosquittoPassword,
  liveMosquittoCount,
  mosquittoGate,
  mosquittoMissingMessage,
  mosquittoSkipMessage,
  startMosquitto,
} from './mosquitto.js';
import { canConnect } from './ports.js';
import { connectPacket, defer, handshake, refusedWithoutCertificate, tcpClient, tlsClient, utf8 } from './raw-peer.js';

describe('mosquitto gate', () => {
  it('runs when installed, skips when missing, fails when missing but required', () => {
    expect(mosquittoGate(true, {})).toBe('run');
    expect(mosquittoGate(true, { MQTT_REQUIRE_MOSQUITTO: '1' })).toBe('run');
    expect(mosquittoGate(false, {})).toBe('skip');
    expect(mosquittoGate(false, { MQTT_REQUIRE_MOSQUITTO: '0' })).toBe('skip');
    expect(mosquittoGate(false, { MQTT_REQUIRE_MOSQUITTO: '1' })).toBe('fail');
    expect(mosquittoSkipMessage('x')).toBe('mosquitto not installed: skipping x (set MQTT_REQUIRE_MOSQUITTO=1 to make this an error)');
    expect(mosquittoMissingMessage('x')).toMatch(/MQTT_REQUIRE_MOSQUITTO=1.*not installed/);
  });

  it('hashMosquittoPassword writes the $7$ PBKDF2-SHA512 line mosquitto_passwd writes', () => {
    const line = hashMosquittoPassword('alice', 'secret', Buffer.from('0123456789ab'));
    expect(line).toMatch(/^alice:\$7\$101\$MDEyMzQ1Njc4OWFi\$[A-Za-z0-9+/]{86}==$/);
  });
});

describeWithMosquitto('mosquitto launcher', () => {
  afterAll(() => {
    expect(liveMosquittoCount()).toBe(0);
  });

  it('starts a plain listener that accepts CONNECT, and stop() ends the process and removes its dir', async () => {
    const broker = defer(await startMosquitto());
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(readFileSync(broker.configFile, 'utf8')).toMatch(/^listener \d+ 127\.0\.0\.1$/m);
    const client = await tcpClient(broker.port);
    expect(await handshake(client, connectPacket('plain'))).toEqual({ sessionPresent: false, returnCode: 0 });

    await broker.stop();
    await client.closed;
    expect(broker.pid()).toBeUndefined();
    expect(existsSync(broker.dir)).toBe(false);
    expect(await canConnect(broker.port)).toBe(false);
    expect(broker.readLog()).toMatch(/mosquitto version \S+ running/);
    await broker.stop(); // idempotent
  });

  it('serves TLS with the test certificates (verified against the CA) next to the plain listener', async () => {
    const broker = defer(await startMosquitto({ tls: true }));
    expect(broker.tlsPort).toBeDefined();
    expect(broker.tlsUrl).toBe(`mqtts://127.0.0.1:${broker.tlsPort}`);
    const { client, socket } = await tlsClient(broker.tlsPort!);
    expect(socket.authorized).toBe(true);
    expect(await handshake(client, connectPacket('tls'))).toEqual({ sessionPresent: false, returnCode: 0 });
    await expect(tlsClient(broker.tlsPort!, { ca: certs.untrustedCaCert })).rejects.toThrow();
  });

  it('mutual TLS: a client certificate signed by the CA is required', async () => {
    const broker = defer(await startMosquitto({ tls: { requireCertificate: true } }));
    const { client } = await tlsClient(broker.tlsPort!, clientIdentity);
    expect(await handshake(client, connectPacket('mtls'))).toEqual({ sessionPresent: false, returnCode: 0 });
    expect(await refusedWithoutCertificate(broker.tlsPort!)).toBe(true);
  });

  for (const method of ['mosquitto_passwd', 'node'] as const) {
    it(`password_file (${method}): right password accepted, wrong password and anonymous refused`, async ({ skip }) => {
      const broker = defer(await startMosquitto({ users: { alice: 'secret', bob: 'hunter2' }, passwordFileMethod: method }).catch((error: Error) => {
        if (method === 'mosquitto_passwd' && /not installed/.test(error.message)) skip('mosquitto_passwd not installed');
        throw error;
      }));
      expect(broker.passwordFileMethod).toBe(method);
      const ok = await tcpClient(broker.port);
      expect((await handshake(ok, connectPacket('a', { username: 'alice', password: utf8('secret') }))).returnCode).toBe(0);
      const ok2 = await tcpClient(broker.port);
      expect((await handshake(ok2, connectPacket('b', { username: 'bob', password: utf8('hunter2') }))).returnCode).toBe(0);
      // mosquitto 2.0.11 says 5 (not authorized) here; 4 would be as fair a reading of 3.1.1.
      const wrong = await tcpClient(broker.port);
      expect([4, 5]).toContain((await handshake(wrong, connectPacket('c', { username: 'alice', password: utf8('nope') }))).returnCode);
      const anonymous = await tcpClient(broker.port);
      expect([4, 5]).toContain((await handshake(anonymous, connectPacket('d'))).returnCode);
    });
  }

  it('writes max_inflight_messages / max_queued_messages / log_type, and logs to its log file', async () => {
    const broker = defer(await startMosquitto({ maxInflightMessages: 0, maxQueuedMessages: 10, logTypes: ['all'], extraConfig: ['max_keepalive 120'] }));
    const config = readFileSync(broker.configFile, 'utf8');
    expect(config).toMatch(/^max_inflight_messages 0$/m);
    expect(config).toMatch(/^max_queued_messages 10$/m);
    expect(config).toMatch(/^log_type all$/m);
    expect(config).toMatch(/^max_keepalive 120$/m);
    const client = await tcpClient(broker.port);
    expect((await handshake(client, connectPacket('logged-client'))).returnCode).toBe(0);
    client.send({ type: 'pingreq' });
    expect((await client.next()).type).toBe('pingresp');
    expect(readFileSync(broker.logFile, 'utf8')).toContain('logged-client');
  });

  it('restart() comes back on the same port, and with persistence the session survives it', async () => {
    const broker = defer(await startMosquitto({ persistence: true }));
    const { port } = broker;
    const pid = broker.pid();

    const first = await tcpClient(port);
    expect(await handshake(first, connectPacket('persistent', { cleanSession: false }))).toEqual({ sessionPresent: false, returnCode: 0 });
    first.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'harness/#', qos: 1 }] });
    expect(await first.next()).toEqual({ type: 'suback', packetId: 1, granted: [1] });
    first.send({ type: 'disconnect' });
    await first.closed;

    await broker.restart();
    expect(broker.port).toBe(port);
    expect(broker.pid()).not.toBe(pid);

    const second = await tcpClient(port);
    expect(await handshake(second, connectPacket('persistent', { cleanSession: false }))).toEqual({ sessionPresent: true, returnCode: 0 });
    expect(readFileSync(join(broker.dir, 'mosquitto.conf'), 'utf8')).toMatch(/^persistence true$/m);

    // A hard restart (SIGKILL) also comes back on the same port and drops its clients.
    await broker.restart({ hard: true });
    await second.closed;
    const third = await tcpClient(port);
    expect((await handshake(third, connectPacket('after-kill'))).returnCode).toBe(0);
  });
});
