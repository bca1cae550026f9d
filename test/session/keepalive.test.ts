/**
 * Keepalive on the injected clock: PINGREQ after `keepalive` seconds without sending
 * [MQTT-3.1.2-23], the PINGRESP wait (default keepalive/2; anything inbound extends it), keepalive
 * 0 = off, and what nextTimeout() reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Driver, inbound, pub, tags, trace } from './harness.js';

describe('keepalive', () => {
  it('[MQTT-3.1.2-23] PINGREQ goes out exactly when nothing has been sent for keepalive seconds, not a millisecond sooner', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 10_000 }), (keepalive, connackDelay) => {
        const d = new Driver({ connackTimeout: 20_000 });
        const connectAt = d.now;
        d.open({ keepalive });
        d.now += connackDelay;
        d.receive({ type: 'connack', returnCode: 0, sessionPresent: false });
        const due = connectAt + keepalive * 1000; // counted from the CONNECT, the last packet sent
        if (due > d.now) {
          expect(d.session.nextTimeout()).toBe(due);
          expect(d.tickAt(due - 1)).toEqual([]);
        }
        expect(tags(d.tickAt(Math.max(due, d.now)))).toEqual(['pingreq']);
      }),
      { numRuns: 100 },
    );
  });

  it('[MQTT-3.1.2-23] ticking at nextTimeout(), the gap between two packets sent never exceeds keepalive, whatever else is sent when', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 90_000 }), qos: fc.constantFrom<0 | 1>(0, 1) }), { maxLength: 30 }),
        (keepalive, events) => {
          const d = new Driver();
          const sendTimes: number[] = [];
          const record = (actions: ReturnType<Driver['take']>): void => {
            for (const a of actions) {
              if (a.type !== 'send') continue;
              sendTimes.push(d.now);
              // The broker answers at once.
              if (a.packet.type === 'pingreq') record(d.receive({ type: 'pingresp' }));
              if (a.packet.type === 'publish' && a.packet.packetId !== undefined) record(d.receive({ type: 'puback', packetId: a.packet.packetId }));
            }
          };
          record(d.connect({ keepalive }));
          const runUntil = (t: number): void => {
            for (let next = d.session.nextTimeout(); next !== undefined && next <= t; ) {
              expect(next).toBeGreaterThanOrEqual(d.now); // never a deadline already in the past
              const actions = d.tickAt(next);
              record(actions);
              const after = d.session.nextTimeout();
              // A tick at the deadline must do something or move the deadline on.
              expect(actions.length > 0 || after === undefined || after > next, `tick at ${next} made no progress`).toBe(true);
              next = after;
            }
            d.now = t;
          };
          for (const e of events) {
            runUntil(d.now + e.gap);
            record(d.publish(pub(e.qos)));
          }
          runUntil(d.now + 3 * keepalive * 1000);
          for (let i = 1; i < sendTimes.length; i++) expect(sendTimes[i]! - sendTimes[i - 1]!).toBeLessThanOrEqual(keepalive * 1000);
          expect(d.session.state).toBe('connected');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('no PINGRESP within pingTimeout (default keepalive/2) closes with keepalive-timeout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 600 }), (keepalive) => {
        const d = new Driver();
        d.connect({ keepalive });
        const pingAt = d.now + keepalive * 1000;
        expect(tags(d.tickAt(pingAt))).toEqual(['pingreq']);
        const deadline = pingAt + (keepalive * 1000) / 2;
        expect(d.session.nextTimeout()).toBe(deadline);
        expect(d.tickAt(deadline - 1)).toEqual([]);
        expect(d.tickAt(deadline)).toEqual([{ type: 'close', reason: 'keepalive-timeout', error: expect.objectContaining({ code: 'KEEPALIVE_TIMEOUT' }) }]);
        expect(d.session.state).toBe('disconnected');
      }),
      { numRuns: 50 },
    );
  });

  it('the pingTimeout option replaces the default; PINGRESP ends the wait and the next PINGREQ is keepalive later', () => {
    const d = new Driver({ pingTimeout: 700 });
    d.connect({ keepalive: 10 });
    const t0 = d.now;
    expect(tags(d.tickAt(t0 + 10_000))).toEqual(['pingreq']);
    expect(d.session.nextTimeout()).toBe(t0 + 10_700);
    d.now = t0 + 10_500;
    expect(d.receive({ type: 'pingresp' })).toEqual([]);
    expect(d.session.nextTimeout()).toBe(t0 + 20_000);
    expect(d.tickAt(t0 + 10_700)).toEqual([]);
    expect(tags(d.tickAt(t0 + 20_000))).toEqual(['pingreq']);
    expect(d.tickAt(t0 + 20_700)).toEqual([{ type: 'close', reason: 'keepalive-timeout', error: expect.objectContaining({ code: 'KEEPALIVE_TIMEOUT' }) }]);
  });

  it('[MQTT-3.1.2-23] while the caller does not read (inbound backpressure), PINGREQs keep going out every keepalive and unread silence closes nothing; reading again starts a fresh interval', () => {
    const d = new Driver({ pingTimeout: 1000 });
    d.connect({ keepalive: 10 });
    const t0 = d.now;
    d.session.setReading(false, t0);
    expect(tags(d.tickAt(t0 + 10_000))).toEqual(['pingreq']);
    expect(d.tickAt(t0 + 11_000)).toEqual([]); // the PINGRESP may be waiting unread
    expect(d.session.nextTimeout()).toBe(t0 + 20_000);
    expect(tags(d.tickAt(t0 + 20_000))).toEqual(['pingreq']);
    d.session.setReading(true, t0 + 25_000);
    // From now on silence counts again: the next PINGREQ keepalive after the last one, then its wait.
    expect(tags(d.tickAt(t0 + 30_000))).toEqual(['pingreq']);
    expect(trace(d.tickAt(t0 + 31_000))).toEqual(['close keepalive-timeout']);
  });

  it('[MQTT-3.1.2-23] a pingTimeout longer than keepalive: while a PINGREQ is unanswered the next still goes out keepalive after the last packet; the wait runs from the first (found in review)', () => {
    const d = new Driver({ pingTimeout: 25_000 });
    d.connect({ keepalive: 10 });
    const t0 = d.now;
    expect(tags(d.tickAt(t0 + 10_000))).toEqual(['pingreq']);
    expect(d.session.nextTimeout()).toBe(t0 + 20_000);
    expect(tags(d.tickAt(t0 + 20_000))).toEqual(['pingreq']);
    expect(tags(d.tickAt(t0 + 30_000))).toEqual(['pingreq']);
    expect(d.session.nextTimeout()).toBe(t0 + 35_000);
    expect(trace(d.tickAt(t0 + 35_000))).toEqual(['close keepalive-timeout']);
  });

  it('any inbound packet while a PINGREQ is unanswered proves the connection alive and extends the wait', () => {
    const d = new Driver({ pingTimeout: 1000 });
    d.connect({ keepalive: 5 });
    const t0 = d.now;
    d.tickAt(t0 + 5000); // PINGREQ
    d.now = t0 + 5900;
    d.receive(inbound(0));
    expect(d.session.nextTimeout()).toBe(t0 + 6900);
    expect(d.tickAt(t0 + 6000)).toEqual([]);
    expect(d.tickAt(t0 + 6899)).toEqual([]);
    expect(trace(d.tickAt(t0 + 6900))).toEqual(['close keepalive-timeout']);
  });

  it('keepalive 0 turns it off: no PINGREQ ever and no deadline', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { maxLength: 10 }), (steps) => {
        const d = new Driver();
        d.connect({ keepalive: 0 });
        expect(d.session.nextTimeout()).toBeUndefined();
        for (const s of steps) expect(d.advance(s)).toEqual([]);
        expect(d.session.state).toBe('connected');
      }),
      { numRuns: 30 },
    );
  });

  it('nextTimeout() is undefined while disconnected', () => {
    const d = new Driver();
    expect(d.session.nextTimeout()).toBeUndefined();
    d.connect({ keepalive: 5 });
    d.lose();
    expect(d.session.nextTimeout()).toBeUndefined();
    expect(d.advance(60_000)).toEqual([]);
  });

  // While CONNECTING tick() does nothing but the CONNACK check, so nextTimeout() must not offer
  // the keepalive time: a driver ticking at it would spin on a deadline already passed.
  it('while waiting for CONNACK, nextTimeout() is never a time already passed (keepalive shorter than connackTimeout)', () => {
    const d = new Driver({ connackTimeout: 30_000 });
    d.open({ keepalive: 10 });
    const next = d.session.nextTimeout()!;
    const actions = d.tickAt(next);
    if (actions.length === 0) expect(d.session.nextTimeout()!).toBeGreaterThan(d.now);
  });
});
