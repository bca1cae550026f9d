/**
 * Model-based test of the Session (../model.property.test.ts): the world: session + model + observer, and the commands that drive them.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Session } from '../../../src/session/index.js';
import type { InboundMessage, PublishRequest, SessionOptions, SubscribeRequest, UnsubscribeRequest } from '../../../src/session/index.js';
import type { Packet, PublishPacket, QoS } from '../../../src/packet/index.js';
import { CLIENT_ID, INFINITY, isSubscribe, nameOf } from './config.js';
import type { Config } from './config.js';
import { Out } from './matcher.js';
import { Model } from './reference-model.js';
import { Observer } from './observer.js';

export class World {
  readonly session: Session;
  readonly model: Model;
  readonly observer = new Observer();
  steps = 0;

  constructor(readonly config: Config) {
    const options: SessionOptions = {
      clientId: CLIENT_ID,
      maxBuffered: config.maxBuffered,
      dropPolicy: config.dropPolicy,
      retryInterval: config.retryInterval,
      manualAck: config.manualAck,
      connackTimeout: config.connackTimeout,
    };
    if (config.pingTimeout !== null) options.pingTimeout = config.pingTimeout;
    if (config.maxInflight !== null) options.maxInflight = config.maxInflight;
    this.session = new Session(options);
    this.model = new Model(config);
  }

  /** Runs one input on the session and checks what came out against the model and the observer. */
  step(label: string, input: () => void, predict: (out: Out) => void, connack?: { sessionPresent: boolean }): void {
    const name = `step ${++this.steps} ${label}`;
    input();
    const actions = this.session.takeActions();
    this.observer.observe(actions, name, connack);
    const out = new Out(actions, name);
    predict(out);
    out.end();
    this.checkState(name);
  }

  private checkState(name: string): void {
    const m = this.model;
    const s = this.session;
    expect(s.state, name).toBe(m.conn);
    expect(s.inflightCount, name).toBe(m.flows.length);
    expect(s.queuedCount, name).toBe(m.queue.length);
    const next = s.nextTimeout();
    if (m.conn === 'disconnected') {
      expect(next, name).toBeUndefined();
    } else if (m.conn === 'connecting') {
      // The CONNACK deadline is the only thing tick() acts on while connecting.
      expect(next, name).toBe(m.connackDeadline);
    } else {
      const { timers, retry } = m.expectedTimeout();
      if (m.config.retryInterval === 0) expect(next ?? INFINITY, name).toBe(timers);
      else expect((next ?? INFINITY) <= Math.min(timers, retry), `${name}: nextTimeout ${next} > ${Math.min(timers, retry)}`).toBe(true);
    }
  }

  receive(p: Packet, label = `receive ${p.type}${'packetId' in p && p.packetId !== undefined ? `#${p.packetId}` : ''}`): void {
    const connack = p.type === 'connack' && p.returnCode === 0 && this.model.conn === 'connecting' ? { sessionPresent: p.sessionPresent } : undefined;
    if (this.model.conn === 'connected') this.observer.brokerSends(p);
    this.step(
      label,
      () => this.session.packetReceived(p, this.model.now),
      (out) => this.model.received(out, p),
      connack,
    );
  }

  publish(qos: QoS, retain: boolean): void {
    const topic = this.model.name('m');
    const r: PublishRequest = { topic, payload: new TextEncoder().encode(topic), qos, retain };
    this.model.requests.push(r);
    this.observer.register(r);
    this.step(`publish q${qos} ${topic}`, () => this.session.publish(r, this.model.now), (out) => this.model.publish(out, r));
  }

  control(kind: 'subscribe' | 'unsubscribe'): void {
    const name = this.model.name(kind === 'subscribe' ? 'sub' : 'uns');
    const r: SubscribeRequest | UnsubscribeRequest = kind === 'subscribe' ? { subscriptions: [{ topic: name, qos: 1 }] } : { topics: [name] };
    this.model.requests.push(r);
    this.observer.register(r);
    this.step(
      `${kind} ${name}`,
      () => (kind === 'subscribe' ? this.session.subscribe(r as SubscribeRequest, this.model.now) : this.session.unsubscribe(r as UnsubscribeRequest, this.model.now)),
      (out) => this.model.control(out, r),
    );
  }

  connect(cleanSession: boolean, keepalive: number): void {
    this.observer.connectCalled();
    this.step(`connect clean=${cleanSession} ka=${keepalive}`, () => this.session.connect({ keepalive, cleanSession }, this.model.now), (out) => this.model.connect(out, cleanSession, keepalive));
  }

  acknowledge(m: InboundMessage): void {
    let got = false;
    let want = false;
    this.step(
      `acknowledge ${m.packetId}`,
      () => (got = this.session.acknowledge(m, this.model.now)),
      (out) => (want = this.model.acknowledge(out, m)),
    );
    expect(got, `acknowledge ${m.packetId}`).toBe(want);
  }

  tickTo(t: number): void {
    this.model.now = t;
    this.step(`tick @${t}`, () => this.session.tick(t), (out) => this.model.tick(out));
  }

  lose(): void {
    this.step('connection lost', () => this.session.connectionLost('transport', this.model.now), (out) => this.model.lost(out));
  }

  disconnect(): void {
    this.step('disconnect', () => this.session.disconnect(this.model.now), (out) => this.model.disconnect(out));
  }

  abandon(): void {
    this.observer.abandoning();
    this.step('abandon', () => this.session.abandon(), (out) => this.model.abandon(out));
  }

  /** Reconnect with the session, ack everything until nothing is open or waiting; then every request must have completed exactly once. */
  settle(): void {
    const m = this.model;
    if (m.conn !== 'disconnected') this.lose();
    this.connect(false, 0);
    this.receive({ type: 'connack', returnCode: 0, sessionPresent: true });
    for (let guard = 0; m.flows.length + m.controls.length + m.queue.length > 0; guard++) {
      expect(guard, 'settle does not converge').toBeLessThan(10_000);
      const f = m.flows[0];
      const c = m.controls[0];
      if (f !== undefined) {
        if (f.request.qos === 1) this.receive({ type: 'puback', packetId: f.id });
        else this.receive(f.stage === 'publish' ? { type: 'pubrec', packetId: f.id } : { type: 'pubcomp', packetId: f.id });
      } else if (c !== undefined) {
        this.receive(isSubscribe(c.request) ? { type: 'suback', packetId: c.id, granted: [1] } : { type: 'unsuback', packetId: c.id });
      } else {
        throw new Error(`requests wait with nothing in flight: ${m.queue.map(nameOf).join(', ')}`);
      }
    }
    for (const r of m.requests) expect(this.observer.completions.get(r) ?? 0, `${nameOf(r)} completions`).toBe(1);
  }
}

export type Cmd = fc.Command<Model, World>;

export const cmd = (name: string, check: (m: Readonly<Model>) => boolean, run: (w: World) => void): Cmd => ({
  check,
  run: (_m, w) => run(w),
  toString: () => name,
});

export const connected = (m: Readonly<Model>): boolean => m.conn === 'connected';

/** In manual mode, a broker must not reuse an id whose ack is still owed (except the genuine QoS 2 re-send). */
export function legalInbound(m: Readonly<Model>, qos: QoS, id: number): boolean {
  if (!m.config.manualAck || qos === 0 || !m.pendingById.has(id)) return true;
  // Re-sends of a message whose ack is owed; a different QoS on that id is a broker error (unit-tested).
  const owed = m.pendingById.get(id)!.qos;
  return (qos === 1 && owed === 1) || (qos === 2 && m.incoming.has(id) && owed === 2);
}

/** Each command with its weight: broker traffic and publishes dominate; lifecycle events are rarer. */
export const commands: [number, fc.Arbitrary<Cmd>][] = [
  [8, fc.tuple(fc.constantFrom<QoS>(0, 1, 2, 1, 2), fc.boolean()).map(([qos, retain]) => cmd(`publish(q${qos})`, () => true, (w) => w.publish(qos, retain)))],
  [2, fc.constantFrom('subscribe' as const, 'unsubscribe' as const).map((kind) => cmd(kind, () => true, (w) => w.control(kind)))],
  [1, fc.tuple(fc.boolean(), fc.constantFrom(0, 1, 5)).map(([clean, ka]) => cmd(`connect(clean=${clean}, ka=${ka})`, (m) => m.conn === 'disconnected', (w) => w.connect(clean, ka)))],
  [
    2,
    fc
      .tuple(fc.boolean(), fc.constantFrom(0, 0, 0, 0, 1, 3, 5))
      .map(([sp, rc]) => cmd(`connack(sp=${sp}, rc=${rc})`, (m) => m.conn === 'connecting', (w) => w.receive({ type: 'connack', returnCode: rc, sessionPresent: rc === 0 && sp }))),
  ],
  [
    3,
    fc.tuple(fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, 5)).map(([clean, sp, ka]) =>
      cmd(`reconnect(clean=${clean}, sp=${sp}, ka=${ka})`, (m) => m.conn === 'disconnected', (w) => {
        w.connect(clean, ka);
        w.receive({ type: 'connack', returnCode: 0, sessionPresent: sp });
      }),
    ),
  ],
  // Broker acks for open flows, in any order, repeated, or for ids that match nothing.
  [
    12,
    fc.tuple(fc.constantFrom('puback' as const, 'pubrec' as const, 'pubcomp' as const), fc.nat(), fc.constantFrom(false, false, false, true)).map(([type, pick, stray]) =>
      cmd(`${type}(${stray ? 'stray ' : ''}${pick})`, connected, (w) => {
        const flows = w.model.flows;
        const id = stray || flows.length === 0 ? (pick % 40) + 1 : flows[pick % flows.length]!.id;
        w.receive({ type, packetId: id });
      }),
    ),
  ],
  [
    2,
    fc.tuple(fc.constantFrom('suback' as const, 'unsuback' as const), fc.nat(), fc.constantFrom(1, 1, 1, 1, 1, 2)).map(([type, pick, codes]) =>
      cmd(`${type}(${pick}, ${codes})`, connected, (w) => {
        const controls = w.model.controls;
        const id = controls.length === 0 ? (pick % 40) + 1 : controls[pick % controls.length]!.id;
        w.receive(type === 'suback' ? { type, packetId: id, granted: codes === 1 ? [1] : [1, 0] } : { type, packetId: id });
      }),
    ),
  ],
  // Inbound PUBLISH on a small id range, so re-sends and id reuse happen often.
  [
    6,
    fc.tuple(fc.constantFrom<QoS>(0, 1, 2, 2), fc.integer({ min: 1, max: 5 }), fc.boolean()).map(([qos, id, dup]) =>
      cmd(
        `inbound(q${qos}, #${id}${dup ? ', dup' : ''})`,
        (m) => connected(m) && legalInbound(m, qos, id),
        (w) => {
          const p: PublishPacket = { type: 'publish', topic: 'in/t', payload: Uint8Array.of(id), qos, dup: qos > 0 && dup, retain: false };
          if (qos > 0) p.packetId = id;
          w.receive(p);
        },
      ),
    ),
  ],
  [
    3,
    fc.integer({ min: 1, max: 5 }).map((id) =>
      cmd(`pubrel(#${id})`, (m) => connected(m) && !(m.config.manualAck && m.pendingById.has(id)), (w) => w.receive({ type: 'pubrel', packetId: id })),
    ),
  ],
  [3, fc.nat().map((pick) => cmd(`acknowledge(${pick})`, (m) => m.config.manualAck && m.messages.length > 0, (w) => w.acknowledge(w.model.messages[pick % w.model.messages.length]!)))],
  [1, fc.constant(cmd('pingresp', connected, (w) => w.receive({ type: 'pingresp' })))],
  [1, fc.constant(cmd('unexpected pingreq from broker', connected, (w) => w.receive({ type: 'pingreq' })))],
  [2, fc.constant(cmd('connection lost', (m) => m.conn !== 'disconnected', (w) => w.lose()))],
  [1, fc.constant(cmd('disconnect', (m) => m.conn !== 'disconnected', (w) => w.disconnect()))],
  [1, fc.constant(cmd('abandon', (m) => m.conn === 'disconnected', (w) => w.abandon()))],
  [3, fc.constantFrom(0, 1, 100, 499, 1000, 2500, 5000, 30_000).map((dt) => cmd(`tick(+${dt})`, () => true, (w) => w.tickTo(w.model.now + dt)))],
  [
    2,
    fc.constant(
      cmd('tick(nextTimeout)', () => true, (w) => {
        const next = w.session.nextTimeout();
        w.tickTo(next === undefined ? w.model.now : Math.max(w.model.now, next));
      }),
    ),
  ],
];

export const weighted: fc.Arbitrary<Cmd>[] = commands.flatMap(([weight, arb]) => Array<fc.Arbitrary<Cmd>>(weight).fill(arb));
