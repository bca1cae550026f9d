/**
 * The gateway's bounded tables on their own: the nonce cache remembers a nonce for as long as a
 * request carrying it could be accepted, and refuses rather than forgets when full; the
 * per-instance rate limits refuse new instance ids rather than grow past their bound; and its
 * options read from plain JavaScript.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NonceCache } from '../../../src/api/gateway/nonce-cache.js';
import { InstanceRateLimits } from '../../../src/api/gateway/rate-limits.js';
import { resolveGatewayOptions } from '../../../src/api/gateway/options.js';

describe('NonceCache', () => {
  it('a nonce is never forgotten before its forget time, whatever the times (property); after it, within a minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 1, max: 10 ** 7 }), fc.integer({ min: 0, max: 2 * 10 ** 7 }), (now, keep, later) => {
        const cache = new NonceCache(10);
        expect(cache.remember('n', now + keep, now)).toBe('fresh');
        const at = now + later;
        const verdict = cache.remember('n', at + keep, at);
        if (at < now + keep) expect(verdict).toBe('used');
        else if (at >= now + keep + 60_000) expect(verdict).toBe('fresh');
      }),
    );
  });

  it('never forgets a nonce before its forget time, even on a minute boundary', () => {
    const cache = new NonceCache(10);
    expect(cache.remember('n', 120_000, 60_000)).toBe('fresh');
    expect(cache.remember('n', 0, 119_999)).toBe('used');
    expect(cache.remember('n', 0, 120_000 - 1)).toBe('used');
  });

  it('when full, refuses new nonces instead of forgetting remembered ones', () => {
    const cache = new NonceCache(2);
    expect(cache.remember('a', 10 ** 6, 0)).toBe('fresh');
    expect(cache.remember('b', 10 ** 6, 0)).toBe('fresh');
    expect(cache.remember('c', 10 ** 6, 0)).toBe('full');
    expect(cache.remember('a', 10 ** 6, 1)).toBe('used');
  });
});

describe('InstanceRateLimits', () => {
  it('allows the configured calls per second per instance on a frozen clock', () => {
    const limits = new InstanceRateLimits(3);
    expect([1, 2, 3, 4].map(() => limits.admit('i', 0))).toEqual([true, true, true, false]);
    expect(limits.admit('other', 0)).toBe(true);
    expect(limits.admit('i', 1_000)).toBe(true);
  });

  it('does not grow past 10,000 busy instances: a caller cycling instance ids is refused', () => {
    const limits = new InstanceRateLimits(1);
    for (let i = 0; i < 10_000; i++) expect(limits.admit(`i-${i}`, 0)).toBe(true);
    expect(limits.admit('one-more', 0)).toBe(false);
    // Once the others are idle again (full buckets), room is made.
    expect(limits.admit('one-more', 5_000)).toBe(true);
  });
});

describe('gateway options from plain JavaScript', () => {
  it("allowAnonymous that is not a boolean ('false' from a config file, 0) is INVALID_OPTIONS: read by truthiness, 'false' admitted unsigned calls", () => {
    for (const allowAnonymous of ['false', 'true', 0, 1, '']) {
      expect(() => resolveGatewayOptions({ mqtt: { url: 'mqtt://127.0.0.1:1' }, allowAnonymous: allowAnonymous as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('allowAnonymous') }),
      );
    }
    expect(resolveGatewayOptions({ mqtt: { url: 'mqtt://127.0.0.1:1' }, allowAnonymous: true }).allowAnonymous).toBe(true);
  });
});
