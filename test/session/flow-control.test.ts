/**
 * Flow control: maxInflight QoS 1/2 flows at once (the rest wait in order), maxBuffered waiting
 * requests (reject-new or drop-oldest beyond it, -12), QoS 0 offline, and same-connection
 * retransmission after retryInterval.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../src/session/index.js';
import type { PublishRequest } from '../../src/session/index.js';
import type { QoS } from '../../src/packet/index.js';
import { Driver, dupBit, pub, sentPackets, sub, tags, wireId } from './harness.js';

function sentPublishTopics(d: Driver, from = 0): string[] {
  return sentPackets(d.log.slice(from)).flatMap((p) => (p.type === 'publish' ? [p.topic] : []));
}

describe('maxInflight', () => {
  it('at most maxInflight QoS 1/2 flows are open; the rest go out in order as acks free slots', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom<1 | 2>(1, 2), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (maxInflight, qoses, picks) => {
          const d = new Driver({ maxInflight });
          d.connect();
          const requests = qoses.map((q) => pub(q));
          for (const r of requests) d.publish(r);
          const open: PublishRequest[] = [];
          const sync = (): void => {
            for (const r of requests) if (!open.includes(r) && d.resultsOf(r).length === 0 && sentPublishTopics(d).includes(r.topic)) open.push(r);
            for (let i = open.length - 1; i >= 0; i--) if (d.resultsOf(open[i]!).length > 0) open.splice(i, 1);
          };
          sync();
          const ackNext = (pick: number): void => {
            const r = open[pick % open.length]!;
            if (r.qos === 1) d.receive({ type: 'puback', packetId: d.idOf(r) });
            else {
              d.receive({ type: 'pubrec', packetId: d.idOf(r) });
              d.receive({ type: 'pubcomp', packetId: d.idOf(r) });
            }
            sync();
          };
          for (const pick of picks) {
            if (open.length === 0) break;
            ackNext(pick);
            expect(d.session.inflightCount).toBeLessThanOrEqual(maxInflight);
            expect(open.length).toBe(Math.min(maxInflight, requests.length - requests.filter((r) => d.resultsOf(r).length > 0).length));
          }
          while (open.length > 0) ackNext(0);
          // Sent in request order, each once, all completed 0.
          expect(sentPublishTopics(d)).toEqual(requests.map((r) => r.topic));
          for (const r of requests) expect(d.resultsOf(r)).toEqual([0]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('QoS 0 does not wait behind QoS 1/2 held back by maxInflight', () => {
    const d = new Driver({ maxInflight: 1 });
    d.connect();
    const a = pub(1);
    const b = pub(1);
    const c = pub(0);
    d.publish(a);
    d.publish(b);
    expect(tags(d.publish(c))).toEqual(['publish']);
    expect(d.resultsOf(c)).toEqual([0]);
    expect(d.session.queuedCount).toBe(1);
  });

  it('SUBSCRIBE queued behind held-back publishes keeps its place in line', () => {
    const d = new Driver({ maxInflight: 1 });
    d.connect();
    const a = pub(1);
    const b = pub(1);
    const s = sub();
    d.publish(a);
    d.publish(b);
    expect(d.subscribe(s)).toEqual([]);
    const after = d.receive({ type: 'puback', packetId: d.idOf(a) });
    expect(tags(after).map((t) => t.split('#')[0])).toEqual(['publish', 'subscribe']);
  });
});

describe('maxBuffered', () => {
  it('reject-new: once maxBuffered requests wait, a new publish completes -12 at once and the queue is untouched', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 20 }), fc.constantFrom<QoS>(0, 1, 2), (maxBuffered, n, qos) => {
        const d = new Driver({ maxBuffered });
        const requests = Array.from({ length: n }, () => pub(qos));
        for (const r of requests) d.publish(r); // offline: all of them would wait
        requests.forEach((r, i) => expect(d.resultsOf(r)).toEqual(i < maxBuffered ? [] : [ResultCode.MAX_BUFFERED]));
        expect(d.session.queuedCount).toBe(Math.min(n, maxBuffered));
        d.connect();
        expect(sentPublishTopics(d)).toEqual(requests.slice(0, maxBuffered).map((r) => r.topic));
      }),
      { numRuns: 100 },
    );
  });

  it('drop-oldest: once full, each new publish pushes out the oldest waiting one, which completes -12', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), (maxBuffered, n) => {
        const d = new Driver({ maxBuffered, dropPolicy: 'drop-oldest' });
        const requests = Array.from({ length: n }, () => pub(1));
        for (const r of requests) d.publish(r);
        const kept = requests.slice(Math.max(0, n - maxBuffered));
        for (const r of requests) expect(d.resultsOf(r)).toEqual(kept.includes(r) ? [] : [ResultCode.MAX_BUFFERED]);
        d.connect();
        expect(sentPublishTopics(d)).toEqual(kept.map((r) => r.topic));
      }),
      { numRuns: 100 },
    );
  });

  it('the limit also applies while connected when maxInflight holds requests back', () => {
    const d = new Driver({ maxInflight: 1, maxBuffered: 1 });
    d.connect();
    const [a, b, c] = [pub(1), pub(1), pub(1)];
    d.publish(a);
    d.publish(b);
    d.publish(c);
    expect([d.resultsOf(a), d.resultsOf(b), d.resultsOf(c)]).toEqual([[], [], [ResultCode.MAX_BUFFERED]]);
  });

  it('a restoring SUBSCRIBE (the client re-subscribing on a fresh session) goes out at once, ahead of a full queue, and evicts nothing', () => {
    for (const dropPolicy of ['reject-new', 'drop-oldest'] as const) {
      const d = new Driver({ maxInflight: 1, maxBuffered: 2, dropPolicy });
      d.connect();
      const waiting = [pub(1), pub(1), pub(1)];
      for (const r of waiting) d.publish(r); // one in flight, two waiting: the queue is full
      const restore = { ...sub('alerts/#'), restore: true };
      expect(tags(d.subscribe(restore)).map((t) => t.split('#')[0]), dropPolicy).toEqual(['subscribe']);
      expect(waiting.map((r) => d.resultsOf(r)), dropPolicy).toEqual([[], [], []]);
      expect(d.session.queuedCount, dropPolicy).toBe(2);
    }
  });

  it('a restoring SUBSCRIBE made while disconnected is neither evicted nor counted by maxBuffered, and goes first on the next connection', () => {
    const d = new Driver({ maxBuffered: 1, dropPolicy: 'drop-oldest' });
    const restore = { ...sub('alerts/#'), restore: true };
    d.subscribe(restore);
    const p = pub(1);
    d.publish(p);
    expect(d.log.filter((a) => a.type === 'subscribed')).toEqual([]);
    expect(d.resultsOf(p)).toEqual([]);
    expect(tags(d.connect()).filter((t) => !t.startsWith('connect')).map((t) => t.split('#')[0])).toEqual(['subscribe', 'publish']);
  });

  it('queueQoS0 false: a QoS 0 publish while disconnected completes -3 instead of waiting', () => {
    const d = new Driver({ queueQoS0: false });
    const r = pub(0);
    d.publish(r);
    expect(d.resultsOf(r)).toEqual([ResultCode.DISCONNECTED]);
    d.connect();
    expect(sentPublishTopics(d)).toEqual([]);
  });
});

describe('retryInterval', () => {
  it('[MQTT-3.3.1-1] [MQTT-2.3.1-3] an unacked PUBLISH is re-sent after retryInterval with DUP=1 and the same id; PUBREL likewise; never PUBLISH after PUBREC', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), fc.constantFrom<1 | 2>(1, 2), fc.integer({ min: 1, max: 4 }), (interval, qos, rounds) => {
        const d = new Driver({ retryInterval: interval });
        d.connect();
        const r = pub(qos);
        d.publish(r);
        const id = d.idOf(r);
        const sentAt = d.now;
        expect(d.session.nextTimeout()).toBe(sentAt + interval);
        expect(d.tickAt(sentAt + interval - 1)).toEqual([]);
        for (let i = 1; i <= rounds; i++) {
          const again = sentPackets(d.tickAt(sentAt + i * interval));
          expect(again).toHaveLength(1);
          expect(again[0]).toMatchObject({ type: 'publish', qos, packetId: id, dup: true });
          expect(dupBit(again[0]!)).toBe(true);
          expect(wireId(again[0]!)).toBe(id);
        }
        if (qos === 2) {
          d.receive({ type: 'pubrec', packetId: id });
          const pubrelAt = d.now;
          const again = sentPackets(d.tickAt(pubrelAt + interval));
          expect(again).toEqual([{ type: 'pubrel', packetId: id }]);
          d.receive({ type: 'pubcomp', packetId: id });
        } else {
          d.receive({ type: 'puback', packetId: id });
        }
        // Done: nothing is re-sent any more.
        expect(sentPackets(d.advance(10 * interval))).toEqual([]);
        expect(d.resultsOf(r)).toEqual([0]);
      }),
      { numRuns: 100 },
    );
  });

  it('each flow is retried on its own schedule, in store order', () => {
    const d = new Driver({ retryInterval: 1000 });
    d.connect();
    const t0 = d.now;
    const a = pub(1);
    const b = pub(1);
    d.publish(a);
    d.now = t0 + 400;
    d.publish(b);
    expect(tags(d.tickAt(t0 + 1000))).toEqual([`publish#${d.idOf(a)}`]);
    expect(d.session.nextTimeout()).toBe(t0 + 1400);
    expect(tags(d.tickAt(t0 + 1400))).toEqual([`publish#${d.idOf(b)}`]);
    expect(tags(d.tickAt(t0 + 5000))).toEqual([`publish#${d.idOf(a)}`, `publish#${d.idOf(b)}`]);
  });

  it('retryInterval 0 (default): no same-connection re-send, however long the wait', () => {
    const d = new Driver();
    d.connect();
    d.publish(pub(1));
    expect(d.session.nextTimeout()).toBeUndefined();
    expect(d.advance(24 * 3_600_000)).toEqual([]);
  });
});
