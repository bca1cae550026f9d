/**
 * The sans-I/O Session used directly from plain JavaScript (found in review): options and times
 * that are not numbers are refused at the call (INVALID_OPTIONS, INVALID_ARGUMENT) instead of
 * making deadlines of strings or NaN that never fall due, booleans that are not booleans instead
 * of being read by truthiness ('false' is true), and an empty takeActions() result is never the
 * array the next actions go into.
 */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/index.js';
import { MqttError } from '../../src/errors.js';

const OPTS = { keepalive: 10, cleanSession: true };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof MqttError ? error.code : `not an MqttError: ${String(error)}`;
  }
  return 'no error';
}

describe('Session: what plain JavaScript may pass', () => {
  it("numeric strings and NaN for its timeouts are INVALID_OPTIONS ('5000' used to make a CONNACK deadline of hours)", () => {
    expect(codeOf(() => new Session({ clientId: 'c', connackTimeout: '5000' as never }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new Session({ clientId: 'c', retryInterval: '100' as never }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new Session({ clientId: 'c', pingTimeout: Number.NaN }))).toBe('INVALID_OPTIONS'); // NaN used to turn off dead-link detection
    expect(codeOf(() => new Session({} as never))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new Session({ clientId: 'c', pingTimeout: 5_000, connackTimeout: 1 }))).toBe('no error');
  });

  it('a time that is not a number is INVALID_ARGUMENT at connect() and tick() (a NaN deadline never falls due)', () => {
    const s = new Session({ clientId: 'c' });
    expect(codeOf(() => s.connect(OPTS, undefined as never))).toBe('INVALID_ARGUMENT');
    expect(s.state).toBe('disconnected');
    s.connect(OPTS, 0);
    expect(codeOf(() => s.tick(Number.NaN))).toBe('INVALID_ARGUMENT');
    s.tick(30_001);
    expect(s.state).toBe('disconnected'); // the CONNACK deadline still fell due
  });

  it('an empty takeActions() result is not the array later actions go into', () => {
    const s = new Session({ clientId: 'c' });
    const first = s.takeActions();
    s.connect(OPTS, 0);
    expect(first).toHaveLength(0);
    expect(s.takeActions().map((a) => a.type)).toEqual(['send']);
  });

  it("[MQTT-3.1.2-4] cleanSession, queueQoS0 and manualAck that are not booleans ('false', 0) are INVALID_OPTIONS, not read by truthiness", () => {
    for (const key of ['cleanSession', 'queueQoS0', 'manualAck']) {
      for (const value of ['false', 'true', 0, 1, '']) expect(codeOf(() => new Session({ clientId: 'c', [key]: value }))).toBe('INVALID_OPTIONS');
      for (const value of [true, false, null, undefined]) expect(codeOf(() => new Session({ clientId: 'c', [key]: value }))).toBe('no error');
    }
  });

  it("[MQTT-3.1.2-4] connect() with a CleanSession that is not a boolean ('false', 0) is refused and sends nothing", () => {
    for (const cleanSession of ['false', 0, 1, undefined]) {
      const s = new Session({ clientId: 'c' });
      expect(codeOf(() => s.connect({ keepalive: 10, cleanSession: cleanSession as never }, 0))).toBe('INVALID_CONNECT');
      expect([s.state, s.takeActions()]).toEqual(['disconnected', []]);
    }
  });

  it("[MQTT-3.3.1-5] publish() with a retain that is not a boolean ('false', 0) is INVALID_OPTIONS and sends nothing", () => {
    const s = new Session({ clientId: 'c' });
    s.connect(OPTS, 0);
    s.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
    s.takeActions();
    for (const retain of ['false', 0, 1, '']) {
      expect(codeOf(() => s.publish({ topic: 't', payload: new Uint8Array(0), qos: 0, retain: retain as never }, 0))).toBe('INVALID_OPTIONS');
    }
    expect(s.takeActions()).toEqual([]);
  });

  it('acknowledge(null) is false, not a TypeError', () => {
    const s = new Session({ clientId: 'c', manualAck: true });
    expect(s.acknowledge(null as never, 0)).toBe(false);
  });
});
