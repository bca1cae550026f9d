/**
 * Model-based test of the Session (../model.property.test.ts): the reference model: what the Session must do, action by action.
 */
import { ResultCode } from '../../../src/session/index.js';
import type { InboundMessage, OutboundRequest, PublishRequest, SubscribeRequest, UnsubscribeRequest } from '../../../src/session/index.js';
import type { Packet, PublishPacket } from '../../../src/packet/index.js';
import { CLIENT_ID, INFINITY, isPublish, isSubscribe } from './config.js';
import type { Config } from './config.js';
import { Out } from './matcher.js';

export type Conn = 'disconnected' | 'connecting' | 'connected';
export interface Flow {
  id: number;
  request: PublishRequest;
  stage: 'publish' | 'pubrel';
  sentAt: number;
  /** Its request already completed (-11, abandoned on a kept session); the flow ends telling no one. */
  told?: boolean;
  /** Connections the broker closed with this the oldest unacknowledged PUBLISH. */
  closes?: number;
}

const UNDELIVERABLE_AFTER = 3;
export interface Control {
  id: number;
  request: SubscribeRequest | UnsubscribeRequest;
}
export interface Pending {
  id: number;
  qos: 1 | 2;
  /** The object delivered: only it acknowledges this entry. */
  message: InboundMessage;
  acked: boolean;
}

export class Model {
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
    const closedByBroker = reason === 'transport' && this.conn === 'connected';
    this.conn = 'disconnected';
    this.connackDeadline = INFINITY;
    this.pingDeadline = INFINITY;
    this.keepaliveMs = 0;
    for (const c of this.controls) out.completion(c.request, ResultCode.INCOMPLETE);
    this.controls = [];
    // The broker closing a connection that carried the flows: its oldest unacknowledged PUBLISH
    // counts one more close, and at the Session's default undeliverableAfter (3) completes -13.
    const oldest = closedByBroker ? this.flows.find((f) => f.stage === 'publish') : undefined;
    if (oldest !== undefined && (oldest.closes = (oldest.closes ?? 0) + 1) >= UNDELIVERABLE_AFTER) this.finish(out, oldest, ResultCode.UNDELIVERABLE);
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
        out.completion(c.request, ResultCode.SUCCESS, p.granted);
        // Its id came free: the queue goes on, as after a PUBACK (a request may wait for an id).
        return this.drain(out);
      }
      case 'unsuback': {
        const c = this.controls.find((x) => x.id === p.packetId);
        if (c === undefined || isSubscribe(c.request)) return;
        this.controls.splice(this.controls.indexOf(c), 1);
        out.completion(c.request, ResultCode.SUCCESS);
        return this.drain(out);
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
