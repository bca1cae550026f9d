/**
 * Topic names, topic filters (4.7.1, 4.7.3) and matching (4.7.1.2, 4.7.1.3, 4.7.2): tables
 * from the spec's examples, and properties against simple reference implementations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttProtocolError, isValidTopicFilter, isValidTopicName, topicMatches, validateTopicFilter, validateTopicName } from '../../src/packet/index.js';
import type { ProtocolErrorCode } from '../../src/packet/index.js';
import { topicFilter, topicName } from './arbitraries.js';

function errorOf(fn: () => void): { code: ProtocolErrorCode; statement: string | undefined } | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MqttProtocolError);
    const e = error as MqttProtocolError;
    return { code: e.code as ProtocolErrorCode, statement: e.statement };
  }
  return undefined;
}

/** Reference: a topic filter is non-empty and every level is '#' (last only), '+', or wildcard-free. */
function referenceFilterValid(f: string): boolean {
  if (f.length === 0) return false;
  const levels = f.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : l.includes('+') ? l === '+' : true));
}

/** Reference matcher: split on '/', then level by level. */
function referenceMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true; // also when the topic has exactly i levels: 'a/#' matches 'a'
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('validateTopicName', () => {
  const VALID = ['a', '/', '//', 'a/b', '/a', 'a/', 'a//b', ' ', '$SYS/broker/load', '\ufeff', '\ufeffa/b', 'é/😀', 'sport/tennis/player1', 'x'.repeat(65_535)];

  it.each(VALID.map((t) => [t.length > 40 ? `${t.slice(0, 10)}… (${t.length})` : JSON.stringify(t), t]))('[MQTT-4.7.3-1] accepts %s', (_label, t) => {
    expect(() => validateTopicName(t)).not.toThrow();
    expect(isValidTopicName(t)).toBe(true);
  });

  const INVALID: [string, string, ProtocolErrorCode, string | undefined][] = [
    ['[MQTT-4.7.3-1] an empty name', '', 'INVALID_TOPIC', 'MQTT-4.7.3-1'],
    ['[MQTT-4.7.1-1] [MQTT-3.3.2-2] a lone +', '+', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['[MQTT-4.7.1-1] [MQTT-3.3.2-2] a lone #', '#', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['[MQTT-4.7.1-1] [MQTT-3.3.2-2] a + level', 'a/+/c', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['[MQTT-4.7.1-1] [MQTT-3.3.2-2] a # level', 'a/#', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['[MQTT-4.7.1-1] [MQTT-3.3.2-2] a + inside a level', 'a+b', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['[MQTT-4.7.3-2] [MQTT-1.5.3-2] U+0000 inside', 'a\u0000b', 'NULL_CHARACTER', 'MQTT-1.5.3-2'],
    ['[MQTT-1.5.3-1] a lone surrogate', 'a\ud800', 'INVALID_UTF8', 'MQTT-1.5.3-1'],
    ['[MQTT-4.7.3-3] 65,536 bytes', 'x'.repeat(65_536), 'STRING_TOO_LONG', undefined],
    ['[MQTT-4.7.3-3] 65,536 bytes of two-byte characters', 'é'.repeat(32_768), 'STRING_TOO_LONG', undefined],
  ];

  it.each(INVALID)('%s is refused', (_label, t, code, statement) => {
    const e = errorOf(() => validateTopicName(t));
    expect(e?.code).toBe(code);
    if (statement !== undefined) expect(e?.statement).toBe(statement);
    expect(isValidTopicName(t)).toBe(false);
  });

  it('[MQTT-4.7.1-1] [MQTT-4.7.3-1] agrees with a reference (non-empty, no + or #) on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '/', '+', '#', '$', 'é', '😀', ' '), { maxLength: 8 }), (cs) => {
        const t = cs.join('');
        expect(isValidTopicName(t)).toBe(t.length > 0 && !t.includes('+') && !t.includes('#'));
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every generated topic name', () => {
    fc.assert(
      fc.property(topicName, (t) => {
        expect(isValidTopicName(t)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateTopicFilter', () => {
  const VALID = ['#', '+', '+/+', '/+', '+/', 'a/#', 'a/+/b', '+/#', '/#', '//#', '$SYS/#', 'sport/tennis/+', 'sport/+/player1', 'a//b', 'a', '/', '\ufeff/+', '+/tennis/#'];

  it.each(VALID)('[MQTT-4.7.1-2] [MQTT-4.7.1-3] accepts %j', (f) => {
    expect(() => validateTopicFilter(f)).not.toThrow();
    expect(isValidTopicFilter(f)).toBe(true);
  });

  const INVALID: [string, string][] = [
    ['a#', 'MQTT-4.7.1-2'],
    ['#a', 'MQTT-4.7.1-2'],
    ['a/#/b', 'MQTT-4.7.1-2'],
    ['sport/tennis#', 'MQTT-4.7.1-2'],
    ['#/', 'MQTT-4.7.1-2'],
    ['##', 'MQTT-4.7.1-2'],
    ['sport+', 'MQTT-4.7.1-3'],
    ['a/+b', 'MQTT-4.7.1-3'],
    ['+a/b', 'MQTT-4.7.1-3'],
    ['++', 'MQTT-4.7.1-3'],
    ['+#', 'MQTT-4.7.1-3'],
    ['', 'MQTT-4.7.3-1'],
  ];

  it.each(INVALID)('[MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1] refuses %j citing %s', (f, statement) => {
    expect(errorOf(() => validateTopicFilter(f))).toEqual({ code: 'INVALID_TOPIC_FILTER', statement });
    expect(isValidTopicFilter(f)).toBe(false);
  });

  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] agrees with a reference validator on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '/', '+', '#', '$', 'é', '😀'), { maxLength: 8 }), (cs) => {
        const f = cs.join('');
        expect(isValidTopicFilter(f)).toBe(referenceFilterValid(f));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every generated topic filter', () => {
    fc.assert(
      fc.property(topicFilter, (f) => {
        expect(isValidTopicFilter(f)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('topicMatches', () => {
  const TABLE: [string, string, boolean][] = [
    // 4.7.1.2 multi-level wildcard
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/tennis/player1/#', 'sport/tennis/player2', false],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis', true],
    ['#', '/', true],
    ['a/#', 'a', true],
    ['a/#', 'a/', true],
    ['a/#', 'ab', false],
    // 4.7.1.3 single-level wildcard
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['+', 'finance', true],
    ['+/tennis/#', 'sport/tennis/player1', true],
    // empty levels
    ['a/+/b', 'a//b', true],
    ['a/b', 'a//b', false],
    ['+/a', '/a', true],
    ['a/+', 'a/', true],
    ['a', 'a/', false],
    ['+/+', '/', true],
    ['+', '/', false],
    ['/', '/', true],
    // exact, case-sensitive, no normalization (4.7.3)
    ['ACCOUNTS', 'Accounts', false],
    ['a/b', 'a/b', true],
    ['\u00e9', 'e\u0301', false],
    // 4.7.2 topics beginning with $
    ['#', '$SYS/monitor/Clients', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['+', '$', false],
    ['$', '$', true],
    ['+/+', 'a/$b', true],
  ];

  it.each(TABLE)('[MQTT-4.7.2-1] %j against %j is %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
    expect(referenceMatches(filter, topic)).toBe(expected);
  });

  /** Topics over a tiny alphabet so that filters derived from them often match. */
  const level = fc.constantFrom('a', 'b', '', '$a', 'é', '😀');
  const smallTopic = fc
    .array(level, { minLength: 1, maxLength: 4 })
    .map((ls) => ls.join('/'))
    .filter((t) => t.length > 0);
  const derivedFilter = (topic: string): fc.Arbitrary<string> =>
    fc
      .tuple(fc.array(fc.constantFrom('keep', 'keep', 'plus', 'other'), { minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 5 }), fc.boolean(), level)
      .map(([ops, cut, hash, other]) => {
        const levels = topic.split('/').map((l, i) => (ops[i] === 'plus' ? '+' : ops[i] === 'other' ? other : l));
        const kept = hash ? [...levels.slice(0, Math.min(cut, levels.length)), '#'] : levels;
        return kept.join('/');
      })
      .filter((f) => f.length > 0 && referenceFilterValid(f));
  const pairs = fc.oneof(
    smallTopic.chain((t) => derivedFilter(t).map((f) => [f, t] as const)),
    fc.tuple(topicFilter, topicName),
  );

  it('[MQTT-4.7.2-1] agrees with a split-and-compare reference on arbitrary valid filters and topics', () => {
    let matched = 0;
    const runs = 3000;
    fc.assert(
      fc.property(pairs, ([filter, topic]) => {
        const expected = referenceMatches(filter, topic);
        if (expected) matched++;
        expect(topicMatches(filter, topic)).toBe(expected);
      }),
      { numRuns: runs },
    );
    // The property is only meaningful if both outcomes are common.
    expect(matched).toBeGreaterThan(runs / 5);
    expect(matched).toBeLessThan((runs * 4) / 5);
  });

  it('a topic always matches itself and "#" (unless it starts with "$")', () => {
    fc.assert(
      fc.property(topicName, (t) => {
        expect(topicMatches(t, t)).toBe(true);
        expect(topicMatches('#', t)).toBe(!t.startsWith('$'));
      }),
      { numRuns: 500 },
    );
  });
});
