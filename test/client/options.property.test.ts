/**
 * Client options from plain JavaScript (a JSON config, an environment variable read as it is):
 * any value for any option either builds a client or throws an MqttError with code and origin
 * 'caller' — never a TypeError from deep inside — and an option it does not understand is
 * refused, not read as another (a misspelt dropPolicy silently dropped queued messages), as is a
 * key it does not know (a misspelt keepAlive left keepalive at its default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttClient, MqttError } from '../../src/index.js';
import { CLIENT_OPTION_KEYS } from '../../src/client/options.js';
import type { ClientOptions } from '../../src/client/options.js';
import { parseBrokerUrl } from '../../src/transport/index.js';

/** Never called: these clients are only constructed. */
const noTransport = (): never => {
  throw new Error('not connected in this test');
};

/** The keys given any JSON value below: all but the functions an application passes from code. */
const KEYS = CLIENT_OPTION_KEYS.filter((key) => key !== 'clock' && key !== 'transport');

// The engine's list of keys is the interface's, both ways (a compile error here otherwise): a key
// added to ClientOptions and not to the list would be refused as unknown.
const everyKeyListed: [Exclude<keyof ClientOptions, (typeof CLIENT_OPTION_KEYS)[number]>] extends [never] ? true : false = true;
const onlyKeysListed: [Exclude<(typeof CLIENT_OPTION_KEYS)[number], keyof ClientOptions>] extends [never] ? true : false = true;

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

  it('a key it does not know is refused INVALID_OPTIONS naming it, and the key meant where only the case differs', () => {
    expect([everyKeyListed, onlyKeysListed]).toEqual([true, true]);
    const base = { url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport };
    expect(outcome(() => new MqttClient({ ...base, keepAlive: 10 } as never))).toMatchObject({ code: 'INVALID_OPTIONS', origin: 'caller', message: 'Unknown option keepAlive (keepalive?)' });
    expect(outcome(() => new MqttClient({ ...base, protocolVersion: 5 } as never))).toMatchObject({ code: 'INVALID_OPTIONS', message: 'Unknown option protocolVersion' });
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((key) => !(CLIENT_OPTION_KEYS as readonly string[]).includes(key)), jsonish, (key, value) => {
        expect(outcome(() => new MqttClient({ ...base, [key]: value } as never))).toMatchObject({ code: 'INVALID_OPTIONS', origin: 'caller' });
      }),
    );
  });

  it.each([undefined, null, 5, 'mqtt://127.0.0.1:1', true])('options %j, not an object, are INVALID_OPTIONS, not a TypeError', (options) => {
    expect(outcome(() => new MqttClient(options as never))).toMatchObject({ code: 'INVALID_OPTIONS', origin: 'caller' });
  });

  it('store: null is no store (the default, in memory), as null is for other options', () => {
    expect(outcome(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, store: null as never }))).toBeUndefined();
  });

  it('a value that is not a string (a URL object too) is INVALID_URL naming its type', () => {
    expect(() => parseBrokerUrl(new URL('mqtt://alice:secret@127.0.0.1:1884') as never)).toThrow(expect.objectContaining({ code: 'INVALID_URL', message: 'Not a valid broker URL: (object)' }));
    expect(() => parseBrokerUrl(1883 as never)).toThrow(expect.objectContaining({ code: 'INVALID_URL', message: 'Not a valid broker URL: (number)' }));
  });
});
