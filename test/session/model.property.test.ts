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
import { describe, expect, it } from 'vitest';
import { ResultCode, Session } from '../../src/session/index.js';
import type {
  InboundMessage,
  OutboundRequest,
  PublishRequest,
  SessionAction,
  SessionOptions,
  SubscribeRequest,
  UnsubscribeRequest,
} from '../../src/session/index.js';
import { encode } from '../../src/packet/index.js';
import type { Packet, PublishPacket, QoS, SubackCode } from '../../src/packet/index.js';
import { dupBit, trace } from './harness.js';

const CLIENT_ID = 'model-client';
const INFINITY = Number.POSITIVE_INFINITY;

interface Config {
  /** null: the default (no limit but the ids). */
  maxInflight: number | null;
  maxBuffered: number;
  dropPolicy: 'reject-new' | 'drop-oldest';
  retryInterval: number;
  manualAck: boolean;
  pingTimeout: number | null;
  connackTimeout: number;
  /** Connect (and get CONNACK 0) before the commands start, with this keepalive; null: start offline. */
  startConnected: { cleanSession: boolean; keepalive: number } | null;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  maxInflight: fc.constantFrom(1, 2, 3, 65_535, null),
  maxBuffered: fc.constantFrom(0, 1, 3, 10_000),
  dropPolicy: fc.constantFrom('reject-new' as const, 'drop-oldest' as const),
  retryInterval: fc.constantFrom(0, 0, 1000, 3000),
  manualAck: fc.boolean(),
  pingTimeout: fc.constantFrom(null, 500),
  connackTimeout: fc.constantFrom(2000, 30_000),
  startConnected: fc.option(fc.record({ cleanSession: fc.boolean(), keepalive: fc.constantFrom(0, 1, 5) }), { freq: 5, nil: null }),
});

const isPublish = (r: OutboundRequest): r is PublishRequest => 'topic' in r;
const isSubscribe = (r: OutboundRequest): r is SubscribeRequest => 'subscriptions' in r;
const nameOf = (r: OutboundRequest): string => (isPublish(r) ? r.topic : isSubscribe(r) ? r.subscriptions[0]!.topic : r.topics[0]!);

// ---------------------------------------------------------------------------------------------
// Matching the Session's actions, one at a time, against what the model expects
// ---------------------------------------------------------------------------------------------

class Out {
  private i = 0;
  constructor(
    private readonly actions: readonly SessionAction[],
    private readonly step: string,
  ) {}

  private where(): string {
    return `${this.step}: actions ${JSON.stringify(trace(this.actions))}, at #${this.i}`;
  }

  private next(what: string): SessionAction {
    const a = this.actions[this.i++];
    if (a === undefined) throw new Error(`${this.where()}: expected ${what}, got nothing more`);
    return a;
  }

  send(expected: Packet): void {
    const a = this.next(`send ${expected.type}`);
    expect(a, this.where()).toEqual({ type: 'send', packet: expected });
  }

  /** A packet starting a new flow: its id comes from the Session, and must be free. */
  sendNew(type: 'publish' | 'subscribe' | 'unsubscribe', held: ReadonlySet<number>, make: (id: number) => Packet): number {
    const a = this.next(`send new ${type}`);
    expect(a.type === 'send' && a.packet.type, this.where()).toBe(type);
    const packet = (a as { packet: { packetId?: number } }).packet;
    const id = packet.packetId ?? 0;
    expect(id >= 1 && id <= 65_535, `${this.where()}: id ${id} out of range [MQTT-2.3.1-1]`).toBe(true);
    expect(held.has(id), `${this.where()}: id ${id} is held by an open flow [MQTT-2.3.1-2]`).toBe(false);
    expect(packet, this.where()).toEqual(make(id));
    return id;
  }

  completion(request: OutboundRequest, result: number, granted: SubackCode[] = []): void {
    const a = this.next(`completion of ${nameOf(request)} with ${result}`);
    const expected: SessionAction = isPublish(request)
      ? { type: 'published', request, result: result as ResultCode }
      : isSubscribe(request)
        ? { type: 'subscribed', request, result: result as ResultCode, granted }
        : { type: 'unsubscribed', request: request as UnsubscribeRequest, result: result as ResultCode };
    expect(a, this.where()).toEqual(expected);
    expect((a as { request: unknown }).request, this.where()).toBe(request);
  }

  deliver(expected: InboundMessage): InboundMessage {
    const a = this.next('deliver');
    expect(a, this.where()).toEqual({ type: 'deliver', message: expected });
    return (a as { message: InboundMessage }).message;
  }

  connack(returnCode: number, sessionPresent: boolean): void {
    expect(this.next('connack'), this.where()).toEqual({ type: 'connack', returnCode, sessionPresent });
  }

  close(reason: string): void {
    const a = this.next(`close ${reason}`);
    expect(a.type === 'close' && a.reason, this.where()).toBe(reason);
  }

  end(): void {
    expect(this.i, `${this.where()}: unexpected extra actions`).toBe(this.actions.length);
  }
}

// ---------------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------------

type Conn = 'disconnected' | 'connecting' | 'connected';
interface Flow {
  id: number;
  request: PublishRequest;
  stage: 'publish' | 'pubrel';
  sentAt: number;
  /** Its request already completed (-11, abandoned on a kept session); the flow ends telling no one. */
  told?: boolean;
}
interface Control {
  id: number;
  request: SubscribeRequest | UnsubscribeRequest;
}
interface Pending {
  id: number;
  qos: 1 | 2;
  /** The object delivered: only it acknowledges this entry. */
  message: InboundMessage;
  acked: boolean;
}

class Model {
  conn: Conn = 'disconnected';
  clean = true;
  /** Open publish flows in store (re-send) order. */
  flows: Flow[] = [];
  /** SUBSCRIBE/UNSUBSCRIBE sent and not yet acked, in send order. */
  controls: Control[] = [];
  queue: OutboundRequest[] = [];
  /** Inbound QoS 2 ids delivered and not yet released. */
  incoming = new Set<number>();
  /** Manual mode: acks owed, arrival order; by id (last wins). */
  pending: Pending[] = [];
  pendingById = new Map<number, Pending>();
  /** Every message delivered, for acknowledge() picks. */
  messages: InboundMessage[] = [];
  /** Every request made, for the exactly-once check. */
  requests: OutboundRequest[] = [];

  now = 1_000_000;
  lastSent = 0;
  lastReceived = 0;
  keepaliveMs = 0;
  pingTimeoutMs = 0;
  connackDeadline = INFINITY;
  pingDeadline = INFINITY;
  private counter = 0;

  constructor(readonly config: Config) {}

  name(prefix: string): string {
    return `${prefix}/${++this.counter}`;
  }

  held(): Set<number> {
    return new Set([...this.flows.map((f) => f.id), ...this.controls.map((c) => c.id)]);
  }

  private send(out: Out, p: Packet): void {
    out.send(p);
    this.lastSent = this.now;
  }

  // ---- application requests ----

  publish(out: Out, r: PublishRequest): void {
    if (this.conn === 'connected') {
      if (r.qos === 0) return this.sendQoS0(out, r);
      if (this.queue.length === 0 && this.flows.length < (this.config.maxInflight ?? INFINITY)) return this.startPublish(out, r);
    }
    this.enqueue(out, r);
  }

  control(out: Out, r: SubscribeRequest | UnsubscribeRequest): void {
    if (this.conn === 'connected' && this.queue.length === 0) return this.sendControl(out, r);
    this.enqueue(out, r);
  }

  private enqueue(out: Out, r: OutboundRequest): void {
    if (this.queue.length >= this.config.maxBuffered) {
      if (this.config.dropPolicy === 'reject-new' || this.config.maxBuffered === 0) return out.completion(r, ResultCode.MAX_BUFFERED);
      out.completion(this.queue.shift()!, ResultCode.MAX_BUFFERED);
    }
    this.queue.push(r);
  }

  private sendQoS0(out: Out, r: PublishRequest): void {
    this.send(out, { type: 'publish', topic: r.topic, payload: r.payload, qos: 0, dup: false, retain: r.retain });
    out.completion(r, ResultCode.SUCCESS);
  }

  private startPublish(out: Out, r: PublishRequest): void {
    const id = out.sendNew('publish', this.held(), (packetId) => ({ type: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, dup: false, retain: r.retain, packetId }));
    this.lastSent = this.now;
    this.flows.push({ id, request: r, stage: 'publish', sentAt: this.now });
  }

  private sendControl(out: Out, r: SubscribeRequest | UnsubscribeRequest): void {
    const id = isSubscribe(r)
      ? out.sendNew('subscribe', this.held(), (packetId) => ({ type: 'subscribe', packetId, subscriptions: r.subscriptions }))
      : out.sendNew('unsubscribe', this.held(), (packetId) => ({ type: 'unsubscribe', packetId, topics: (r as UnsubscribeRequest).topics }));
    this.lastSent = this.now;
    this.controls.push({ id, request: r });
  }

  private resendPublish(out: Out, f: Flow): void {
    const r = f.request;
    this.send(out, { type: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, dup: true, retain: r.retain, packetId: f.id });
    f.sentAt = this.now;
  }

  private sendPubrel(out: Out, f: Flow): void {
    this.send(out, { type: 'pubrel', packetId: f.id });
    f.sentAt = this.now;
  }

  private drain(out: Out): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!isPublish(head)) {
        this.queue.shift();
        this.sendControl(out, head);
      } else if (head.qos === 0) {
        this.queue.shift();
        this.sendQoS0(out, head);
      } else if (this.flows.length < (this.config.maxInflight ?? INFINITY)) {
        this.queue.shift();
        this.startPublish(out, head);
      } else break;
    }
  }

  private finish(out: Out, f: Flow, result: number): void {
    this.flows.splice(this.flows.indexOf(f), 1);
    if (f.told !== true) out.completion(f.request, result);
  }

  abandon(out: Out): void {
    for (const f of [...this.flows]) {
      // On a kept session the broker holds a QoS 2 flow's id until PUBREL: the flow stays.
      if (this.clean || f.request.qos !== 2) this.finish(out, f, ResultCode.INCOMPLETE);
      else if (f.told !== true) {
        f.told = true;
        out.completion(f.request, ResultCode.INCOMPLETE);
      }
    }
    for (const r of this.queue.splice(0)) out.completion(r, ResultCode.DISCONNECTED);
  }

  acknowledge(out: Out, m: InboundMessage): boolean {
    if (m.qos === 0 || m.packetId === undefined) return false;
    const p = this.pendingById.get(m.packetId);
    if (p === undefined || p.message !== m || p.acked) return false;
    p.acked = true;
    if (this.conn === 'connected') this.flush(out);
    return true;
  }

  private flush(out: Out): void {
    while (this.pending[0]?.acked === true) {
      const p = this.pending.shift()!;
      this.pendingById.delete(p.id);
      this.send(out, p.qos === 1 ? { type: 'puback', packetId: p.id } : { type: 'pubrec', packetId: p.id });
    }
  }

  // ---- connection ----

  connect(out: Out, cleanSession: boolean, keepalive: number): void {
    this.conn = 'connecting';
    this.clean = cleanSession;
    this.keepaliveMs = keepalive * 1000;
    this.pingTimeoutMs = this.config.pingTimeout ?? Math.max(1000, this.keepaliveMs / 2);
    this.connackDeadline = this.now + this.config.connackTimeout;
    this.pingDeadline = INFINITY;
    this.send(out, { type: 'connect', clientId: CLIENT_ID, keepalive, cleanSession });
  }

  disconnect(out: Out): void {
    if (this.conn === 'disconnected') return;
    this.send(out, { type: 'disconnect' }); // also while the CONNACK is awaited
    this.close(out, 'normal');
  }

  lost(out: Out): void {
    if (this.conn === 'disconnected') return;
    this.close(out, 'transport');
  }

  private close(out: Out, reason: string): void {
    this.conn = 'disconnected';
    this.connackDeadline = INFINITY;
    this.pingDeadline = INFINITY;
    this.keepaliveMs = 0;
    for (const c of this.controls) out.completion(c.request, ResultCode.INCOMPLETE);
    this.controls = [];
    // QoS 1 acks owed die with the connection; QoS 2 ones stay with their ids.
    this.pending = this.pending.filter((p) => p.qos === 2);
    this.pendingById = new Map(this.pending.map((p) => [p.id, p]));
    out.close(reason);
  }

  tick(out: Out): void {
    if (this.conn === 'connecting') {
      if (this.now >= this.connackDeadline) this.close(out, 'connack-timeout');
      return;
    }
    if (this.conn !== 'connected') return;
    if (this.now >= this.pingDeadline) return this.close(out, 'keepalive-timeout');
    const interval = this.config.retryInterval;
    if (interval > 0) {
      for (const f of this.flows) {
        if (f.sentAt + interval > this.now) continue;
        if (f.stage === 'publish') this.resendPublish(out, f);
        else this.sendPubrel(out, f);
      }
    }
    // Silence either way makes a PINGREQ due: a client that only sends must still detect a dead link.
    if (this.keepaliveMs > 0 && this.now - this.pingFrom() >= this.keepaliveMs) {
      this.send(out, { type: 'pingreq' });
      if (this.pingDeadline === INFINITY) this.pingDeadline = this.now + this.pingTimeoutMs;
    }
  }

  /** While a PINGREQ is unanswered, only our own sending counts toward the next [MQTT-3.1.2-23]. */
  pingFrom(): number {
    return this.pingDeadline === INFINITY ? Math.min(this.lastSent, this.lastReceived) : this.lastSent;
  }

  /** What nextTimeout() must be (retry deadlines apart, which may be reported early). */
  expectedTimeout(): { timers: number; retry: number } {
    const ping = this.keepaliveMs > 0 ? this.pingFrom() + this.keepaliveMs : INFINITY;
    const timers = Math.min(this.connackDeadline, this.pingDeadline, ping);
    const interval = this.config.retryInterval;
    const retry = interval > 0 && this.conn === 'connected' ? Math.min(...this.flows.map((f) => f.sentAt + interval)) : INFINITY;
    return { timers, retry };
  }

  // ---- packets from the broker ----

  received(out: Out, p: Packet): void {
    if (this.conn === 'disconnected') return;
    this.lastReceived = this.now;
    if (this.pingDeadline !== INFINITY) this.pingDeadline = p.type === 'pingresp' ? INFINITY : this.now + this.pingTimeoutMs;
    if (this.conn === 'connecting') {
      if (p.type === 'connack') return this.connack(out, p.returnCode, p.sessionPresent);
      return this.close(out, 'protocol-error');
    }
    switch (p.type) {
      case 'publish':
        return this.inboundPublish(out, p);
      case 'pubrel':
        this.incoming.delete(p.packetId);
        return this.send(out, { type: 'pubcomp', packetId: p.packetId });
      case 'puback': {
        const f = this.flows.find((x) => x.id === p.packetId);
        // QoS 1, or QoS 2 before PUBREC: a broker without QoS 2 (RabbitMQ) acks it so.
        if (f === undefined || f.stage !== 'publish') return;
        this.finish(out, f, ResultCode.SUCCESS);
        return this.drain(out);
      }
      case 'pubrec': {
        const f = this.flows.find((x) => x.id === p.packetId);
        if (f === undefined || f.request.qos !== 2) return;
        if (f.stage === 'publish') {
          f.stage = 'pubrel';
          this.flows.splice(this.flows.indexOf(f), 1);
          this.flows.push(f);
        }
        return this.sendPubrel(out, f);
      }
      case 'pubcomp': {
        const f = this.flows.find((x) => x.id === p.packetId);
        if (f === undefined || f.stage !== 'pubrel') return;
        this.finish(out, f, ResultCode.SUCCESS);
        return this.drain(out);
      }
      case 'suback': {
        const c = this.controls.find((x) => x.id === p.packetId);
        if (c === undefined || !isSubscribe(c.request)) return;
        this.controls.splice(this.controls.indexOf(c), 1);
        if (p.granted.length !== c.request.subscriptions.length) {
          out.completion(c.request, ResultCode.FAILURE, p.granted);
          return this.close(out, 'protocol-error');
        }
        return out.completion(c.request, ResultCode.SUCCESS, p.granted);
      }
      case 'unsuback': {
        const c = this.controls.find((x) => x.id === p.packetId);
        if (c === undefined || isSubscribe(c.request)) return;
        this.controls.splice(this.controls.indexOf(c), 1);
        return out.completion(c.request, ResultCode.SUCCESS);
      }
      case 'pingresp':
        return;
      default:
        return this.close(out, 'protocol-error');
    }
  }

  private connack(out: Out, returnCode: number, sessionPresent: boolean): void {
    if (returnCode !== 0) {
      out.connack(returnCode, sessionPresent);
      return this.close(out, 'refused');
    }
    this.conn = 'connected';
    this.connackDeadline = INFINITY;
    const resumed = sessionPresent && !this.clean;
    if (!resumed) {
      this.incoming.clear();
      this.pending = [];
      this.pendingById.clear();
    }
    for (const f of [...this.flows]) {
      // PUBREC made the broker the owner: its PUBREL is re-sent whether or not the session resumed.
      if (f.stage === 'publish') this.resendPublish(out, f);
      else this.sendPubrel(out, f);
    }
    this.drain(out);
    this.flush(out);
    out.connack(0, sessionPresent);
  }

  private inboundPublish(out: Out, p: PublishPacket): void {
    const message: InboundMessage =
      p.qos === 0
        ? { topic: p.topic, payload: p.payload, qos: 0, retain: p.retain, dup: p.dup }
        : { topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, packetId: p.packetId! };
    if (p.qos === 0) {
      this.messages.push(out.deliver(message));
      return;
    }
    const id = p.packetId!;
    // Manual mode: a QoS 1 re-send while its ack is still owed is covered by that ack.
    if (p.qos === 1 && this.pendingById.get(id)?.qos === 1) return;
    if (p.qos === 2 && this.incoming.has(id)) {
      const pending = this.pendingById.get(id);
      if (pending === undefined) this.send(out, { type: 'pubrec', packetId: id });
      else if (pending.acked) this.flush(out);
      return;
    }
    if (p.qos === 2) this.incoming.add(id);
    const delivered = out.deliver(message);
    this.messages.push(delivered);
    if (!this.config.manualAck) return this.send(out, p.qos === 1 ? { type: 'puback', packetId: id } : { type: 'pubrec', packetId: id });
    const pending: Pending = { id, qos: p.qos, message: delivered, acked: false };
    this.pending.push(pending);
    this.pendingById.set(id, pending);
  }
}

// ---------------------------------------------------------------------------------------------
// The observer: invariants from the action trace alone
// ---------------------------------------------------------------------------------------------

interface SeenFlow {
  request: PublishRequest;
  id: number;
  stage: 'publish' | 'pubrel';
}

class Observer {
  private readonly byName = new Map<string, OutboundRequest>();
  readonly completions = new Map<OutboundRequest, number>();
  private readonly idOf = new Map<OutboundRequest, number>();
  /** Open publish flows in the order they must be re-sent. */
  private flows: SeenFlow[] = [];
  /** Flows whose request completed -11 on a kept session, open until the broker ends them. */
  private readonly told = new Set<SeenFlow>();
  private readonly controls = new Map<number, OutboundRequest>();
  /** Inbound QoS 2 ids delivered in their current lifetime. */
  private readonly deliveredQoS2 = new Set<number>();
  private phase: 'closed' | 'connect-called' | 'open' = 'closed';
  private clean = true;

  register(r: OutboundRequest): void {
    this.byName.set(nameOf(r), r);
  }

  connectCalled(): void {
    this.phase = 'connect-called';
  }

  private openIds(): Set<number> {
    return new Set([...this.flows.map((f) => f.id), ...this.controls.keys()]);
  }

  /** abandon() is called: with CleanSession 1 it ends the told flows too, which says so by no action. */
  abandoning(): void {
    if (!this.clean) return;
    this.flows = this.flows.filter((f) => !this.told.has(f));
    this.told.clear();
  }

  /** A broker packet about to be given to the session: it ends a told flow, which says so by no action. */
  brokerSends(p: Packet): void {
    const flow = [...this.told].find((f) => 'packetId' in p && f.id === p.packetId);
    if (flow === undefined) return;
    if ((p.type === 'pubcomp' && flow.stage === 'pubrel') || (p.type === 'puback' && flow.stage === 'publish')) {
      this.told.delete(flow);
      this.flows = this.flows.filter((f) => f !== flow);
    }
  }

  /** `connack` is set when the actions answer a CONNACK with return code 0. */
  observe(actions: readonly SessionAction[], step: string, connack?: { sessionPresent: boolean }): void {
    const where = `${step}: ${JSON.stringify(trace(actions))}`;
    if (connack !== undefined) this.checkResend(actions, where);
    for (const a of actions) this.one(a, where);
  }

  /** [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-4.6.0-4]: open flows first, in order, before anything new. */
  private checkResend(actions: readonly SessionAction[], where: string): void {
    const expected = this.flows.map((f) => (f.stage === 'publish' ? `send publish#${f.id} dup` : `send pubrel#${f.id}`));
    expect(trace(actions).slice(0, expected.length), `${where}: re-sends first, in order`).toEqual(expected);
  }

  private one(a: SessionAction, where: string): void {
    switch (a.type) {
      case 'send':
        return this.sent(a.packet, where);
      case 'deliver': {
        const m = a.message;
        if (m.qos === 2) {
          expect(this.deliveredQoS2.has(m.packetId!), `${where}: QoS 2 message ${m.packetId} delivered twice [MQTT-4.3.3-2]`).toBe(false);
          this.deliveredQoS2.add(m.packetId!);
        }
        return;
      }
      case 'published':
      case 'subscribed':
      case 'unsubscribed': {
        const n = (this.completions.get(a.request) ?? 0) + 1;
        expect(n, `${where}: ${nameOf(a.request)} completed twice`).toBe(1);
        this.completions.set(a.request, n);
        const id = this.idOf.get(a.request);
        const kept = this.flows.find((f) => f.request === a.request);
        if (a.type === 'published' && a.result === ResultCode.INCOMPLETE && !this.clean && kept?.request.qos === 2) {
          this.told.add(kept); // [MQTT-4.3.3-2]: its id stays open until the broker ends the flow
          return;
        }
        if (id !== undefined) {
          this.flows = this.flows.filter((f) => f.request !== a.request);
          if (this.controls.get(id) === a.request) this.controls.delete(id);
        }
        return;
      }
      case 'connack':
        if (a.returnCode === 0 && !(a.sessionPresent && !this.clean)) this.deliveredQoS2.clear();
        return;
      case 'close':
        this.phase = 'closed';
        return;
    }
  }

  private sent(p: Packet, where: string): void {
    expect(this.phase, `${where}: ${p.type} sent while disconnected [MQTT-3.1.0-1]`).not.toBe('closed');
    if (this.phase === 'connect-called') {
      expect(p.type, `${where}: first packet must be CONNECT [MQTT-3.1.0-1]`).toBe('connect');
      this.phase = 'open';
      this.clean = (p as { cleanSession: boolean }).cleanSession;
      encode(p);
      return;
    }
    expect(p.type, `${where}: a second CONNECT`).not.toBe('connect');
    encode(p); // everything sent must be encodable
    switch (p.type) {
      case 'publish': {
        expect(dupBit(p), `${where}: DUP bit on the wire`).toBe(p.dup);
        if (p.qos === 0) {
          expect(p.dup).toBe(false);
          return;
        }
        const request = this.byName.get(p.topic) as PublishRequest;
        const known = this.idOf.get(request);
        const flow = this.flows.find((f) => f.request === request);
        if (known === undefined || flow === undefined) {
          expect(known, `${where}: ${p.topic} sent again after it completed`).toBeUndefined();
          expect(p.dup, `${where}: first send with DUP=0 [MQTT-4.3.2-1]`).toBe(false);
          expect(this.openIds().has(p.packetId!), `${where}: id ${p.packetId} already open [MQTT-2.3.1-2]`).toBe(false);
          this.idOf.set(request, p.packetId!);
          this.flows.push({ request, id: p.packetId!, stage: 'publish' });
        } else {
          expect(p.packetId, `${where}: re-send keeps the id [MQTT-2.3.1-3]`).toBe(known);
          expect(p.dup, `${where}: re-send sets DUP [MQTT-3.3.1-1]`).toBe(true);
          expect(flow.stage, `${where}: PUBLISH re-sent after PUBREL [MQTT-4.3.3-1]`).toBe('publish');
        }
        return;
      }
      case 'pubrel': {
        const flow = this.flows.find((f) => f.id === p.packetId);
        expect(flow?.request.qos, `${where}: PUBREL for no open QoS 2 flow`).toBe(2);
        if (flow!.stage === 'publish') {
          flow!.stage = 'pubrel';
          this.flows = [...this.flows.filter((f) => f !== flow), flow!];
        }
        return;
      }
      case 'subscribe':
      case 'unsubscribe': {
        const request = this.byName.get(p.type === 'subscribe' ? p.subscriptions[0]!.topic : p.topics[0]!)!;
        expect(this.openIds().has(p.packetId), `${where}: id ${p.packetId} already open [MQTT-2.3.1-2]`).toBe(false);
        this.idOf.set(request, p.packetId);
        this.controls.set(p.packetId, request);
        return;
      }
      case 'pubcomp':
        this.deliveredQoS2.delete(p.packetId);
        return;
      default:
        return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The world: session + model + observer, and the commands that drive them
// ---------------------------------------------------------------------------------------------

class World {
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

type Cmd = fc.Command<Model, World>;

const cmd = (name: string, check: (m: Readonly<Model>) => boolean, run: (w: World) => void): Cmd => ({
  check,
  run: (_m, w) => run(w),
  toString: () => name,
});

const connected = (m: Readonly<Model>): boolean => m.conn === 'connected';

/** In manual mode, a broker must not reuse an id whose ack is still owed (except the genuine QoS 2 re-send). */
function legalInbound(m: Readonly<Model>, qos: QoS, id: number): boolean {
  if (!m.config.manualAck || qos === 0 || !m.pendingById.has(id)) return true;
  // Re-sends of a message whose ack is owed; a different QoS on that id is a broker error (unit-tested).
  const owed = m.pendingById.get(id)!.qos;
  return (qos === 1 && owed === 1) || (qos === 2 && m.incoming.has(id) && owed === 2);
}

/** Each command with its weight: broker traffic and publishes dominate; lifecycle events are rarer. */
const commands: [number, fc.Arbitrary<Cmd>][] = [
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

const weighted: fc.Arbitrary<Cmd>[] = commands.flatMap(([weight, arb]) => Array<fc.Arbitrary<Cmd>>(weight).fill(arb));

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
