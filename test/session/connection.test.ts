/**
 * Connection lifecycle: CONNECT first, CONNACK refusals, resuming a session (re-send with DUP=1,
 * original ids and order, pipelined), starting a new one, connection loss, abandon, DISCONNECT.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore, ResultCode, Session } from '../../src/session/index.js';
import type { PublishRequest } from '../../src/session/index.js';
import type { Packet, PublishPacket, QoS } from '../../src/packet/index.js';
import { Driver, completions, delivered, dupBit, inbound, pub, sentPackets, sub, tags, trace, unsub, wireId } from './harness.js';

describe('CONNECT first', () => {
  it('[MQTT-3.1.0-1] nothing is sent before connect(), and the first packet on every connection is CONNECT', () => {
    const op = fc.constantFrom('publish0', 'publish1', 'publish2', 'subscribe', 'unsubscribe', 'tick', 'disconnect', 'lost');
    fc.assert(
      fc.property(fc.array(op, { maxLength: 10 }), fc.array(op, { maxLength: 10 }), fc.boolean(), (before, between, clean) => {
        const d = new Driver({ retryInterval: 1000 });
        const run = (o: string): void => {
          if (o === 'publish0') d.publish(pub(0));
          else if (o === 'publish1') d.publish(pub(1));
          else if (o === 'publish2') d.publish(pub(2));
          else if (o === 'subscribe') d.subscribe(sub());
          else if (o === 'unsubscribe') d.unsubscribe(unsub());
          else if (o === 'tick') d.advance(60_000);
          else if (o === 'disconnect') d.disconnect();
          else d.lose();
        };
        for (const o of before) run(o);
        expect(sentPackets(d.log)).toEqual([]);
        const opened = d.open({ cleanSession: clean, keepalive: 30 });
        expect(tags(opened)).toEqual(['connect']);
        expect(opened[0]).toEqual({ type: 'send', packet: { type: 'connect', clientId: 'test-client', keepalive: 30, cleanSession: clean } });
        // Queued requests wait for the CONNACK; nothing follows the CONNECT until then.
        d.advance(1000);
        expect(tags(d.log)).toEqual(['connect']);
        d.receive({ type: 'connack', returnCode: 0, sessionPresent: false });
        // A second connection after a loss starts with CONNECT again.
        for (const o of between) run(o);
        if (d.session.state !== 'disconnected') d.lose();
        const mark = d.log.length;
        d.open();
        expect(tags(d.log.slice(mark))).toEqual(['connect']);
      }),
      { numRuns: 100 },
    );
  });

  it('[MQTT-3.1.0-1] requests made while the CONNACK is awaited are queued and sent after it, in order', () => {
    const d = new Driver();
    d.open();
    const a = pub(1);
    const b = pub(0);
    const s = sub();
    d.publish(a);
    d.publish(b);
    d.subscribe(s);
    expect(tags(d.log)).toEqual(['connect']);
    const onConnack = d.receive({ type: 'connack', returnCode: 0, sessionPresent: false });
    expect(trace(onConnack)).toEqual([`send publish#${d.idOf(a)}`, 'send publish', `published ${b.topic} 0`, expect.stringMatching(/^send subscribe#\d+$/), 'connack 0']);
  });
});

describe('CONNACK', () => {
  it('return codes 1–5 end the attempt: connack action with that code, then close "refused", nothing sent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.boolean(), (code, sp) => {
        const d = new Driver();
        const queued = pub(1);
        d.publish(queued);
        d.open();
        const actions = d.receive({ type: 'connack', returnCode: code, sessionPresent: sp });
        expect(actions).toEqual([{ type: 'connack', returnCode: code, sessionPresent: sp }, { type: 'close', reason: 'refused' }]);
        expect(d.session.state).toBe('disconnected');
        // The queued request is neither sent nor failed: it waits for the next attempt.
        expect(d.resultsOf(queued)).toEqual([]);
        expect(d.session.queuedCount).toBe(1);
        d.connect();
        expect(tags(d.log)).toEqual(['connect', 'connect', `publish#${d.idOf(queued)}`]);
      }),
      { numRuns: 30 },
    );
  });

  it('[MQTT-4.8.0-1] any packet but CONNACK before the CONNACK, or a packet a client never accepts, closes with protocol-error', () => {
    const notConnack: Packet[] = [
      inbound(1, 1),
      { type: 'puback', packetId: 1 },
      { type: 'pingresp' },
      { type: 'suback', packetId: 1, granted: [0] },
    ];
    for (const p of notConnack) {
      const d = new Driver();
      d.open();
      const actions = d.receive(p);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ type: 'close', reason: 'protocol-error' });
    }
    const neverAccepted: Packet[] = [
      { type: 'connack', returnCode: 0, sessionPresent: false },
      { type: 'connect', clientId: 'x', keepalive: 0, cleanSession: true },
      { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 0 }] },
      { type: 'unsubscribe', packetId: 1, topics: ['a'] },
      { type: 'pingreq' },
      { type: 'disconnect' },
    ];
    for (const p of neverAccepted) {
      const d = new Driver();
      d.connect();
      const actions = d.receive(p);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ type: 'close', reason: 'protocol-error' });
      expect(d.session.state).toBe('disconnected');
    }
  });

  it('no CONNACK within connackTimeout closes with connack-timeout', () => {
    const d = new Driver({ connackTimeout: 5000 });
    d.open({ keepalive: 0 });
    expect(d.session.nextTimeout()).toBe(d.now + 5000);
    expect(d.advance(4999)).toEqual([]);
    expect(d.advance(1)).toEqual([{ type: 'close', reason: 'connack-timeout', error: expect.objectContaining({ code: 'CONNECT_TIMEOUT' }) }]);
    expect(d.session.state).toBe('disconnected');
  });
});

/** Publishes `qoses` and moves the QoS 2 flows listed in `pubrecOrder` (indexes) to the PUBREL stage. */
function openFlows(d: Driver, qoses: QoS[], pubrecOrder: number[]): PublishRequest[] {
  const requests = qoses.map((q) => pub(q));
  for (const r of requests) d.publish(r);
  for (const i of pubrecOrder) d.receive({ type: 'pubrec', packetId: d.idOf(requests[i]!) });
  return requests;
}

const flowsArb = fc
  .array(fc.constantFrom<1 | 2>(1, 2), { minLength: 1, maxLength: 15 })
  .chain((qoses) => {
    const q2 = [...qoses.keys()].filter((i) => qoses[i] === 2);
    return fc.tuple(fc.constant(qoses), fc.shuffledSubarray(q2));
  });

describe('reconnecting with the session resumed (CleanSession=0, sessionPresent=1)', () => {
  it('[MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-3] every unacked PUBLISH again with DUP=1 and its original id, every PUBREL again, in order, all before the CONNACK is reported', () => {
    fc.assert(
      fc.property(flowsArb, fc.constantFrom('transport' as const, 'protocol-error' as const), ([qoses, pubrecOrder], reason) => {
        const d = new Driver();
        d.connect({ cleanSession: false });
        const requests = openFlows(d, qoses, pubrecOrder);
        d.lose(reason);
        const reconnect = d.connect({ cleanSession: false }, true);
        // Store order: flows still at PUBLISH in their original order, then those at PUBREL in PUBREC order.
        const atPublish = requests.filter((_, i) => !pubrecOrder.includes(i));
        const atPubrel = pubrecOrder.map((i) => requests[i]!);
        const expected = [
          'send connect',
          ...atPublish.map((r) => `send publish#${d.idOf(r)} dup`),
          ...atPubrel.map((r) => `send pubrel#${d.idOf(r)}`),
          'connack 0 sp',
        ];
        expect(trace(reconnect)).toEqual(expected);
        // Byte level: DUP bit set on every re-sent PUBLISH, original ids on the wire.
        for (const p of sentPackets(reconnect).slice(1)) {
          if (p.type === 'publish') {
            expect(dupBit(p)).toBe(true);
            const original = requests.find((r) => r.topic === p.topic)!;
            expect(wireId(p)).toBe(d.idOf(original));
            expect(p.qos).toBe(original.qos);
          } else {
            expect(p.type).toBe('pubrel');
            expect(dupBit(p)).toBe(false);
          }
        }
        // Nothing completed across the reconnect; the flows then finish normally.
        expect(completions(d.log)).toEqual([]);
        for (const r of atPublish) {
          if (r.qos === 1) d.receive({ type: 'puback', packetId: d.idOf(r) });
          else d.receive({ type: 'pubrec', packetId: d.idOf(r) });
        }
        for (const r of requests) if (r.qos === 2) d.receive({ type: 'pubcomp', packetId: d.idOf(r) });
        for (const r of requests) expect(d.resultsOf(r)).toEqual([0]);
      }),
      { numRuns: 100 },
    );
  });

  it('[MQTT-4.6.0-1] re-sent flows go out before anything queued while offline, and a new publish after the CONNACK gets a fresh id', () => {
    const d = new Driver();
    d.connect({ cleanSession: false });
    const [a, b] = openFlows(d, [1, 2], []);
    d.lose();
    const queued = pub(1);
    d.publish(queued);
    const actions = d.connect({ cleanSession: false }, true);
    expect(tags(actions)).toEqual(['connect', `publish#${d.idOf(a!)}`, `publish#${d.idOf(b!)}`, `publish#${d.idOf(queued)}`]);
    expect(sentPackets(actions).map((p) => (p as PublishPacket).dup ?? false)).toEqual([false, true, true, false]);
    expect(new Set([d.idOf(a!), d.idOf(b!), d.idOf(queued)]).size).toBe(3);
  });

  it('[MQTT-4.3.3-2] [MQTT-3.1.2-4] inbound QoS 2 state survives the reconnect: the broker\'s DUP re-send is not delivered again', () => {
    const d = new Driver();
    d.connect({ cleanSession: false });
    d.receive(inbound(2, 11));
    d.lose();
    d.connect({ cleanSession: false }, true);
    expect(trace(d.receive(inbound(2, 11, true)))).toEqual(['send pubrec#11']);
    expect(delivered(d.log)).toHaveLength(1);
  });

  it('[MQTT-3.1.3-2] [MQTT-4.1.0-1] the state lives in the store: a new Session with the same client id and store resumes the flows with their ids and never reuses them', () => {
    const store = new MemorySessionStore();
    const first = new Driver({ store, clientId: 'device-7' });
    first.connect({ cleanSession: false });
    const [a, b] = openFlows(first, [1, 2, 2], [2]);
    first.lose();
    const second = new Driver({ store, clientId: 'device-7' });
    const actions = second.connect({ cleanSession: false }, true);
    expect(sentPackets(actions)[0]).toMatchObject({ type: 'connect', clientId: 'device-7', cleanSession: false });
    const ids = first.log.flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' && x.packet.packetId !== undefined ? [x.packet.packetId] : []));
    expect(tags(actions).slice(1)).toEqual([`publish#${first.idOf(a!)}`, `publish#${first.idOf(b!)}`, `pubrel#${ids[2]}`]);
    const fresh = pub(1);
    second.publish(fresh);
    expect(ids).not.toContain(second.idOf(fresh));
  });
});

describe('reconnecting without the session (sessionPresent=0, or CleanSession=1)', () => {
  it('[MQTT-3.1.2-6] without a resumed session: flows at PUBLISH are re-sent (DUP=1, same id), flows at PUBREL re-send PUBREL and complete 0 on PUBCOMP, inbound QoS 2 state is discarded', () => {
    fc.assert(
      fc.property(flowsArb, fc.constantFrom([false, false], [true, false], [true, true]), ([qoses, pubrecOrder], [clean, sp]) => {
        const d = new Driver();
        d.connect({ cleanSession: false });
        const requests = openFlows(d, qoses, pubrecOrder);
        d.receive(inbound(2, 42));
        d.lose();
        // CleanSession=1 never resumes, whatever sessionPresent says.
        const actions = d.connect({ cleanSession: clean }, sp);
        const atPublish = requests.filter((_, i) => !pubrecOrder.includes(i));
        const atPubrel = pubrecOrder.map((i) => requests[i]!);
        expect(trace(actions)).toEqual([
          'send connect',
          ...atPublish.map((r) => `send publish#${d.idOf(r)} dup`),
          ...atPubrel.map((r) => `send pubrel#${d.idOf(r)}`),
          `connack 0${sp ? ' sp' : ''}`,
        ]);
        for (const p of sentPackets(actions).slice(1, 1 + atPublish.length)) expect(dupBit(p)).toBe(true);
        // The new session's QoS 2 message 42 is a new message.
        expect(trace(d.receive(inbound(2, 42)))).toEqual(['deliver in/x#42', 'send pubrec#42']);
        // The broker answers a PUBREL with PUBCOMP even for an id it forgot: the flow completes 0, once.
        for (const r of atPubrel) expect(trace(d.receive({ type: 'pubcomp', packetId: d.idOf(r) }))).toEqual([`published ${r.topic} ${ResultCode.SUCCESS}`]);
        for (const r of atPubrel) expect(d.resultsOf(r)).toEqual([ResultCode.SUCCESS]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('connection loss, abandon', () => {
  it('SUBSCRIBE/UNSUBSCRIBE in flight complete -11; publish flows and queued requests are kept', () => {
    const d = new Driver({ maxInflight: 1 });
    d.connect({ cleanSession: false });
    const s = sub();
    const u = unsub();
    const p = pub(1);
    const q = pub(2);
    d.subscribe(s);
    d.unsubscribe(u);
    d.publish(p);
    d.publish(q); // queued behind maxInflight
    const actions = d.lose();
    expect(trace(actions)).toEqual([`subscribed ${s.subscriptions[0]!.topic} -11`, `unsubscribed ${u.topics[0]!} -11`, 'close transport']);
    expect(d.session.inflightCount).toBe(1);
    expect(d.session.queuedCount).toBe(1);
    expect(d.resultsOf(p)).toEqual([]);
  });

  it('the ids of SUBSCRIBE/UNSUBSCRIBE cut off by a connection loss are free again: a late SUBACK matches nothing', () => {
    const d = new Driver();
    d.connect();
    const s = sub();
    const id = (sentPackets(d.subscribe(s))[0] as { packetId: number }).packetId;
    d.lose();
    d.connect();
    expect(d.receive({ type: 'suback', packetId: id, granted: [1] })).toEqual([]);
    expect(d.resultsOf(s)).toEqual([ResultCode.INCOMPLETE]);
  });

  it('abandon(): queued requests complete -3, publish flows in flight -11, each exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<QoS>(0, 1, 2), { maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (qoses, maxInflight) => {
        const d = new Driver({ maxInflight });
        d.connect();
        const requests = qoses.map((q) => pub(q));
        for (const r of requests) d.publish(r);
        const inFlight = requests.filter((r) => r.qos > 0).slice(0, maxInflight);
        d.lose();
        const queuedOffline = pub(1);
        d.publish(queuedOffline);
        d.abandon();
        for (const r of requests) {
          const expected = r.qos === 0 ? [0] : inFlight.includes(r) ? [ResultCode.INCOMPLETE] : [ResultCode.DISCONNECTED];
          expect(d.resultsOf(r)).toEqual(expected);
        }
        expect(d.resultsOf(queuedOffline)).toEqual([ResultCode.DISCONNECTED]);
        expect(d.session.inflightCount + d.session.queuedCount).toBe(0);
        expect(d.abandon()).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('abandon() while still connected', () => {
  // abandon() completes SUBSCRIBE/UNSUBSCRIBE in flight too, as it does every other pending
  // request. (The client only calls abandon() once disconnected, where none can be in flight.)
  it('abandon() completes every pending request, a SUBSCRIBE in flight included', () => {
    const d = new Driver();
    d.connect();
    const s = sub();
    d.subscribe(s);
    d.abandon();
    expect(d.resultsOf(s)).toHaveLength(1);
  });
});

describe('DISCONNECT', () => {
  it('[MQTT-3.14.4-1] [MQTT-3.14.4-2] DISCONNECT is the last packet, a close action follows, and nothing more is sent until the next connect()', () => {
    const op = fc.constantFrom('publish0', 'publish1', 'publish2', 'subscribe', 'tick', 'receive', 'pubrel', 'disconnect');
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (after) => {
        const d = new Driver({ retryInterval: 100 });
        d.connect({ keepalive: 1 });
        const open = pub(2);
        d.publish(open);
        const actions = d.disconnect();
        expect(trace(actions)).toEqual(['send disconnect', 'close normal']);
        expect(d.session.nextTimeout()).toBeUndefined();
        const mark = d.log.length;
        for (const o of after) {
          if (o === 'publish0') d.publish(pub(0));
          else if (o === 'publish1') d.publish(pub(1));
          else if (o === 'publish2') d.publish(pub(2));
          else if (o === 'subscribe') d.subscribe(sub());
          else if (o === 'tick') d.advance(10_000);
          else if (o === 'receive') d.receive({ type: 'pubrec', packetId: d.idOf(open) });
          else if (o === 'pubrel') d.receive({ type: 'pubrel', packetId: 1 });
          else d.disconnect();
        }
        expect(sentPackets(d.log.slice(mark))).toEqual([]);
        expect(d.log.slice(mark).some((a) => a.type === 'close')).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('[MQTT-3.14.4-1] disconnect() while waiting for CONNACK sends DISCONNECT (a broker that accepts the CONNECT must not publish the will) and closes "normal"', () => {
    const d = new Driver();
    d.open();
    expect(trace(d.disconnect())).toEqual(['send disconnect', 'close normal']);
  });

  it('connect() twice without a close in between is refused', () => {
    const s = new Session({ clientId: 'x' });
    s.connect({ keepalive: 0, cleanSession: true }, 0);
    expect(() => s.connect({ keepalive: 0, cleanSession: true }, 0)).toThrow();
  });
});
