/**
 * A publish the broker will never take. A broker that does not authorize a PUBLISH may close the
 * connection instead of acknowledging it [MQTT-3.3.5-2] (AWS IoT, VerneMQ and aedes do; mosquitto
 * does for a topic holding a control character). Re-sent first on every connection [MQTT-4.4.0-1],
 * such a message closed every connection for ever, and nothing behind it got through (the loop
 * MQTTX's CLI had, emqx/MQTTX#1667). The session counts the connections the broker closed while a
 * publish was the oldest one unacknowledged; at `undeliverableAfter` (default 3) it completes
 * -13 and the messages behind it go on. Closes that are not the broker's answer (our keepalive
 * timeout, a connection lost before CONNACK, a flow at PUBREL) do not count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../../src/errors.js';
import { ResultCode, Session } from '../../src/session/index.js';
import type { CloseReason, PublishRequest, SessionAction, SessionOptions } from '../../src/session/index.js';

const request = (topic: string, qos: 1 | 2 = 1): PublishRequest => ({ topic, payload: new Uint8Array([1]), qos, retain: false });

function connect(session: Session): SessionAction[] {
  session.connect({ keepalive: 0, cleanSession: true }, 0);
  session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
  return session.takeActions();
}

function lose(session: Session, reason: CloseReason = 'transport'): SessionAction[] {
  session.connectionLost(reason, 0, new MqttError('CONNECTION_CLOSED', 'the broker closed the connection'));
  return session.takeActions();
}

const sentTopics = (actions: SessionAction[]): string[] => actions.flatMap((a) => (a.type === 'send' && a.packet.type === 'publish' ? [a.packet.topic] : []));
const results = (actions: SessionAction[]): [string, number][] => actions.flatMap((a) => (a.type === 'published' ? [[a.request.topic, a.result] as [string, number]] : []));

function started(options: Partial<SessionOptions> = {}): Session {
  const session = new Session({ clientId: 'u', ...options });
  connect(session);
  return session;
}

describe('a publish the broker closes the connection over [MQTT-3.3.5-2] [MQTT-4.4.0-1]', () => {
  it('the third close with it oldest unacknowledged completes it -13; the publish behind it is re-sent and completes 0', () => {
    const session = started();
    session.publish(request('poison'), 0);
    session.publish(request('fine'), 0);
    expect(sentTopics(session.takeActions())).toEqual(['poison', 'fine']);
    for (let close = 1; close <= 2; close++) {
      expect(results(lose(session))).toEqual([]);
      expect(sentTopics(connect(session))).toEqual(['poison', 'fine']); // re-sent in order, DUP
    }
    expect(results(lose(session))).toEqual([['poison', ResultCode.UNDELIVERABLE]]);
    expect(session.inflightCount).toBe(1);
    const resent = connect(session);
    expect(sentTopics(resent)).toEqual(['fine']);
    const fine = resent.find((a) => a.type === 'send' && a.packet.type === 'publish')!;
    session.packetReceived({ type: 'puback', packetId: (fine as { packet: { packetId: number } }).packet.packetId }, 0);
    expect(results(session.takeActions())).toEqual([['fine', ResultCode.SUCCESS]]);
  });

  it('closes that are not the broker answering it do not count: keepalive timeouts, connections lost before CONNACK, the other reasons', () => {
    const session = started({ undeliverableAfter: 1 });
    session.publish(request('slow'), 0);
    session.takeActions();
    for (const reason of ['keepalive-timeout', 'protocol-error', 'packet-too-large', 'rate-exceeded'] as const) {
      expect(results(lose(session, reason))).toEqual([]);
      expect(sentTopics(connect(session))).toEqual(['slow']);
    }
    // A connection that never reached CONNACK never carried it.
    expect(results(lose(session, 'keepalive-timeout'))).toEqual([]);
    session.connect({ keepalive: 0, cleanSession: true }, 0);
    expect(results(lose(session))).toEqual([]);
    expect(sentTopics(connect(session))).toEqual(['slow']);
    expect(results(lose(session))).toEqual([['slow', ResultCode.UNDELIVERABLE]]);
  });

  it('only the oldest unacknowledged publish is counted, so messages sent behind the one the broker refuses are not failed with it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 20 }), (limit, behind) => {
        const session = started({ undeliverableAfter: limit });
        session.publish(request('poison'), 0);
        for (let i = 0; i < behind; i++) session.publish(request(`m${i}`), 0);
        session.takeActions();
        const failed: [string, number][] = [];
        for (let close = 1; close <= limit; close++) {
          failed.push(...results(lose(session)));
          connect(session);
        }
        expect(failed).toEqual([['poison', ResultCode.UNDELIVERABLE]]);
        expect(session.inflightCount).toBe(behind);
      }),
    );
  });

  it('a QoS 2 flow at PUBREL (the broker has the message) is never counted; a QoS 2 PUBLISH is', () => {
    const session = started({ undeliverableAfter: 1 });
    session.publish(request('owned', 2), 0);
    const id = (session.takeActions()[0] as { packet: { packetId: number } }).packet.packetId;
    session.packetReceived({ type: 'pubrec', packetId: id }, 0);
    session.takeActions();
    expect(results(lose(session))).toEqual([]);
    connect(session);
    session.publish(request('refused', 2), 0);
    session.takeActions();
    expect(results(lose(session))).toEqual([['refused', ResultCode.UNDELIVERABLE]]);
    expect(session.inflightCount).toBe(1); // the PUBREL flow lives on
  });

  it('undeliverableAfter: Infinity re-sends it on every connection, as [MQTT-4.4.0-1] reads', () => {
    const session = started({ undeliverableAfter: Infinity });
    session.publish(request('kept'), 0);
    session.takeActions();
    for (let close = 0; close < 50; close++) {
      expect(results(lose(session))).toEqual([]);
      expect(sentTopics(connect(session))).toEqual(['kept']);
    }
  });

  it('undeliverableAfter must be a number of at least 1 (typed, at the call)', () => {
    for (const bad of [0, -1, Number.NaN, '3']) {
      expect(() => new Session({ clientId: 'u', undeliverableAfter: bad as number })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});

/**
 * A QoS 2 PUBLISH given up -13 may still be held by a broker that keeps the session: if the
 * closes were a flapping link's and not the broker's answer, its PUBREC was lost with them, and
 * the broker holds the id until a PUBREL [MQTT-4.3.3-2]. A new QoS 2 message sent under that id
 * would be taken for a re-send of the old one and never delivered, while the client reports it
 * complete. So the id is not reused until a CONNACK without a session says the broker holds none.
 */
describe('the packet id of a QoS 2 publish given up -13 [MQTT-4.3.3-2] [MQTT-2.3.1-2]', () => {
  function connectKept(session: Session, sessionPresent: boolean): SessionAction[] {
    session.connect({ keepalive: 0, cleanSession: false }, 0);
    session.packetReceived({ type: 'connack', returnCode: 0, sessionPresent }, 0);
    return session.takeActions();
  }

  it('is held while the broker keeps the session, and free again after a CONNACK with no session present', () => {
    const session = new Session({ clientId: 'q2', cleanSession: false, undeliverableAfter: 1 });
    connectKept(session, false);
    session.publish(request('refused', 2), 0);
    const id = (session.takeActions()[0] as { packet: { packetId: number } }).packet.packetId;
    expect(results(lose(session))).toEqual([['refused', ResultCode.UNDELIVERABLE]]);
    connectKept(session, true);
    // Every other id: 65,534 publishes go out, none with the given-up id; one more waits for an id.
    const sentIds = new Set<number>();
    for (let i = 0; i < 65_535; i++) session.publish(request(`m${i}`), 0);
    for (const a of session.takeActions()) if (a.type === 'send' && a.packet.type === 'publish') sentIds.add(a.packet.packetId!);
    expect([sentIds.size, sentIds.has(id), session.queuedCount]).toEqual([65_534, false, 1]);
    // The broker has forgotten the session: the id is free, and the waiting publish takes it.
    session.connectionLost('keepalive-timeout', 0);
    session.takeActions();
    const fresh = connectKept(session, false).flatMap((a) => (a.type === 'send' && a.packet.type === 'publish' && !a.packet.dup ? [a.packet.packetId] : []));
    expect(fresh).toEqual([id]);
  });

  it('a QoS 1 publish given up -13 frees its id at once (a re-used id is answered PUBACK anew, nothing is withheld)', () => {
    const session = new Session({ clientId: 'q1', cleanSession: false, undeliverableAfter: 1 });
    connectKept(session, false);
    session.publish(request('refused', 1), 0);
    session.takeActions();
    expect(results(lose(session))).toEqual([['refused', ResultCode.UNDELIVERABLE]]);
    connectKept(session, true);
    for (let i = 0; i < 65_535; i++) session.publish(request(`m${i}`), 0);
    session.takeActions();
    expect(session.queuedCount).toBe(0);
  });
});
