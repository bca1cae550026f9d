/**
 * Outgoing flows, one test per flow: QoS 0, QoS 1 (PUBLISH → PUBACK), QoS 2 (PUBLISH → PUBREC →
 * PUBREL → PUBCOMP), SUBSCRIBE → SUBACK, UNSUBSCRIBE → UNSUBACK, and acks that match nothing.
 * Byte-level where it matters: the sent packets are encoded and the DUP bit and ids read back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../src/session/index.js';
import type { QoS } from '../../src/packet/index.js';
import { Driver, completions, dupBit, pub, sentPackets, sub, tags, trace, unsub, wireId } from './harness.js';

function connected(options: ConstructorParameters<typeof Driver>[0] = {}): Driver {
  const d = new Driver(options);
  d.connect();
  return d;
}

describe('outgoing QoS 0', () => {
  it('[MQTT-4.3.1-1] [MQTT-3.3.1-2] is one PUBLISH with QoS 0, DUP 0 and no packet id, and completes 0 once handed over', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 64 }), (retain, payload) => {
        const d = connected();
        const request = { topic: 'a/b', payload, qos: 0 as const, retain };
        const actions = d.publish(request);
        expect(actions.map((a) => a.type)).toEqual(['send', 'published']);
        const [packet] = sentPackets(actions);
        expect(packet).toMatchObject({ type: 'publish', topic: 'a/b', qos: 0, dup: false, retain });
        expect(packet && 'packetId' in packet ? packet.packetId : undefined).toBeUndefined();
        expect(dupBit(packet!)).toBe(false);
        expect(d.resultsOf(request)).toEqual([ResultCode.SUCCESS]);
        expect(d.session.inflightCount).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('outgoing QoS 1', () => {
  it('[MQTT-4.3.2-1] [MQTT-2.3.1-1] PUBLISH QoS 1 DUP 0 with a non-zero id; held until PUBACK, which completes it 0', () => {
    const d = connected();
    const request = pub(1);
    const actions = d.publish(request);
    expect(trace(actions)).toEqual([`send publish#${d.idOf(request)}`]);
    const [packet] = sentPackets(actions);
    const id = d.idOf(request);
    expect(id).toBeGreaterThanOrEqual(1);
    expect(id).toBeLessThanOrEqual(65_535);
    expect(wireId(packet!)).toBe(id);
    expect(dupBit(packet!)).toBe(false);
    expect(d.resultsOf(request)).toEqual([]);
    expect(d.session.inflightCount).toBe(1);

    // Time alone does not complete it (no retry configured): only the PUBACK does.
    expect(d.advance(3_600_000)).toEqual([]);
    expect(d.resultsOf(request)).toEqual([]);

    const acked = d.receive({ type: 'puback', packetId: id });
    expect(trace(acked)).toEqual([`published ${request.topic} 0`]);
    expect(d.session.inflightCount).toBe(0);
  });

  it('[MQTT-2.3.1-2] concurrent flows hold distinct ids, and each PUBACK completes exactly its own request', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<QoS>(1, 2), { minLength: 1, maxLength: 30 }),
        fc.func(fc.integer()),
        (qoses, rank) => {
          const d = connected();
          const requests = qoses.map((q) => pub(q));
          for (const r of requests) d.publish(r);
          const ids = requests.map((r) => d.idOf(r));
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) expect(id).not.toBe(0);
          // Ack in an arbitrary order; QoS 2 takes PUBREC then PUBCOMP.
          const order = [...requests.keys()].sort((a, b) => rank(a) - rank(b) || a - b);
          for (const i of order) {
            const r = requests[i]!;
            const id = ids[i]!;
            if (r.qos === 1) d.receive({ type: 'puback', packetId: id });
            else {
              d.receive({ type: 'pubrec', packetId: id });
              d.receive({ type: 'pubcomp', packetId: id });
            }
            expect(d.resultsOf(r)).toEqual([0]);
          }
          for (const r of requests) expect(d.resultsOf(r)).toEqual([0]);
          expect(d.session.inflightCount).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('outgoing QoS 2', () => {
  it('[MQTT-4.3.3-1] [MQTT-2.3.1-6] PUBLISH → PUBREC → PUBREL (same id) → PUBCOMP → complete 0', () => {
    const d = connected();
    const request = pub(2);
    const first = d.publish(request);
    const id = d.idOf(request);
    const [publish] = sentPackets(first);
    expect(publish).toMatchObject({ type: 'publish', qos: 2, dup: false, packetId: id });
    expect(dupBit(publish!)).toBe(false);

    const onPubrec = d.receive({ type: 'pubrec', packetId: id });
    expect(trace(onPubrec)).toEqual([`send pubrel#${id}`]);
    expect(wireId(sentPackets(onPubrec)[0]!)).toBe(id);
    expect(d.resultsOf(request)).toEqual([]); // not done at PUBREC
    expect(d.session.inflightCount).toBe(1); // the id stays held until PUBCOMP [MQTT-2.3.1-3]

    const onPubcomp = d.receive({ type: 'pubcomp', packetId: id });
    expect(trace(onPubcomp)).toEqual([`published ${request.topic} 0`]);
    expect(d.session.inflightCount).toBe(0);
  });

  it('[MQTT-4.3.3-1] after PUBREL the PUBLISH is never sent again: a repeated PUBREC gets PUBREL again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (repeats) => {
        const d = connected();
        const request = pub(2);
        d.publish(request);
        const id = d.idOf(request);
        for (let i = 0; i < repeats; i++) {
          expect(tags(d.receive({ type: 'pubrec', packetId: id }))).toEqual([`pubrel#${id}`]);
        }
        // A stray PUBACK for a QoS 2 flow matches nothing of its kind.
        expect(d.receive({ type: 'puback', packetId: id })).toEqual([]);
        expect(d.log.filter((a) => a.type === 'send' && a.packet.type === 'publish')).toHaveLength(1);
        d.receive({ type: 'pubcomp', packetId: id });
        expect(d.resultsOf(request)).toEqual([0]);
      }),
      { numRuns: 20 },
    );
  });

  it('[MQTT-4.3.3-1] PUBCOMP before PUBREC does not complete the flow (the PUBREL stage was never reached)', () => {
    const d = connected();
    const request = pub(2);
    d.publish(request);
    const id = d.idOf(request);
    expect(d.receive({ type: 'pubcomp', packetId: id })).toEqual([]);
    expect(d.resultsOf(request)).toEqual([]);
    d.receive({ type: 'pubrec', packetId: id });
    d.receive({ type: 'pubcomp', packetId: id });
    expect(d.resultsOf(request)).toEqual([0]);
  });

  it('[MQTT-4.6.0-4] PUBRELs go out in the order the PUBRECs arrived', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }))), ([n, order]) => {
        const d = connected();
        const requests = Array.from({ length: n }, () => pub(2));
        for (const r of requests) d.publish(r);
        const sent: string[] = [];
        for (const i of order) sent.push(...tags(d.receive({ type: 'pubrec', packetId: d.idOf(requests[i]!) })));
        expect(sent).toEqual(order.map((i) => `pubrel#${d.idOf(requests[i]!)}`));
      }),
      { numRuns: 50 },
    );
  });
});

describe('abandon() with CleanSession 0: a QoS 2 flow the broker is still in (found in review)', () => {
  /** A persistent session with QoS 2 `first` past PUBREC, then disconnect() and abandon(). */
  function abandonedAtPubrel(): { d: Driver; first: ReturnType<typeof pub>; id: number } {
    const d = new Driver();
    d.connect({ cleanSession: false });
    const first = pub(2);
    d.publish(first);
    const id = d.idOf(first);
    expect(tags(d.receive({ type: 'pubrec', packetId: id }))).toEqual([`pubrel#${id}`]);
    d.disconnect();
    d.abandon();
    return { d, first, id };
  }

  it('[MQTT-4.3.3-2] [MQTT-4.4.0-1] reports -11 once, keeps the id, re-sends PUBREL on the next connection and completes telling no one again', () => {
    const { d, first, id } = abandonedAtPubrel();
    expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
    expect(d.session.inflightCount).toBe(1);
    expect(tags(d.connect({ cleanSession: false }, true))).toContain(`pubrel#${id}`);
    const second = pub(2);
    d.publish(second);
    expect(d.idOf(second)).not.toBe(id); // a new message given `id` would be taken for a re-send and never delivered
    d.receive({ type: 'pubcomp', packetId: id });
    expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
    expect(d.session.inflightCount).toBe(1); // only `second` now
  });

  it('a flow still at PUBLISH is kept likewise and re-sent with DUP=1 and its id', () => {
    const d = new Driver();
    d.connect({ cleanSession: false });
    const first = pub(2);
    d.publish(first);
    const id = d.idOf(first);
    d.disconnect();
    d.abandon();
    expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
    const resent = sentPackets(d.connect({ cleanSession: false }, true)).filter((p) => p.type === 'publish');
    expect(resent.map((p) => [wireId(p), p.type === 'publish' && p.dup])).toEqual([[id, true]]);
    d.receive({ type: 'pubrec', packetId: id });
    d.receive({ type: 'pubcomp', packetId: id });
    expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
    expect(d.session.inflightCount).toBe(0);
  });

  it('abandoned twice, the request is still told once', () => {
    const { d, first } = abandonedAtPubrel();
    d.abandon();
    expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
  });

  it('with CleanSession 1 (the broker keeps nothing) and for QoS 1, the flow ends and its id is free', () => {
    for (const [cleanSession, qos] of [[true, 2], [false, 1]] as const) {
      const d = new Driver();
      d.connect({ cleanSession });
      const first = pub(qos);
      d.publish(first);
      d.disconnect();
      d.abandon();
      expect(d.resultsOf(first)).toEqual([ResultCode.INCOMPLETE]);
      expect(d.session.inflightCount).toBe(0);
    }
  });
});

describe('acks that match no open flow', () => {
  it('unknown PUBACK/PUBREC/PUBCOMP/SUBACK/UNSUBACK ids are ignored without dropping the connection', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('puback', 'pubrec', 'pubcomp', 'unsuback', 'suback') , fc.integer({ min: 1, max: 65_535 })), { maxLength: 20 }),
        (acks) => {
          const d = connected();
          const q1 = pub(1);
          const q2 = pub(2);
          d.publish(q1);
          d.publish(q2);
          const held = new Set([d.idOf(q1), d.idOf(q2)]);
          for (const [type, packetId] of acks) {
            if (held.has(packetId)) continue;
            const actions =
              type === 'suback' ? d.receive({ type, packetId, granted: [0] }) : d.receive({ type, packetId });
            expect(actions).toEqual([]);
          }
          expect(d.session.state).toBe('connected');
          expect(d.session.inflightCount).toBe(2);
          // The real flows still complete normally.
          d.receive({ type: 'puback', packetId: d.idOf(q1) });
          d.receive({ type: 'pubrec', packetId: d.idOf(q2) });
          d.receive({ type: 'pubcomp', packetId: d.idOf(q2) });
          expect([d.resultsOf(q1), d.resultsOf(q2)]).toEqual([[0], [0]]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an ack of the wrong kind for an open id (PUBREC for QoS 1, PUBACK for QoS 2 after PUBREC, UNSUBACK for SUBSCRIBE) is ignored', () => {
    const d = connected();
    const q1 = pub(1);
    const q2 = pub(2);
    const s = sub();
    d.publish(q1);
    d.publish(q2);
    const subscribeId = (sentPackets(d.subscribe(s))[0] as { packetId: number }).packetId;
    expect(d.receive({ type: 'pubrec', packetId: d.idOf(q1) })).toEqual([]);
    expect(d.receive({ type: 'pubcomp', packetId: d.idOf(q1) })).toEqual([]);
    expect(tags(d.receive({ type: 'pubrec', packetId: d.idOf(q2) }))).toEqual([`pubrel#${d.idOf(q2)}`]);
    expect(d.receive({ type: 'puback', packetId: d.idOf(q2) })).toEqual([]);
    expect(d.receive({ type: 'unsuback', packetId: subscribeId })).toEqual([]);
    expect(d.receive({ type: 'puback', packetId: subscribeId })).toEqual([]);
    expect(d.session.state).toBe('connected');
    expect(completions(d.log)).toEqual([]);
  });

  it('a PUBACK answering a QoS 2 PUBLISH (a broker without QoS 2, as RabbitMQ) completes it 0 with no PUBREL, also for a re-send', () => {
    const d = connected();
    const first = pub(2);
    d.publish(first);
    expect(trace(d.receive({ type: 'puback', packetId: d.idOf(first) }))).toEqual([`published ${first.topic} 0`]);
    expect(d.session.inflightCount).toBe(0);
    // One cut off before its ack is re-sent (DUP) on the next connection, and PUBACKed there.
    const second = pub(2);
    d.publish(second);
    const id = d.idOf(second);
    d.lose();
    expect(sentPackets(d.connect()).filter((p) => p.type === 'publish')).toMatchObject([{ qos: 2, dup: true, packetId: id }]);
    expect(trace(d.receive({ type: 'puback', packetId: id }))).toEqual([`published ${second.topic} 0`]);
    expect(d.resultsOf(second)).toEqual([0]);
    expect(d.session.inflightCount).toBe(0);
  });

  it('a PUBACK repeated after completion does nothing more (each request completes exactly once)', () => {
    const d = connected();
    const r = pub(1);
    d.publish(r);
    const id = d.idOf(r);
    d.receive({ type: 'puback', packetId: id });
    expect(d.receive({ type: 'puback', packetId: id })).toEqual([]);
    expect(d.resultsOf(r)).toEqual([0]);
  });
});

describe('SUBSCRIBE and UNSUBSCRIBE', () => {
  it('[MQTT-2.3.1-1] [MQTT-2.3.1-2] SUBSCRIBE takes an id apart from the publish flows; SUBACK completes it 0 with the granted codes', () => {
    const d = connected();
    const p = pub(1);
    d.publish(p);
    const s = { subscriptions: [{ topic: 'a/#', qos: 2 as const }, { topic: 'b/+', qos: 0 as const }] };
    const sent = sentPackets(d.subscribe(s));
    expect(sent).toHaveLength(1);
    const packet = sent[0]!;
    expect(packet.type).toBe('subscribe');
    const id = (packet as { packetId: number }).packetId;
    expect(id).not.toBe(0);
    expect(id).not.toBe(d.idOf(p));
    expect(wireId(packet)).toBe(id);
    const done = d.receive({ type: 'suback', packetId: id, granted: [2, 0x80] });
    expect(done).toEqual([{ type: 'subscribed', request: s, result: 0, granted: [2, 0x80] }]);
  });

  it('UNSUBSCRIBE → UNSUBACK completes 0', () => {
    const d = connected();
    const u = unsub('x/y');
    const [packet] = sentPackets(d.unsubscribe(u));
    expect(packet).toMatchObject({ type: 'unsubscribe', topics: ['x/y'] });
    const id = (packet as { packetId: number }).packetId;
    expect(d.receive({ type: 'unsuback', packetId: id })).toEqual([{ type: 'unsubscribed', request: u, result: 0 }]);
  });

  it('[MQTT-4.8.0-1] a SUBACK with the wrong number of return codes fails the request (-1) and closes with protocol-error', () => {
    const d = connected();
    const s = sub();
    const id = (sentPackets(d.subscribe(s))[0] as { packetId: number }).packetId;
    const actions = d.receive({ type: 'suback', packetId: id, granted: [1, 1] });
    expect(trace(actions)).toEqual([`subscribed ${s.subscriptions[0]!.topic} -1`, 'close protocol-error']);
    expect(d.session.state).toBe('disconnected');
  });

  it('[MQTT-3.1.0-1] subscribe and unsubscribe while disconnected wait, in order with the publishes, and go out after the CONNACK; abandon() completes them -3', () => {
    const d = new Driver();
    const p = pub(1);
    const s = sub();
    const u = unsub();
    expect(d.subscribe(s)).toEqual([]);
    expect(d.publish(p)).toEqual([]);
    expect(d.unsubscribe(u)).toEqual([]);
    expect(d.session.queuedCount).toBe(3);
    expect(tags(d.connect()).map((t) => t.split('#')[0])).toEqual(['connect', 'subscribe', 'publish', 'unsubscribe']);

    const offline = new Driver();
    const s2 = sub();
    const u2 = unsub();
    offline.subscribe(s2);
    offline.unsubscribe(u2);
    expect(offline.abandon()).toEqual([
      { type: 'subscribed', request: s2, result: ResultCode.DISCONNECTED, granted: [] },
      { type: 'unsubscribed', request: u2, result: ResultCode.DISCONNECTED },
    ]);
  });
});

describe('input checks', () => {
  it('[MQTT-3.3.2-2] publish refuses a wildcard topic and QoS 3 before anything is sent', () => {
    const d = connected();
    expect(() => d.publish({ topic: 'a/+', payload: new Uint8Array(), qos: 1, retain: false })).toThrow();
    expect(() => d.publish({ topic: 'a', payload: new Uint8Array(), qos: 3 as unknown as QoS, retain: false })).toThrow();
    expect(d.take()).toEqual([]);
    expect(d.session.inflightCount).toBe(0);
  });
});
