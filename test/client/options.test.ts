/**
 * Client options refused at construction, before any transport is opened: the empty client id
 * that only a clean session may use [MQTT-3.1.3-7]. The packet codec refuses such a CONNECT too
 * (test/packet/errors-connect.test.ts); these tests show the client and the session never get as far.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/index.js';
import { resolveOptions } from '../../src/client/options.js';
import type { ClientOptions } from '../../src/client/options.js';
import { MqttError } from '../../src/errors.js';
import { MemorySessionStore, Session } from '../../src/session/index.js';
import { mqttString } from '../packet/arbitraries.js';

/** A transport factory that must never be called: nothing here may connect anywhere. */
const noTransport = (): never => {
  throw new Error('a transport was opened');
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('client id and CleanSession', () => {
  it('[MQTT-3.1.3-7] MqttClient refuses an empty client id with cleanSession false at construction, and takes every other pairing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(''), mqttString(23)), fc.boolean(), (clientId, cleanSession) => {
        const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1883', clientId, cleanSession, reconnect: false, transport: noTransport }).destroy());
        if (clientId === '' && !cleanSession) {
          expect(error).toBeInstanceOf(MqttError);
          expect(error).toMatchObject({ code: 'INVALID_CLIENT_ID', statement: 'MQTT-3.1.3-7' });
        } else {
          expect(error).toBeUndefined();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('[MQTT-3.1.3-7] Session.connect() with an empty client id and CleanSession 0 is refused and sends nothing; with CleanSession 1 it sends the CONNECT', () => {
    const refused = new Session({ clientId: '' });
    expect(thrown(() => refused.connect({ keepalive: 0, cleanSession: false }, 0))).toMatchObject({ statement: 'MQTT-3.1.3-7' });
    expect(refused.state).toBe('disconnected');
    expect(refused.takeActions()).toEqual([]);
    const clean = new Session({ clientId: '' });
    clean.connect({ keepalive: 0, cleanSession: true }, 0);
    expect(clean.takeActions()).toEqual([{ type: 'send', packet: { type: 'connect', clientId: '', keepalive: 0, cleanSession: true } }]);
  });
});

describe('requests from plain JavaScript', () => {
  it("subscribe('a/b') and unsubscribe('a/b') (MQTT.js's habit) throw INVALID_ARGUMENT naming the string, connected or not, and queue nothing", () => {
    const client = new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport });
    for (const call of [() => client.subscribe('a/b' as never), () => client.unsubscribe('a/b' as never)]) {
      const error = thrown(call) as MqttError;
      expect(error).toBeInstanceOf(MqttError);
      expect([error.code, error.origin]).toEqual(['INVALID_ARGUMENT', 'caller']);
      expect(error.message).toMatch(/^(SUBSCRIBE|UNSUBSCRIBE)'s topic filters must be an array, got "a\/b"$/);
    }
    expect(client.queuedCount).toBe(0);
  });
});

describe('will from plain JavaScript', () => {
  it('a will that is null or not an object is INVALID_OPTIONS at construction, not a TypeError', () => {
    for (const will of [null, 'topic', 5]) {
      const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, will: will as never })) as MqttError;
      expect(error).toBeInstanceOf(MqttError);
      expect([error.code, error.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
      expect(error.message).toContain('will must be an object');
    }
  });
});

describe('reconnect delays from plain JavaScript', () => {
  it('a stableAfter that is negative, NaN or not a number is INVALID_OPTIONS (it decides failover: NaN meant never stable, -1 always)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: -Number.MIN_VALUE }), fc.constant(Number.NaN), fc.string()), (stableAfter) => {
        const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: { stableAfter: stableAfter as never }, transport: noTransport })) as MqttError;
        expect(error).toBeInstanceOf(MqttError);
        expect([error.code, error.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
        expect(error.message).toContain('stableAfter');
      }),
    );
    for (const stableAfter of [0, 10_000, Infinity]) {
      expect(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: { stableAfter }, transport: noTransport })).not.toThrow();
    }
  });
});

describe('reconnect from plain JavaScript', () => {
  it('reconnect that is neither a boolean nor an object (0, as MQTT.js users write reconnectPeriod: 0 for off) is INVALID_OPTIONS, not on with defaults', () => {
    for (const reconnect of [0, 1, 'x', '']) {
      const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: reconnect as never, transport: noTransport })) as MqttError;
      expect(error).toBeInstanceOf(MqttError);
      expect([error.code, error.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
      expect(error.message).toContain('reconnect is a boolean or');
    }
    for (const reconnect of [true, false, {}, null, undefined]) {
      expect(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: reconnect as never, transport: noTransport })).not.toThrow();
    }
  });
});

/** What plain JavaScript may put where a boolean belongs ('false' from an environment variable, 0 from MQTT.js habits): none is a boolean. */
const notBoolean: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom<unknown>('false', 'true', '', 0, 1, Number.NaN, [], {}), fc.string(), fc.double());

/** Each boolean option, and the options that carry it. */
const BOOLEANS: Record<string, (value: unknown) => object> = {
  cleanSession: (value) => ({ cleanSession: value }),
  queueQoS0: (value) => ({ queueQoS0: value }),
  manualAck: (value) => ({ manualAck: value }),
  resubscribe: (value) => ({ resubscribe: value }),
  'will.retain': (value) => ({ will: { topic: 'w', payload: 'x', retain: value } }),
};

describe('booleans from plain JavaScript', () => {
  it('[MQTT-3.1.2-4] cleanSession, queueQoS0, manualAck, resubscribe and will.retain that are not booleans are INVALID_OPTIONS at construction, naming the option, not read by truthiness (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(BOOLEANS)), notBoolean, fc.constantFrom('', 'c'), (key, value, clientId) => {
        const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', clientId, reconnect: false, transport: noTransport, ...BOOLEANS[key]!(value) }).destroy()) as MqttError;
        expect(error).toBeInstanceOf(MqttError);
        expect([error.code, error.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
        expect(error.message.toLowerCase()).toContain(key.replace('.', ' ').toLowerCase());
      }),
      { numRuns: 300 },
    );
    for (const [key, options] of Object.entries(BOOLEANS)) {
      // null is the default, as for other options (a JSON config's "none"); a will's retain has no null.
      for (const value of key === 'will.retain' ? [true, false, undefined] : [true, false, null, undefined]) {
        expect(thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, ...options(value) }).destroy())).toBeUndefined();
      }
    }
  });
});

describe('numbers from plain JavaScript', () => {
  /** A number as a config file or an environment variable spells it. */
  const numericString = fc.oneof(fc.integer({ min: 0, max: 100_000 }).map(String), fc.constantFrom('1e3', ' 5 ', '0x10', '60000'));

  it('reconnect.initialDelay and reconnect.maxDelay that are numeric strings or NaN are INVALID_OPTIONS (">=" coerced them, and compared two strings as text) (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('initialDelay', 'maxDelay'), fc.oneof(numericString, fc.constant(Number.NaN)), (key, value) => {
        const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: { [key]: value }, transport: noTransport }).destroy()) as MqttError;
        expect(error).toBeInstanceOf(MqttError);
        expect([error.code, error.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
        expect(error.message).toContain(key);
      }),
    );
    expect(thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: { initialDelay: 0, maxDelay: 5 }, transport: noTransport }).destroy())).toBeUndefined();
  });

  it('keepalive, connectTimeout, maxInflight, maxBuffered, retryInterval, pingTimeout and maxPacketSize that are numeric strings are refused at construction, naming the option (property)', () => {
    const keys = ['keepalive', 'connectTimeout', 'maxInflight', 'maxBuffered', 'retryInterval', 'pingTimeout', 'maxPacketSize'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), numericString, (key, value) => {
        const error = thrown(() => new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, transport: noTransport, [key]: value }).destroy()) as MqttError;
        expect(error).toBeInstanceOf(MqttError);
        expect([error.code, error.origin]).toEqual([key === 'keepalive' ? 'INVALID_KEEPALIVE' : 'INVALID_OPTIONS', 'caller']);
        expect(error.message).toContain(key);
      }),
    );
  });
});

describe("resolveOptions checks what the session will (found in review: the imp face's connect() relies on it)", () => {
  it('every option the session refuses is refused by resolveOptions too, before a store provider is opened (property)', () => {
    const bad = fc.oneof(
      fc.record({ maxInflight: fc.constantFrom(0, -1, Number.NaN) }),
      fc.record({ maxBuffered: fc.constantFrom(-1, Number.NaN) }),
      fc.record({ retryInterval: fc.constantFrom(-1, Number.NaN) }),
      fc.record({ undeliverableAfter: fc.constantFrom(0, 0.5) }),
      fc.record({ pingTimeout: fc.constantFrom(0, 0.5) }),
      fc.record({ connectTimeout: fc.double({ min: Number.MIN_VALUE, max: 1, maxExcluded: true, noNaN: true }) }),
      fc.record({ dropPolicy: fc.constantFrom('reject_new', 'oldest') }),
      fc.record({ queueQoS0: fc.constantFrom('true', 1) }),
      fc.record({ manualAck: fc.constantFrom('false', 0) }),
    );
    fc.assert(
      fc.property(bad, (options) => {
        let opened = 0;
        const store = { open: () => (opened++, new MemorySessionStore()) };
        const all = { url: 'mqtt://127.0.0.1:1', store, transport: noTransport, ...options } as ClientOptions;
        const error = thrown(() => resolveOptions(all)) as MqttError;
        expect([error?.code, error?.origin]).toEqual(['INVALID_OPTIONS', 'caller']);
        expect(opened).toBe(0);
        expect((thrown(() => new MqttClient(all)) as MqttError).code).toBe('INVALID_OPTIONS');
      }),
    );
  });
});
