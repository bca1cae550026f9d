/**
 * Packet identifiers: the allocator on its own (never 0, never one held, ids in cyclic order so
 * an id rests a round of the id space before it returns, reserve), and end to end through a
 * Session: 65,535 open flows exhaust the id space, the next operation completes -10, and acking
 * one frees exactly that one id. (What it keeps over a long life: test/resources/packet-ids.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketIdAllocator } from '../../src/session/packet-ids.js';
import { ResultCode, Session } from '../../src/session/index.js';
import type { PublishRequest, SessionAction } from '../../src/session/index.js';

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

// ---------------------------------------------------------------------------------------------

function request(i: number): PublishRequest {
  return { topic: `e/${i}`, payload: new Uint8Array(0), qos: 1, retain: false };
}

/** A connected session with `count` open QoS 1 flows; returns the ids they got, by request. */
function exhausted(maxInflight?: number, count = MAX): { session: Session; ids: Map<PublishRequest, number>; requests: PublishRequest[] } {
  const session = new Session(maxInflight === undefined ? { clientId: 'ids' } : { clientId: 'ids', maxInflight });
  session.connect({ keepalive: 0, cleanSession: true }, 0);
  session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
  session.takeActions();
  const requests = Array.from({ length: count }, (_, i) => request(i));
  for (const r of requests) session.publish(r, 0);
  const ids = new Map<PublishRequest, number>();
  const byTopic = new Map(requests.map((r) => [r.topic, r]));
  for (const a of session.takeActions()) {
    if (a.type === 'send' && a.packet.type === 'publish' && a.packet.packetId !== undefined) ids.set(byTopic.get(a.packet.topic)!, a.packet.packetId);
    else throw new Error(`unexpected ${a.type}`);
  }
  return { session, ids, requests };
}

function publishOne(session: Session, r: PublishRequest): SessionAction[] {
  session.publish(r, 0);
  return session.takeActions();
}

describe('id exhaustion through a Session', () => {
  it('[MQTT-2.3.1-2] [MQTT-2.3.1-3] 65,535 open QoS 1 flows hold 65,535 distinct ids; the next publish completes -10; each PUBACK frees exactly that id', () => {
    // Default options: no maxInflight limit but the ids themselves.
    const { session, ids } = exhausted();
    expect(new Set(ids.values()).size).toBe(MAX);
    expect(Math.min(...ids.values())).toBe(1);
    expect(Math.max(...ids.values())).toBe(MAX);

    const over = request(-1);
    expect(publishOne(session, over)).toEqual([{ type: 'published', request: over, result: ResultCode.NO_MORE_IDS }]);

    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (freed) => {
        const acked = [...ids].find(([, id]) => id === freed)![0];
        session.packetReceived({ type: 'puback', packetId: freed }, 0);
        expect(session.takeActions()).toEqual([{ type: 'published', request: acked, result: 0 }]);
        const next = request(freed + 1_000_000);
        const sent = publishOne(session, next);
        expect(sent).toHaveLength(1);
        expect(sent[0]).toMatchObject({ type: 'send', packet: { type: 'publish', packetId: freed, dup: false } });
        ids.delete(acked);
        ids.set(next, freed);
        const after = request(-2);
        expect(publishOne(session, after)).toEqual([{ type: 'published', request: after, result: ResultCode.NO_MORE_IDS }]);
      }),
      { numRuns: 20 },
    );
  });

  it('[MQTT-2.3.1-2] with every id held by a publish flow, SUBSCRIBE and UNSUBSCRIBE complete -10; a PUBACK lets the next one through with the freed id', () => {
    const { session, ids, requests } = exhausted(MAX);
    const s = { subscriptions: [{ topic: 'x', qos: 0 as const }] };
    const u = { topics: ['x'] };
    session.subscribe(s, 0);
    session.unsubscribe(u, 0);
    expect(session.takeActions()).toEqual([
      { type: 'subscribed', request: s, result: ResultCode.NO_MORE_IDS, granted: [] },
      { type: 'unsubscribed', request: u, result: ResultCode.NO_MORE_IDS },
    ]);
    const freed = ids.get(requests[123]!)!;
    session.packetReceived({ type: 'puback', packetId: freed }, 0);
    session.takeActions();
    session.subscribe(s, 0);
    expect(session.takeActions()).toEqual([{ type: 'send', packet: { type: 'subscribe', packetId: freed, subscriptions: s.subscriptions } }]);
    session.unsubscribe(u, 0);
    expect(session.takeActions()).toEqual([{ type: 'unsubscribed', request: u, result: ResultCode.NO_MORE_IDS }]);
  });

  it('[MQTT-2.3.1-3] a QoS 2 flow holds its id through the PUBREL stage and frees it only at PUBCOMP', () => {
    const { session } = exhausted(undefined, MAX - 1);
    const q2: PublishRequest = { topic: 'q2', payload: new Uint8Array(0), qos: 2, retain: false };
    const first = publishOne(session, q2)[0];
    const id = first?.type === 'send' && first.packet.type === 'publish' ? first.packet.packetId! : 0;
    expect(id).toBe(MAX);
    session.packetReceived({ type: 'pubrec', packetId: id }, 0);
    expect(session.takeActions()).toEqual([{ type: 'send', packet: { type: 'pubrel', packetId: id } }]);
    const blocked = request(-1);
    expect(publishOne(session, blocked)).toEqual([{ type: 'published', request: blocked, result: ResultCode.NO_MORE_IDS }]);
    session.packetReceived({ type: 'pubcomp', packetId: id }, 0);
    expect(session.takeActions()).toEqual([{ type: 'published', request: q2, result: 0 }]);
    expect(publishOne(session, request(-2))[0]).toMatchObject({ type: 'send', packet: { packetId: id } });
  });

  it('[MQTT-2.3.1-3] a SUBSCRIBE id is free again after its SUBACK, and after a connection loss cut it off', () => {
    for (const end of ['suback', 'lost'] as const) {
      const { session } = exhausted(undefined, MAX - 1);
      session.subscribe({ subscriptions: [{ topic: 's', qos: 1 }] }, 0);
      const sent = session.takeActions()[0];
      const id = sent?.type === 'send' && sent.packet.type === 'subscribe' ? sent.packet.packetId : 0;
      expect(id).toBe(MAX);
      const blocked = request(-1);
      expect(publishOne(session, blocked)).toEqual([{ type: 'published', request: blocked, result: ResultCode.NO_MORE_IDS }]);
      if (end === 'suback') {
        session.packetReceived({ type: 'suback', packetId: id, granted: [1] }, 0);
      } else {
        session.connectionLost('transport', 0);
        session.connect({ keepalive: 0, cleanSession: false }, 0);
        session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: true }, 0);
      }
      session.takeActions();
      expect(publishOne(session, request(-2))[0]).toMatchObject({ type: 'send', packet: { packetId: id } });
    }
  });

  it('abandon() frees every id it completes', () => {
    const { session } = exhausted();
    session.connectionLost('transport', 0);
    session.abandon();
    expect(session.takeActions().filter((a) => a.type === 'published')).toHaveLength(MAX);
    session.connect({ keepalive: 0, cleanSession: true }, 0);
    session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
    session.takeActions();
    const sent = new Set<number>();
    for (let i = 0; i < MAX; i++) {
      const a = publishOne(session, request(i))[0];
      if (a?.type === 'send' && a.packet.type === 'publish') sent.add(a.packet.packetId!);
    }
    expect(sent.size).toBe(MAX);
  });

  it('with maxInflight 65,535 set explicitly, flow control comes first: the 65,536th publish waits in the queue and goes out with the next freed id', () => {
    const { session, ids, requests } = exhausted(MAX);
    const over = request(-1);
    expect(publishOne(session, over)).toEqual([]);
    expect(session.queuedCount).toBe(1);
    const freed = ids.get(requests[4321]!)!;
    session.packetReceived({ type: 'puback', packetId: freed }, 0);
    const actions = session.takeActions();
    expect(actions).toEqual([
      { type: 'published', request: requests[4321], result: 0 },
      { type: 'send', packet: { type: 'publish', topic: over.topic, payload: over.payload, qos: 1, dup: false, retain: false, packetId: freed } },
    ]);
  });
});
