/**
 * A queue's configuration comes from files, YAML and environment variables: any values for its
 * keys give settings or INVALID_OPTIONS naming the key — never another exception — and the
 * broker the settings name is the host and port configured, never a part of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../../src/api/queue/config.js';
import { MqttError } from '../../../src/errors.js';
import { parseBrokerUrl } from '../../../src/transport/url.js';

const KEYS = [
  'connection.uri', 'connection.host', 'connection.port', 'connection.protocol', 'connections.host', 'options.qos', 'options.ack_on', 'options.serialize_envelope',
  'options.retain', 'options.connect_timeout', 'options.reconnect_timeout', 'options.keepalive_timeout', 'options.max_buffered', 'options.clean_session', 'topic', 'client_id',
];
const HOSTS = ['broker', 'a/b', 'x#y', 'x?y', 'u@h', 'u:p@h', '%41', 'a\\b', 'a\tb', '::1', '127.0.0.1', ''];
const value = fc.oneof(fc.constantFrom(...HOSTS, null, 0, 1, 2000, '2000', 1.5, -1, 'true', 'no', 'T', 'complete', 'ws', true, [], ['a']), fc.jsonValue({ maxDepth: 1 }));

describe('queue configuration from outside', () => {
  it('any values: settings, or INVALID_OPTIONS naming the key (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }), (config) => {
        try {
          resolveSettings(config);
        } catch (error) {
          expect(error).toBeInstanceOf(MqttError);
          expect((error as MqttError).code).toBe('INVALID_OPTIONS');
          expect((error as MqttError).message).toMatch(/^Queue configuration: [a-z_.]+ /);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('connection.host and connection.port: the broker is exactly that host and port, or the host is refused (property)', () => {
    const host = fc.oneof(fc.constantFrom(...HOSTS), fc.string({ maxLength: 10 }));
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65_535 }), (h, port) => {
        let uri: string;
        try {
          uri = resolveSettings({ 'connection.host': h, 'connection.port': port }).uri;
        } catch (error) {
          expect((error as MqttError).code).toBe('INVALID_OPTIONS');
          return;
        }
        let endpoint;
        try {
          endpoint = parseBrokerUrl(uri);
        } catch (error) {
          expect((error as MqttError).code).toBe('INVALID_URL'); // refused when the queue opens
          return;
        }
        expect(endpoint.port).toBe(port);
        expect(endpoint.username).toBeUndefined();
        // ASCII names as typed (a numeric last label is an IPv4 address, as inet_aton reads it).
        if (/^[\x21-\x7e]+$/.test(h) && !/(^|\.)(0x[0-9a-f]*|\d+)\.?$/i.test(h)) expect(endpoint.host).toBe(h.toLowerCase());
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['a/b', 'the port was lost: a:1883'],
    ['x#y', 'the host was cut: x'],
    ['u@h', "'u' was sent as the user name, to h"],
    ['%41', 'the escape was decoded: a'],
  ])('connection.host %j is INVALID_OPTIONS (it was: %s)', (host) => {
    expect(() => resolveSettings({ 'connection.host': host, 'connection.port': 2000 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/^Queue configuration: connection\.host /) }));
  });
});
