/**
 * Inbound flows: QoS 0 delivered; QoS 1 delivered then PUBACK; QoS 2 delivered once, PUBREC,
 * and PUBCOMP on PUBREL [MQTT-3.3.4-1, MQTT-4.3.2-2, MQTT-4.3.3-2]. With manual acknowledgement
 * the PUBACK/PUBREC waits for the application, and acks still leave in arrival order
 * [MQTT-4.6.0-2, MQTT-4.6.0-3].
 */
import { MqttProtocolError } from '../errors.js';
import type { PublishPacket } from '../packet/index.js';
import type { SessionContext } from './context.js';
import { Fifo } from './queue.js';
import type { SessionStore } from './store.js';
import type { InboundMessage } from './types.js';

interface PendingAck {
  packetId: number;
  qos: 1 | 2;
  /** The object the application was handed: only it can acknowledge this entry. */
  message: InboundMessage;
  acknowledged_: boolean;
  /** Released by the broker itself (PUBREL overtook our PUBREC): leaves the line unsent. */
  cancelled_: boolean;
}

export class InboundFlows<T = unknown> {
  /** Manual mode: acks owed to the broker, in arrival order. */
  readonly #pendingAcks = new Fifo<PendingAck>();
  /** The same entries by packet id; made by the first (only manual acks add any). */
  #pendingById: Map<number, PendingAck> | null = null;
  readonly #ctx: SessionContext<T>;
  readonly #store: SessionStore<T>;
  readonly #manualAck: boolean;

  constructor(ctx: SessionContext<T>, store: SessionStore<T>, manualAck: boolean) {
    this.#ctx = ctx;
    this.#store = store;
    this.#manualAck = manualAck;
  }

  publish(packet: PublishPacket, now: number): void {
    const qos = packet.qos;
    if (qos === 0) {
      this.#deliver(packet);
      return;
    }
    const packetId = packet.packetId!;
    const owed = this.#pendingById?.get(packetId);
    if (owed !== undefined && owed.qos !== qos) {
      // The broker reused an id whose ack we still owe for a message of another QoS.
      this.#ctx.requestClose_('protocol-error', new MqttProtocolError('INVALID_PACKET_ID', `Packet id ${packetId} reused while its ack is owed`, 'MQTT-2.3.1-2', 'peer'));
      return;
    }
    if (owed !== undefined) {
      // A re-send of a message the application still holds: its ack covers both. One it has
      // acknowledged while offline gets that ack now.
      if (owed.acknowledged_) this.flush(now);
      return;
    }
    if (qos === 2 && this.#store.hasIncoming(packetId)) {
      // A re-sent QoS 2 PUBLISH before PUBREL: never deliver it twice; answer PUBREC again.
      this.#ctx.send({ type: 'pubrec', packetId }, now);
      return;
    }
    // With manual acks the id is stored when the application acknowledges (flush): a process
    // that dies holding an unacknowledged message gets it again from the broker.
    if (qos === 2 && !this.#manualAck) this.#store.addIncoming(packetId);
    // Delivery comes before the ack, so nothing is acknowledged that the application has not been handed.
    const message = this.#deliver(packet);
    if (!this.#manualAck) {
      this.#ctx.send({ type: qos === 1 ? 'puback' : 'pubrec', packetId }, now);
      return;
    }
    const pending: PendingAck = { packetId, qos, message, acknowledged_: false, cancelled_: false };
    this.#pendingAcks.push(pending);
    (this.#pendingById ??= new Map()).set(packetId, pending);
  }

  pubrel(packetId: number, now: number): void {
    // Known or not, a PUBREL is answered with PUBCOMP; the id's lifetime ends here.
    this.#store.deleteIncoming(packetId);
    const owed = this.#pendingById?.get(packetId);
    if (owed !== undefined && owed.qos === 2) {
      owed.cancelled_ = owed.acknowledged_ = true;
      this.#pendingById?.delete(packetId);
    }
    this.#ctx.send({ type: 'pubcomp', packetId }, now);
    this.flush(now);
  }

  /** Manual mode: the application is done with `message`. False if nothing was owed for it. */
  acknowledge(message: InboundMessage, connected: boolean, now: number): boolean {
    if (typeof message !== 'object' || message === null || message.qos === 0 || message.packetId === undefined) return false;
    const pending = this.#pendingById?.get(message.packetId);
    if (pending === undefined || pending.message !== message || pending.acknowledged_) return false;
    pending.acknowledged_ = true;
    if (connected) this.flush(now);
    return true;
  }

  /** Sends the acks at the head of the line that the application has released. */
  flush(now: number): void {
    for (let head = this.#pendingAcks.peek(); head !== undefined && head.acknowledged_; head = this.#pendingAcks.peek()) {
      this.#pendingAcks.shift();
      if (head.cancelled_) continue;
      this.#pendingById?.delete(head.packetId);
      if (head.qos === 2) this.#store.addIncoming(head.packetId);
      this.#ctx.send({ type: head.qos === 1 ? 'puback' : 'pubrec', packetId: head.packetId }, now);
    }
  }

  /**
   * The connection dropped. QoS 1 acks owed now mean nothing (the broker re-sends those
   * messages); QoS 2 ones stay, tied to ids the session keeps.
   */
  connectionLost(): void {
    // A QoS 2 entry a PUBREL already cancelled owes nothing: kept, it would shadow the id's next message.
    const kept = this.#pendingAcks.takeAll().filter((pending) => pending.qos === 2 && !pending.cancelled_);
    this.#pendingById?.clear();
    for (const pending of kept) {
      this.#pendingAcks.push(pending);
      (this.#pendingById ??= new Map()).set(pending.packetId, pending);
    }
  }

  /** A new session with the broker: inbound QoS 2 state from the old one is void [MQTT-3.1.2-6]. */
  sessionDiscarded_(): void {
    this.#store.clearIncoming();
    this.#pendingAcks.takeAll();
    this.#pendingById?.clear();
  }

  #deliver(packet: PublishPacket): InboundMessage {
    const message: InboundMessage =
      packet.qos === 0
        ? { topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain, dup: packet.dup }
        : { topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: packet.dup, packetId: packet.packetId! };
    this.#ctx.emit({ type: 'deliver', message });
    return message;
  }
}
