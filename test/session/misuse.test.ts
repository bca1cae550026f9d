/**
 * The sans-I/O Session used directly from plain JavaScript (found in review): options and times
 * that are not numbers are refused at the call (INVALID_OPTIONS, INVALID_ARGUMENT) instead of
 * making deadlines of strings or NaN that never fall due, and an empty takeActions() result is
 * never the array the next actions go into.
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

  it('acknowledge(null) is false, not a TypeError', () => {
    const s = new Session({ clientId: 'c', manualAck: true });
    expect(s.acknowledge(null as never, 0)).toBe(false);
  });
});
