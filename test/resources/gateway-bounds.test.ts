/**
 * The gateway's tables under months of callers, on simulated time: what callers choose (nonces,
 * actions, codes) never grows what the gateway keeps past what its window and its label set
 * allow. (The per-instance rate limits' bound is test/api/gateway/units.test.ts's.)
 */
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/api/gateway/metrics.js';
import { NonceCache } from '../../src/api/gateway/nonce-cache.js';

describe('nonce cache under sustained traffic', () => {
  it('new nonces at 20 a second for 3 simulated hours: no more are held than the window (and the minute it is swept by) admits, and none once the window has passed', () => {
    const windowMs = 900_000;
    const cache = new NonceCache(1_000_000);
    const start = Date.UTC(2026, 0, 1);
    const hours = 3;
    let most = 0;
    let fresh = 0;
    for (let i = 0; i < hours * 3_600 * 20; i++) {
      const now = start + i * 50;
      // Signed up to the window's edge either way, as the timestamp check lets through.
      const signedAt = now + ((i % 7) - 3) * (windowMs / 3);
      if (cache.remember(`key\n${i}`, signedAt + windowMs + 1, now) === 'fresh') fresh++;
      if (cache.size > most) most = cache.size;
    }
    expect(fresh).toBe(hours * 3_600 * 20);
    // Kept for up to two windows (signed at the far edge) and the minute the sweep rounds to.
    expect(most).toBeLessThanOrEqual(20 * (2 * windowMs + 2 * 60_000) / 1_000);
    cache.remember('last', start + (hours * 3_600 + 3 * 900) * 1_000, start + (hours * 3_600 + 2 * 900) * 1_000 + 120_000);
    expect(cache.size).toBe(1);
  });
});

describe('metrics labels', () => {
  it('ever-new action names and every code: the series stay the known actions × the codes answered', () => {
    const metrics = new GatewayMetrics();
    const series = (): number => metrics.render(true, 0).split('\n').filter((line) => line.startsWith('impmqtt_gateway_requests_total{')).length;
    for (let i = 0; i < 10_000; i++) metrics.countRequest(`Action${i}`, 400, 'ApiNotSupport');
    metrics.countRequest(undefined, 400, 'ApiNotSupport');
    metrics.countRequest('SendMessage', 400, 'ApiNotSupport');
    expect(series()).toBe(3); // other, none, SendMessage
  });
});
