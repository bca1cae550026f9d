/**
 * Packet-id exhaustion through a Session. With every one of the 65,535 ids held by an open flow,
 * a QoS 1/2 publish, SUBSCRIBE or UNSUBSCRIBE waits in the queue, in order, as it would behind
 * maxInflight (within maxBuffered and its dropPolicy), and goes out with the id the next PUBACK,
 * PUBCOMP, SUBACK or UNSUBACK frees. The client's own restoring SUBSCRIBE waits outside the queue
 * and goes first. Nothing completes -10: an id always comes free while connected, and failing
 * the request would only make the application retry what the session can hold for it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultCode, Session } from '../../src/session/index.js';
import type { OutboundRequest, PublishRequest, SessionAction, SessionOptions, SubscribeRequest, UnsubscribeRequest } from '../../src/session/index.js';

const MAX = 65_535;

function request(i: number, qos: 1 | 2 = 1): PublishRequest {
  return { topic: `e/${i}`, payload: new Uint8Array(0), qos, retain: false };
}

interface Exhausted {
  session: Session;
  /** The id each flow went out with. */
  ids: Map<PublishRequest, number>;
  requests: PublishRequest[];
}

/**
 * A connected session with `count` open flows, QoS 1 except every `qos2Every`th (QoS 2 at its
 * PUBLISH stage); returns the ids they got, by request.
 */
function exhausted(options: Partial<SessionOptions> = {}, count = MAX, qos2Every = Infinity): Exhausted {
  const session = new Session({ clientId: 'ids', ...options });
  session.connect({ keepalive: 0, cleanSession: true }, 0);
  session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
  session.takeActions();
  const requests = Array.from({ length: count }, (_, i) => request(i, i % qos2Every === qos2Every - 1 ? 2 : 1));
  for (const r of requests) session.publish(r, 0);
  const ids = new Map<PublishRequest, number>();
  const byTopic = new Map(requests.map((r) => [r.topic, r]));
  for (const a of session.takeActions()) {
    if (a.type === 'send' && a.packet.type === 'publish' && a.packet.packetId !== undefined) ids.set(byTopic.get(a.packet.topic)!, a.packet.packetId);
    else throw new Error(`unexpected ${a.type}`);
  }
  return { session, ids, requests };
}

function submit(session: Session, r: OutboundRequest): SessionAction[] {
  if ('topic' in r) session.publish(r, 0);
  else if ('subscriptions' in r) session.subscribe(r, 0);
  else session.unsubscribe(r, 0);
  return session.takeActions();
}

function receive(session: Session, packet: Parameters<Session['packetReceived']>[0]): SessionAction[] {
  session.packetReceived(packet, 0);
  return session.takeActions();
}

/** Ends the open flow of `r` as the broker would: PUBACK, or PUBREC (answered with PUBREL, the id still held) then PUBCOMP. */
function end(x: Exhausted, r: PublishRequest): SessionAction[] {
  const packetId = x.ids.get(r)!;
  if (r.qos === 1) return receive(x.session, { type: 'puback', packetId });
  expect(receive(x.session, { type: 'pubrec', packetId })).toEqual([{ type: 'send', packet: { type: 'pubrel', packetId } }]);
  return receive(x.session, { type: 'pubcomp', packetId });
}

/** The send of `r` with `packetId`, as the session reports it. */
function sendOf(r: OutboundRequest, packetId: number): SessionAction {
  if ('topic' in r) return { type: 'send', packet: { type: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, dup: false, retain: r.retain, packetId } };
  if ('subscriptions' in r) return { type: 'send', packet: { type: 'subscribe', packetId, subscriptions: r.subscriptions } };
  return { type: 'send', packet: { type: 'unsubscribe', packetId, topics: r.topics } };
}

const sub = (topic: string, restore?: true): SubscribeRequest => (restore ? { subscriptions: [{ topic, qos: 1 }], restore } : { subscriptions: [{ topic, qos: 1 }] });
const unsub = (topic: string): UnsubscribeRequest => ({ topics: [topic] });

type Kind = 'qos1' | 'qos2' | 'subscribe' | 'unsubscribe';

function waiting(kind: Kind, i: number): OutboundRequest {
  if (kind === 'subscribe') return sub(`w/${i}`);
  if (kind === 'unsubscribe') return unsub(`w/${i}`);
  return request(1_000_000 + i, kind === 'qos1' ? 1 : 2);
}

describe('id exhaustion through a Session', () => {
  it('[MQTT-2.3.1-2] with the default maxInflight, QoS 1/2 publishes, SUBSCRIBEs and UNSUBSCRIBEs past 65,535 open flows wait in order, not -10, each going out with the id a PUBACK or PUBCOMP frees (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Kind>('qos1', 'qos2', 'subscribe', 'unsubscribe'), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: MAX - 1 }), { minLength: 1, maxLength: 8 }),
        (kinds, ending) => {
          const x = exhausted({}, MAX, 3);
          expect(new Set(x.ids.values()).size).toBe(MAX);
          const queued = kinds.map(waiting);
          for (const r of queued) expect(submit(x.session, r)).toEqual([]);
          expect(x.session.queuedCount).toBe(queued.length);
          ending.forEach((index, i) => {
            const r = x.requests[index]!;
            const next = queued[i];
            expect(end(x, r)).toEqual([{ type: 'published', request: r, result: 0 }, ...(next === undefined ? [] : [sendOf(next, x.ids.get(r)!)])]);
          });
          expect(x.session.queuedCount).toBe(Math.max(0, queued.length - ending.length));
          expect(x.session.inflightCount).toBe(MAX - ending.length + ending.filter((_, i) => i < queued.length && 'topic' in queued[i]!).length);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('[MQTT-2.3.1-2] requests waiting for an id count against maxBuffered: beyond it reject-new completes the newest -12 and drop-oldest the oldest; the kept ones go out in order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 7 }), fc.constantFrom<'reject-new' | 'drop-oldest'>('reject-new', 'drop-oldest'), (maxBuffered, n, dropPolicy) => {
        const x = exhausted({ maxBuffered, dropPolicy });
        const over = Array.from({ length: n }, (_, i) => request(-1 - i));
        const results = new Map<PublishRequest, number[]>(over.map((r) => [r, []]));
        for (const r of over) {
          for (const a of submit(x.session, r)) {
            if (a.type !== 'published') throw new Error(`unexpected ${a.type}`);
            results.get(a.request)!.push(a.result);
          }
        }
        const kept = maxBuffered === 0 ? [] : dropPolicy === 'reject-new' ? over.slice(0, maxBuffered) : over.slice(Math.max(0, n - maxBuffered));
        for (const r of over) expect(results.get(r)).toEqual(kept.includes(r) ? [] : [ResultCode.MAX_BUFFERED]);
        for (const [i, r] of kept.entries()) {
          const acked = x.requests[i]!;
          expect(end(x, acked)).toEqual([{ type: 'published', request: acked, result: 0 }, sendOf(r, x.ids.get(acked)!)]);
        }
      }),
      { numRuns: 10 },
    );
  });

  it('[MQTT-2.3.1-3] the id a SUBACK or UNSUBACK frees goes to the next waiting request; one that a connection loss frees goes to it after the CONNACK', () => {
    for (const ending of ['suback', 'unsuback', 'lost'] as const) {
      const x = exhausted({}, MAX - 1);
      const control = ending === 'unsuback' ? unsub('s') : sub('s');
      expect(submit(x.session, control)).toEqual([sendOf(control, MAX)]);
      const blocked = request(-1);
      expect(submit(x.session, blocked)).toEqual([]);
      if (ending === 'lost') {
        x.session.connectionLost('transport', 0);
        x.session.connect({ keepalive: 0, cleanSession: false }, 0);
        const actions = receive(x.session, { type: 'connack', returnCode: 0, sessionPresent: true });
        expect(actions[0]).toEqual({ type: 'subscribed', request: control, result: ResultCode.INCOMPLETE, granted: [] });
        expect(actions.at(-2)).toEqual(sendOf(blocked, MAX));
      } else {
        const acked = ending === 'suback' ? receive(x.session, { type: 'suback', packetId: MAX, granted: [1] }) : receive(x.session, { type: 'unsuback', packetId: MAX });
        expect(acked.slice(1)).toEqual([sendOf(blocked, MAX)]);
      }
    }
  });

  it('[MQTT-2.3.1-3] a QoS 2 flow holds its id through the PUBREL stage; the publish waiting for it goes out at PUBCOMP', () => {
    const x = exhausted({}, MAX - 1);
    const q2 = request(-2, 2);
    expect(submit(x.session, q2)).toEqual([sendOf(q2, MAX)]);
    expect(receive(x.session, { type: 'pubrec', packetId: MAX })).toEqual([{ type: 'send', packet: { type: 'pubrel', packetId: MAX } }]);
    const blocked = request(-1);
    expect(submit(x.session, blocked)).toEqual([]);
    expect(receive(x.session, { type: 'pubcomp', packetId: MAX })).toEqual([{ type: 'published', request: q2, result: 0 }, sendOf(blocked, MAX)]);
  });

  it("[MQTT-2.3.1-2] the client's restoring SUBSCRIBE on a fresh session whose re-sent flows hold every id waits outside the queue (not -10, not -12) and goes first with the next freed id", () => {
    const x = exhausted({ maxBuffered: 1, cleanSession: false });
    x.session.connectionLost('transport', 0);
    x.session.connect({ keepalive: 0, cleanSession: false }, 0);
    x.session.takeActions();
    expect(receive(x.session, { type: 'connack', returnCode: 0, sessionPresent: false })).toHaveLength(MAX + 1); // every flow re-sent, then the CONNACK
    const queued = request(-1);
    expect(submit(x.session, queued)).toEqual([]);
    const restore = sub('r', true);
    expect(submit(x.session, restore)).toEqual([]);
    const [first, second] = [x.requests[10]!, x.requests[20]!];
    expect(end(x, first)).toEqual([{ type: 'published', request: first, result: 0 }, sendOf(restore, x.ids.get(first)!)]);
    expect(end(x, second)).toEqual([{ type: 'published', request: second, result: 0 }, sendOf(queued, x.ids.get(second)!)]);
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
      const a = submit(session, request(i))[0];
      if (a?.type === 'send' && a.packet.type === 'publish') sent.add(a.packet.packetId!);
    }
    expect(sent.size).toBe(MAX);
  });

  it('with maxInflight 65,535 set explicitly the 65,536th publish waits in the queue the same way and goes out with the next freed id', () => {
    const x = exhausted({ maxInflight: MAX });
    const over = request(-1);
    expect(submit(x.session, over)).toEqual([]);
    expect(x.session.queuedCount).toBe(1);
    const acked = x.requests[4321]!;
    expect(end(x, acked)).toEqual([{ type: 'published', request: acked, result: 0 }, sendOf(over, x.ids.get(acked)!)]);
  });
});

describe('restoring SUBSCRIBEs that waited for an id through a lost connection', () => {
  /** `x` loses its connection with `waiting` restores waiting, and connects again (CONNACK with `sessionPresent`). */
  function reconnect(x: Exhausted, waiting: SubscribeRequest[], sessionPresent: boolean): SessionAction[] {
    for (const r of waiting) expect(submit(x.session, r)).toEqual([]);
    x.session.connectionLost('transport', 0);
    expect(x.session.takeActions().filter((a) => a.type !== 'close')).toEqual([]); // not cut off: a kept session still needs them
    x.session.connect({ keepalive: 0, cleanSession: false }, 0);
    x.session.takeActions();
    return receive(x.session, { type: 'connack', returnCode: 0, sessionPresent });
  }

  it("[MQTT-3.8.4-3] complete -11 at a CONNACK without a kept session, before anything is sent: the client makes its restores anew there, so kept every connection lost while ids were held would send one set more (each re-sending retained messages)", () => {
    const x = exhausted({ cleanSession: false });
    const before = [sub('r', true), sub('s', true)];
    const actions = reconnect(x, before, false);
    expect(actions.slice(0, 2)).toEqual(before.map((request) => ({ type: 'subscribed', request, result: ResultCode.INCOMPLETE, granted: [] })));
    expect(actions).toHaveLength(2 + MAX + 1); // then every flow re-sent, then the CONNACK
    const after = sub('r', true); // the client's restore for this connection
    expect(submit(x.session, after)).toEqual([]);
    const [first, second] = [x.requests[1]!, x.requests[2]!];
    expect(end(x, first)).toEqual([{ type: 'published', request: first, result: 0 }, sendOf(after, x.ids.get(first)!)]);
    expect(end(x, second)).toEqual([{ type: 'published', request: second, result: 0 }]);
  });

  it('[MQTT-2.3.1-2] go first with the next freed ids on a kept session (sessionPresent 1), which never had them', () => {
    const x = exhausted({ cleanSession: false });
    const before = [sub('r', true), sub('s', true)];
    expect(reconnect(x, before, true)).toHaveLength(MAX + 1); // every flow re-sent, then the CONNACK
    const [first, second] = [x.requests[1]!, x.requests[2]!];
    expect(end(x, first)).toEqual([{ type: 'published', request: first, result: 0 }, sendOf(before[0]!, x.ids.get(first)!)]);
    expect(end(x, second)).toEqual([{ type: 'published', request: second, result: 0 }, sendOf(before[1]!, x.ids.get(second)!)]);
  });

  it('one made while disconnected, after abandon() gave up on those carried, still goes on the next fresh session', () => {
    const x = exhausted();
    expect(submit(x.session, sub('old', true))).toEqual([]);
    x.session.connectionLost('transport', 0);
    x.session.abandon();
    x.session.takeActions();
    const fresh = sub('new', true);
    expect(submit(x.session, fresh)).toEqual([]);
    x.session.connect({ keepalive: 0, cleanSession: true }, 0);
    x.session.takeActions();
    expect(receive(x.session, { type: 'connack', returnCode: 0, sessionPresent: false })).toEqual([sendOf(fresh, 1), { type: 'connack', returnCode: 0, sessionPresent: false }]);
  });
});
