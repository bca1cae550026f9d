/**
 * Incoming flows: QoS 0 delivered; QoS 1 delivered then PUBACK; QoS 2 delivered once, PUBREC,
 * PUBCOMP on PUBREL; duplicates and unknown PUBRELs; manual acknowledgement in arrival order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QoS } from '../../src/packet/index.js';
import { Driver, delivered, inbound, tags, trace, wireId, sentPackets } from './harness.js';

function connected(manualAck = false): Driver {
  const d = new Driver({ manualAck });
  d.connect();
  return d;
}

describe('incoming PUBLISH, automatic acknowledgement', () => {
  it('[MQTT-3.3.4-1] [MQTT-2.3.1-6] QoS 0: delivered, nothing sent; QoS 1: delivered then PUBACK; QoS 2: delivered then PUBREC — acks echo the id', () => {
    fc.assert(
      fc.property(fc.constantFrom<QoS>(0, 1, 2), fc.integer({ min: 1, max: 65_535 }), (qos, id) => {
        const d = connected();
        const actions = d.receive(inbound(qos, id));
        const expected = qos === 0 ? ['deliver in/x'] : [`deliver in/x#${id}`, `send ${qos === 1 ? 'puback' : 'pubrec'}#${id}`];
        expect(trace(actions)).toEqual(expected);
        for (const p of sentPackets(actions)) expect(wireId(p)).toBe(id);
      }),
      { numRuns: 100 },
    );
  });

  it('[MQTT-4.5.0-2] every QoS 1/2 PUBLISH is acknowledged without the application doing anything', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom<1 | 2>(1, 2), fc.integer({ min: 1, max: 65_535 })), { maxLength: 30 }), (msgs) => {
        const d = connected();
        const seen = new Set<number>();
        const expectAcks: string[] = [];
        for (const [qos, id] of msgs) {
          // distinct ids so no QoS 2 duplicate suppression is in play
          if (seen.has(id)) continue;
          seen.add(id);
          d.receive(inbound(qos, id));
          expectAcks.push(`${qos === 1 ? 'puback' : 'pubrec'}#${id}`);
        }
        // [MQTT-4.6.0-2] [MQTT-4.6.0-3]: in arrival order.
        expect(tags(d.log).slice(1)).toEqual(expectAcks);
      }),
      { numRuns: 50 },
    );
  });

  it('[MQTT-4.3.3-2] QoS 2 re-sent before PUBREL (DUP=1) is answered PUBREC again but delivered only once; PUBREL → PUBCOMP', () => {
    const d = connected();
    expect(trace(d.receive(inbound(2, 7)))).toEqual(['deliver in/x#7', 'send pubrec#7']);
    expect(trace(d.receive(inbound(2, 7, true)))).toEqual(['send pubrec#7']);
    expect(trace(d.receive(inbound(2, 7, true)))).toEqual(['send pubrec#7']);
    expect(trace(d.receive({ type: 'pubrel', packetId: 7 }))).toEqual(['send pubcomp#7']);
    // After PUBCOMP the id starts a new message.
    expect(trace(d.receive(inbound(2, 7)))).toEqual(['deliver in/x#7', 'send pubrec#7']);
  });

  it('[MQTT-4.3.3-2] random interleavings of QoS 2 PUBLISH (new or DUP) and PUBREL: each message delivered exactly once per id lifetime', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('publish' as const), id: fc.integer({ min: 1, max: 4 }), dup: fc.boolean() }),
      fc.record({ kind: fc.constant('pubrel' as const), id: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const d = connected();
        const open = new Set<number>();
        for (const s of steps) {
          const actions = d.receive(s.kind === 'publish' ? inbound(2, s.id, s.dup) : { type: 'pubrel', packetId: s.id });
          if (s.kind === 'publish') {
            const expected = open.has(s.id) ? [`send pubrec#${s.id}`] : [`deliver in/x#${s.id}`, `send pubrec#${s.id}`];
            expect(trace(actions)).toEqual(expected);
            open.add(s.id);
          } else {
            // Known or unknown, PUBREL is answered with PUBCOMP.
            expect(trace(actions)).toEqual([`send pubcomp#${s.id}`]);
            open.delete(s.id);
          }
        }
        expect(d.session.state).toBe('connected');
      }),
      { numRuns: 200 },
    );
  });

  it('PUBREL for an id never seen is answered PUBCOMP, connection kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65_535 }), (id) => {
        const d = connected();
        expect(trace(d.receive({ type: 'pubrel', packetId: id }))).toEqual([`send pubcomp#${id}`]);
        expect(d.session.state).toBe('connected');
      }),
      { numRuns: 50 },
    );
  });

  it('[MQTT-4.3.2-2] QoS 1: once PUBACK is sent, a PUBLISH with the same id is a new message, whatever DUP says', () => {
    const d = connected();
    d.receive(inbound(1, 3));
    expect(trace(d.receive(inbound(1, 3, true)))).toEqual(['deliver in/x#3', 'send puback#3']);
    expect(delivered(d.log)).toHaveLength(2);
  });
});

describe('incoming PUBLISH, manual acknowledgement', () => {
  it('delivers at once but holds the PUBACK/PUBREC until acknowledge()', () => {
    const d = connected(true);
    expect(trace(d.receive(inbound(1, 1)))).toEqual(['deliver in/x#1']);
    expect(trace(d.receive(inbound(2, 2)))).toEqual(['deliver in/x#2']);
    const [m1, m2] = delivered(d.log);
    const r2 = d.acknowledge(m2!);
    expect(r2.ok).toBe(true);
    expect(r2.actions).toEqual([]); // m1 is ahead of it and not yet acknowledged
    const r1 = d.acknowledge(m1!);
    expect(r1.ok).toBe(true);
    expect(tags(r1.actions)).toEqual(['puback#1', 'pubrec#2']);
  });

  it('[MQTT-4.6.0-2] [MQTT-4.6.0-3] acks leave in arrival order whatever order the application acknowledges in', () => {
    const arb = fc
      .array(fc.constantFrom<1 | 2>(1, 2), { minLength: 1, maxLength: 12 })
      .chain((qoses) => fc.tuple(fc.constant(qoses), fc.shuffledSubarray([...qoses.keys()], { minLength: qoses.length, maxLength: qoses.length })));
    fc.assert(
      fc.property(arb, ([qoses, ackOrder]) => {
        const d = connected(true);
        qoses.forEach((qos, i) => d.receive(inbound(qos, 100 + i)));
        const messages = delivered(d.log);
        expect(messages).toHaveLength(qoses.length);
        const acked = new Set<number>();
        let released = 0;
        const sent: string[] = [];
        for (const i of ackOrder) {
          const { ok, actions } = d.acknowledge(messages[i]!);
          expect(ok).toBe(true);
          acked.add(i);
          // Everything at the head that is acknowledged goes out now, and nothing beyond it.
          let head = released;
          while (acked.has(head)) head++;
          expect(tags(actions)).toEqual(qoses.slice(released, head).map((q, k) => `${q === 1 ? 'puback' : 'pubrec'}#${100 + released + k}`));
          released = head;
          sent.push(...tags(actions));
        }
        expect(sent).toEqual(qoses.map((q, i) => `${q === 1 ? 'puback' : 'pubrec'}#${100 + i}`));
      }),
      { numRuns: 200 },
    );
  });

  it('acknowledge() is false for QoS 0, for a message acknowledged already, and for an id nothing is owed for', () => {
    const d = connected(true);
    d.receive(inbound(0));
    d.receive(inbound(1, 5));
    const [m0, m1] = delivered(d.log);
    expect(d.acknowledge(m0!).ok).toBe(false);
    expect(d.acknowledge(m1!).ok).toBe(true);
    expect(d.acknowledge(m1!).ok).toBe(false);
    expect(d.acknowledge({ ...m1!, packetId: 6 }).ok).toBe(false);
    expect(tags(d.log).slice(1)).toEqual(['puback#5']);
  });

  it('[MQTT-4.3.3-2] manual QoS 2: a re-sent PUBLISH is not delivered again and not acked before the application acknowledges; after that it gets PUBREC', () => {
    const d = connected(true);
    d.receive(inbound(2, 9));
    expect(d.receive(inbound(2, 9, true))).toEqual([]);
    const [m] = delivered(d.log);
    expect(tags(d.acknowledge(m!).actions)).toEqual(['pubrec#9']);
    expect(trace(d.receive(inbound(2, 9, true)))).toEqual(['send pubrec#9']);
    expect(trace(d.receive({ type: 'pubrel', packetId: 9 }))).toEqual(['send pubcomp#9']);
  });

  it('manual QoS 2 acknowledged while disconnected: the PUBREC goes out after the session-resuming CONNACK; a QoS 1 owed ack is void after the connection drops', () => {
    const d = connected(true);
    d.receive(inbound(1, 1));
    d.receive(inbound(2, 2));
    const [m1, m2] = delivered(d.log);
    d.lose();
    expect(d.acknowledge(m1!).ok).toBe(false); // the broker re-sends QoS 1 messages
    const r = d.acknowledge(m2!);
    expect(r).toEqual({ ok: true, actions: [] }); // nothing is sent while disconnected
    const reconnect = d.connect({ cleanSession: false }, true);
    expect(tags(reconnect)).toEqual(['connect', 'pubrec#2']);
    // The broker's DUP re-send of the QoS 2 message is not delivered again.
    expect(trace(d.receive(inbound(2, 2, true)))).toEqual(['send pubrec#2']);
  });

  // A QoS 1 re-send while its ack is still owed is not delivered again: the owed ack covers it,
  // and it must not leave a second entry blocking the ack line.
  it('[MQTT-4.6.0-2] manual QoS 1 re-sent (DUP) before acknowledge(): acknowledging sends the PUBACK and does not block later acks', () => {
    const d = connected(true);
    d.receive(inbound(1, 4));
    d.receive(inbound(1, 4, true));
    d.receive(inbound(1, 5));
    expect(delivered(d.log)).toHaveLength(2);
    for (const m of delivered(d.log)) d.acknowledge(m);
    expect(tags(d.log).slice(1)).toContain('puback#4');
    expect(tags(d.log).slice(1)).toContain('puback#5');
  });

  it('manual ack: only the message object handed out acknowledges its entry, not a look-alike with the same id', () => {
    const d = connected(true);
    d.receive(inbound(1, 4));
    const [original] = delivered(d.log);
    expect(d.acknowledge({ ...original!, payload: new Uint8Array(0) }).ok).toBe(false);
    expect(tags(d.log)).not.toContain('puback#4');
    expect(d.acknowledge(original!).ok).toBe(true);
    expect(tags(d.log)).toContain('puback#4');
  });

  it('manual ack: a PUBREL that overtakes the owed PUBREC is answered and does not block later acks', () => {
    const d = connected(true);
    d.receive(inbound(2, 7));
    d.receive({ type: 'pubrel', packetId: 7 });
    d.receive(inbound(1, 8));
    for (const m of delivered(d.log)) d.acknowledge(m);
    expect(tags(d.log)).toContain('pubcomp#7');
    expect(tags(d.log)).toContain('puback#8');
    expect(tags(d.log)).not.toContain('pubrec#7');
  });
});

describe('manual acknowledgement: a PUBREL for a held QoS 2 message, then a reconnect (found in review)', () => {
  /** A held (unacknowledged) QoS 2 message #1 ahead of #2, which the broker releases before the application acknowledged it. */
  function releasedBehindHeld(): Driver {
    const d = new Driver({ manualAck: true });
    d.connect({ cleanSession: false });
    d.receive(inbound(2, 1));
    d.receive(inbound(2, 2));
    expect(trace(d.receive({ type: 'pubrel', packetId: 2 }))).toEqual(['send pubcomp#2']);
    d.lose();
    d.connect({ cleanSession: false }, true);
    return d;
  }

  it('[MQTT-4.3.3-2] a new QoS 2 message reusing the released id is delivered, not taken for the released one', () => {
    expect(trace(releasedBehindHeld().receive(inbound(2, 2, false, 'in/new')))).toEqual(['deliver in/new#2']);
  });

  it('a new QoS 1 message reusing the released id is delivered, not a protocol error', () => {
    expect(trace(releasedBehindHeld().receive(inbound(1, 2, false, 'in/new')))).toEqual(['deliver in/new#2']);
  });
});

