/**
 * The token bucket behind the imp's MQTT rate limits (seed 001; imp-api.md §6, §9.13), on its
 * own with an explicit clock: starting full, refilling by elapsed time up to its capacity, and
 * refusing a take it has no credit for. The limits as the client applies them are in
 * rate-limit.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../support/internals.js';

describe('TokenBucket [seed 001]', () => {
  it('starts full (40 credits by default) and refuses the 41st take at the same instant', () => {
    const bucket = new TokenBucket({ refillPerSecond: 2 }, 0);
    expect(bucket.capacity).toBe(40);
    expect(bucket.available(0)).toBe(40);
    for (let i = 0; i < 40; i++) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.available(0)).toBe(0);
  });

  it('refills at refillPerSecond up to its capacity, never beyond', () => {
    const bucket = new TokenBucket({ credits: 10, refillPerSecond: 2 }, 1_000);
    for (let i = 0; i < 10; i++) bucket.tryTake(1_000);
    expect(bucket.tryTake(1_400)).toBe(false); // 0.8 credits
    expect(bucket.tryTake(1_500)).toBe(true); // 1 credit at 500 ms
    expect(bucket.tryTake(1_500)).toBe(false);
    expect(bucket.available(2_500)).toBeCloseTo(2, 10);
    expect(bucket.available(1_000_000)).toBe(10);
  });

  it('the inbound figures: 40 credits, 8 per second', () => {
    const bucket = new TokenBucket({ refillPerSecond: 8 }, 0);
    for (let i = 0; i < 40; i++) bucket.tryTake(0);
    expect(bucket.available(1_000)).toBeCloseTo(8, 10);
    expect(bucket.available(5_000)).toBe(40);
  });

  it('charge() cannot be refused and may go into debt; exceeded() reports the debt until repaid', () => {
    const bucket = new TokenBucket({ credits: 2, refillPerSecond: 1 }, 0);
    bucket.charge(0);
    bucket.charge(0);
    expect(bucket.exceeded(0)).toBe(false); // exactly used up is not over the limit
    bucket.charge(0);
    expect(bucket.exceeded(0)).toBe(true);
    expect(bucket.available(0)).toBe(-1);
    expect(bucket.tryTake(500)).toBe(false);
    expect(bucket.exceeded(999)).toBe(true);
    // (Refills add up in floating point: at exactly 1,000 ms the balance may be -1e-18.)
    expect(bucket.exceeded(1_001)).toBe(false);
    expect(bucket.tryTake(2_000)).toBe(true);
  });

  it('a clock that goes backwards neither refills nor breaks the bucket', () => {
    const bucket = new TokenBucket({ credits: 1, refillPerSecond: 1 }, 10_000);
    expect(bucket.tryTake(10_000)).toBe(true);
    expect(bucket.tryTake(5_000)).toBe(false);
    expect(bucket.available(5_000)).toBe(0);
    expect(bucket.tryTake(11_000)).toBe(true);
  });

  it('property: in any time window, takes + charges never exceed capacity + refill × elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 700 }), op: fc.constantFrom('take', 'take', 'take', 'charge') }), { maxLength: 300 }),
        (capacity, refill, steps) => {
          const bucket = new TokenBucket({ credits: capacity, refillPerSecond: refill }, 0);
          let now = 0;
          /** Time of every credit spent (successful take or charge). */
          const spent: number[] = [];
          let charges = 0;
          for (const { dt, op } of steps) {
            now += dt;
            if (op === 'charge') {
              bucket.charge(now);
              spent.push(now);
              charges++;
            } else if (bucket.tryTake(now)) {
              spent.push(now);
            }
            expect(bucket.available(now)).toBeLessThanOrEqual(capacity);
          }
          // Every window [spent[i], spent[j]]: what was spent fits the bucket plus its refill.
          // Charges may overdraw (they cannot be refused), so only successful takes are bounded:
          // with no charges, the bound holds exactly.
          if (charges === 0) {
            for (let i = 0; i < spent.length; i++) {
              for (let j = i; j < spent.length; j++) {
                const count = j - i + 1;
                const allowance = capacity + (refill * (spent[j]! - spent[i]!)) / 1000;
                expect(count).toBeLessThanOrEqual(allowance + 1e-9);
              }
            }
          }
          // Overall, takes and charges together are within capacity + refill × elapsed plus the charges' debt.
          const takes = spent.length - charges;
          expect(takes).toBeLessThanOrEqual(capacity + (refill * now) / 1000 + 1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: after a refusal, waiting 1000/refill ms always allows a take (no charges)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 16 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (capacity, refill, gaps) => {
        const bucket = new TokenBucket({ credits: capacity, refillPerSecond: refill }, 0);
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          if (!bucket.tryTake(now)) {
            now += Math.ceil(1000 / refill);
            expect(bucket.tryTake(now)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
