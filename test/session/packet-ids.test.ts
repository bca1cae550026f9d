/**
 * Packet identifiers: the allocator on its own (never 0, never one held, ids in cyclic order so
 * an id rests a round of the id space before it returns, reserve). Exhaustion through a Session
 * is test/session/id-exhaustion.test.ts; what it keeps over a long life, test/resources/packet-ids.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketIdAllocator } from '../../src/session/packet-ids.js';

const MAX = 65_535;

function fullAllocator(): PacketIdAllocator {
  const a = new PacketIdAllocator();
  for (let i = 1; i <= MAX; i++) a.allocate();
  return a;
}

type IdOp = { op: 'allocate' } | { op: 'release'; pick: number } | { op: 'reserve'; id: number } | { op: 'releaseAny'; id: number };

const idOp: fc.Arbitrary<IdOp> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ op: 'allocate' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reserve' as const), id: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('releaseAny' as const), id: fc.integer({ min: 1, max: MAX }) }) },
);

describe('PacketIdAllocator', () => {
  it('[MQTT-2.3.1-1] [MQTT-2.3.1-2] never hands out 0 or an id that is held; reserve() holds exactly the free ids; size tracks the held set', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(idOp, { maxLength: 200 }), (startFull, ops) => {
        const a = startFull ? fullAllocator() : new PacketIdAllocator();
        const held = new Set<number>();
        if (startFull) for (let i = 1; i <= MAX; i++) held.add(i);
        for (const o of ops) {
          if (o.op === 'allocate') {
            const id = a.allocate();
            if (held.size === MAX) expect(id).toBe(0);
            else {
              expect(id).toBeGreaterThanOrEqual(1);
              expect(id).toBeLessThanOrEqual(MAX);
              expect(held.has(id)).toBe(false);
              held.add(id);
            }
          } else if (o.op === 'release') {
            if (held.size === 0) continue;
            const id = [...held][o.pick % held.size]!;
            a.release(id);
            held.delete(id);
          } else if (o.op === 'reserve') {
            expect(a.reserve(o.id)).toBe(!held.has(o.id));
            held.add(o.id);
          } else {
            a.release(o.id); // releasing a free id is a no-op
            held.delete(o.id);
          }
          expect(a.size).toBe(held.size);
          for (const id of [1, 2, 3, MAX]) expect(a.isInUse(id)).toBe(held.has(id));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('fresh ids come first, in increasing order from 1', () => {
    const a = new PacketIdAllocator();
    a.allocate();
    a.allocate();
    a.release(1);
    expect([a.allocate(), a.allocate()]).toEqual([3, 4]);
  });

  it('once every id has been handed out, released ids come back in increasing order from the last one handed out, whatever the order they were released in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: MAX }), { minLength: 1, maxLength: 300 }), (order) => {
        const a = fullAllocator();
        for (const id of order) a.release(id);
        expect(order.map(() => a.allocate())).toEqual([...order].sort((x, y) => x - y));
        expect(a.allocate()).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('an id rests a round: each allocate() gives the first free id after the one given last, cyclically (property)', () => {
    /** Steps from `last` to `id` going up and round (an id itself is a whole round away). */
    const distance = (last: number, id: number): number => ((id - last - 1 + MAX) % MAX) + 1;
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.oneof(fc.constant(-1), fc.nat()), { maxLength: 300 }), (startFull, ops) => {
        const a = startFull ? fullAllocator() : new PacketIdAllocator();
        // Started full, the free ids are the few released (kept here); else the held ones are few.
        const held = new Set<number>();
        const free = new Set<number>();
        let last = startFull ? MAX : 0;
        const isHeld = (id: number): boolean => (startFull ? !free.has(id) : held.has(id));
        const expected = (): number => {
          if (startFull) return [...free].reduce((best, id) => (best === 0 || distance(last, id) < distance(last, best) ? id : best), 0);
          for (let step = 1; step <= MAX; step++) {
            const id = ((last + step - 1) % MAX) + 1;
            if (!held.has(id)) return id;
          }
          return 0;
        };
        for (const op of ops) {
          if (op === -1) {
            const want = expected();
            expect(a.allocate()).toBe(want);
            if (want === 0) continue;
            last = want;
            free.delete(want);
            held.add(want);
          } else {
            // Release a held id: one of the last few handed out (out of order), or one long held.
            const id = ((last - (op % 40) - 1 + MAX) % MAX) + 1;
            if (!isHeld(id)) continue;
            a.release(id);
            held.delete(id);
            free.add(id);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a released id reserved again before its turn is skipped when the search reaches it', () => {
    const a = fullAllocator();
    a.release(10);
    a.release(20);
    a.release(30);
    expect(a.reserve(20)).toBe(true);
    expect([a.allocate(), a.allocate(), a.allocate()]).toEqual([10, 30, 0]);
  });

  // Regression: with the fixed-size ring of b6ea105, reserve() of an id still waiting for reuse
  // and release() again queued it twice; 65,536 such cycles overflowed the ring and lost id 2.
  it('[MQTT-2.3.1-2] reserve/release cycles on an id waiting for reuse never lose another free id', () => {
    const a = fullAllocator();
    a.release(2);
    for (let i = 0; i < MAX + 1; i++) {
      a.release(1);
      a.reserve(1);
    }
    expect(a.size).toBe(MAX - 1);
    expect(a.allocate()).toBe(2);
  });
});
