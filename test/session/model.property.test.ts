/**
 * Model-based test of the Session: fast-check drives random interleavings of application
 * requests (publish QoS 0/1/2, subscribe, unsubscribe, manual acknowledgement), broker packets
 * (acks in any order, for open or unknown ids, duplicates; inbound PUBLISH QoS 0/1/2 including
 * DUP re-sends; PUBREL; PINGRESP; a packet a client never accepts), connection events (connect
 * with CleanSession 0/1, CONNACK with sessionPresent 0/1 or a refusal, loss, DISCONNECT,
 * abandon) and the clock (tick by steps, or to nextTimeout()), with small maxInflight /
 * maxBuffered / retryInterval values.
 *
 * Two independent checks run on every action the Session produces:
 *  - a reference Model predicts the exact action sequence of each input (adopting only the
 *    packet ids of new flows from the Session, after checking they are free);
 *  - an Observer that sees nothing but the action trace checks the invariants: no two open flows
 *    share an id [MQTT-2.3.1-2], re-sends keep their id and set DUP [MQTT-2.3.1-3, MQTT-3.3.1-1],
 *    no PUBLISH after PUBREL [MQTT-4.3.3-1], each request completes at most once, each inbound
 *    QoS 2 message is delivered once per id lifetime [MQTT-4.3.3-2], CONNECT is the first packet
 *    of each connection and nothing is sent while disconnected [MQTT-3.1.0-1], and a resuming
 *    CONNACK re-sends the open flows first, in order, DUP=1 [MQTT-4.4.0-1, MQTT-4.6.0-1].
 * At the end of each run the session reconnects, the broker acks everything, and every request
 * must have completed exactly once.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { configArb } from './model/config.js';
import { World, weighted } from './model/world.js';

describe('Session against a reference model', () => {
  it('[MQTT-2.3.1-2] [MQTT-3.1.0-1] [MQTT-4.1.0-2] [MQTT-4.3.3-2] [MQTT-4.4.0-1] [MQTT-4.6.0-1] random interleavings of requests, broker packets, reconnects and time: exact actions, ids never shared, each request completed once, QoS 2 delivered once, CONNECT first, re-sends first', () => {
    fc.assert(
      fc.property(configArb, fc.commands(weighted, { maxCommands: 200, size: 'max' }), (config, cmds) => {
        let world: World | undefined;
        fc.modelRun(() => {
          world = new World(config);
          if (config.startConnected !== null) {
            world.connect(config.startConnected.cleanSession, config.startConnected.keepalive);
            world.receive({ type: 'connack', returnCode: 0, sessionPresent: false });
          }
          return { model: world.model, real: world };
        }, cmds);
        world!.settle();
      }),
      { numRuns: 1000 },
    );
  }, 120_000);
});
