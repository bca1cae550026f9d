/**
 * Client options from plain JavaScript (a JSON config, an environment variable read as it is):
 * any value for any option either builds a client or throws an MqttError with code and origin
 * 'caller' — never a TypeError from deep inside — and an option it does not understand is
 * refused, not read as another (a misspelt dropPolicy silently dropped queued messages).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttClient, MqttError } from '../../src/index.js';
import { parseBrokerUrl } from '../../src/transport/index.js';

/** Never called: these clients are only constructed. */
const noTransport = (): never => {
  throw new Error('not connected in this test');
};

const KEYS = [
  'url', 'servers', 'clientId', 'keepalive', 'cleanSession', 'will', 'username', 'password', 'connectTimeout', 'reconnect', 'resubscribe',
  'maxPacketSize', 'tls', 'ws', 'maxInflight', 'maxBuffered', 'dropPolicy', 'queueQoS0', 'retryInterval', 'pingTimeout', 'manualAck', 'store', 'hooks',
] as const;

/** What JSON (and a careless caller) can put in an option. */
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, -1, 1.5, NaN, Infinity, 2 ** 31, '', 'x', '5', 'mqtt://127.0.0.1:1', 'drop_oldest', true, false, [], {}, ['mqtt://127.0.0.1:1'], [5]),
  fc.jsonValue({ maxDepth: 2 }),
);

function outcome(build: () => unknown): MqttError | undefined {
  try {
    const client = build();
    (client as MqttClient).destroy();
    return undefined;
  } catch (error) {
    if (!(error instanceof MqttError)) throw error;
    return error;
  }
}

describe('options from plain JavaScript', () => {
  it('any JSON value in any option: a client, or an MqttError of origin caller (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), jsonish, { maxKeys: 3 }), (extra) => {
        const options = { url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, ...extra };
        const error = outcome(() => new MqttClient(options as never));
        if (error !== undefined) expect(error.origin).toBe('caller');
      }),
      { numRuns: 5_000 },
    );
  });

  it('parseBrokerUrl of any value: an Endpoint or INVALID_URL (property)', () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string(), fc.webUrl()), (url) => {
        try {
          parseBrokerUrl(url as string);
        } catch (error) {
          expect(error).toBeInstanceOf(MqttError);
          expect((error as MqttError).code).toBe('INVALID_URL');
        }
      }),
      { numRuns: 5_000 },
    );
  });

  // Shrunk counterexamples: each threw a TypeError (or was accepted and misread).
  it.each([
    ['url', null, 'INVALID_URL'],
    ['url', 1883, 'INVALID_URL'],
    ['servers', 'mqtt://127.0.0.1:1', 'INVALID_OPTIONS'],
    ['servers', {}, 'INVALID_OPTIONS'],
    ['dropPolicy', 'drop_oldest', 'INVALID_OPTIONS'],
    ['dropPolicy', 'x', 'INVALID_OPTIONS'],
    ['store', 'x', 'INVALID_OPTIONS'],
    // An object with no usable toString: the message must not convert it to text.
    ['cleanSession', { toString: null }, 'INVALID_OPTIONS'],
    ['resubscribe', { toString: null }, 'INVALID_OPTIONS'],
    ['maxInflight', { toString: null }, 'INVALID_OPTIONS'],
    ['dropPolicy', { toString: null }, 'INVALID_OPTIONS'],
    ['connectTimeout', { toString: null }, 'INVALID_OPTIONS'],
    ['maxPacketSize', { toString: null }, 'INVALID_OPTIONS'],
    ['keepalive', { toString: null }, 'INVALID_KEEPALIVE'],
  ])('%s: %j is %s', (key, value, code) => {
    const error = outcome(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, [key]: value } as never));
    expect([error?.code, error?.origin]).toEqual([code, 'caller']);
  });

  it('store: null is no store (the default, in memory), as null is for other options', () => {
    expect(outcome(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, store: null as never }))).toBeUndefined();
  });

  it('a value that is not a string (a URL object too) is INVALID_URL naming its type', () => {
    expect(() => parseBrokerUrl(new URL('mqtt://alice:secret@127.0.0.1:1884') as never)).toThrow(expect.objectContaining({ code: 'INVALID_URL', message: 'Not a valid broker URL: (object)' }));
    expect(() => parseBrokerUrl(1883 as never)).toThrow(expect.objectContaining({ code: 'INVALID_URL', message: 'Not a valid broker URL: (number)' }));
  });
});
