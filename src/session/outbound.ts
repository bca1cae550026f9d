/**
 * Outbound flows: QoS 0 publish, QoS 1 (PUBLISH → PUBACK), QoS 2 (PUBLISH → PUBREC → PUBREL →
 * PUBCOMP), SUBSCRIBE → SUBACK and UNSUBSCRIBE → UNSUBACK, with the waiting queue in front of
 * them (offline, or over maxInflight) and the re-send rules of reconnection.
 */
import { MqttProtocolError } from '../errors.js';
import type { SubackCode, SubackPacket, UnsubackPacket } from '../packet/index.js';
import * as Result from './result-codes.js';
import type { ResultCode } from './outcomes.js';
import type { SessionContext } from './context.js';
import { PacketIdAllocator } from './packet-ids.js';
import { Fifo } from './queue.js';
import type { OutgoingFlow, SessionStore } from './store.js';
import type { OutboundRequest, PublishRequest, SessionAction, SubscribeRequest, UnsubscribeRequest } from './types.js';

interface OutboundLimits {
  maxInflight_: number;
  maxBuffered_: number;
  dropPolicy_: 'reject-new' | 'drop-oldest';
  queueQoS0_: boolean;
  retryInterval_: number;
  undeliverableAfter_: number;
}

export class OutboundFlows<T = unknown> {
  readonly ids = new PacketIdAllocator();
  readonly #queue = new Fifo<OutboundRequest<T>>();
  /** SUBSCRIBE/UNSUBSCRIBE sent and waiting for their ack, by packet id (made by the first). */
  #awaitingAck: Map<number, SubscribeRequest<T> | UnsubscribeRequest<T>> | null = null;
  /** Earliest time a same-connection retry may be due (only with retryInterval). */
  #retryAt = Infinity;
  /** The client's restoring SUBSCRIBEs made while disconnected (see requestControl_). */
  #restores: SubscribeRequest<T>[] | null = null;
  /** How many restores at the head of #restores waited through a lost connection (see resume_). */
  #carried = 0;
  /** Ids of QoS 2 publishes given up -13, held until a CONNACK without a session (see connectionLost_). */
  #quarantined: number[] | null = null;
  /** Requests already completed (-11 by abandon) whose flows live on until the broker ends them. */
  #told: WeakSet<PublishRequest<T>> | null = null;
  readonly #ctx: SessionContext<T>;
  readonly #store: SessionStore<T>;
  readonly #limits: OutboundLimits;

  constructor(ctx: SessionContext<T>, store: SessionStore<T>, limits: OutboundLimits) {
    this.#ctx = ctx;
    this.#store = store;
    this.#limits = limits;
    // Flows restored from a persistent store keep their ids; publishes it had queued wait first.
    for (const flow of store.outgoing()) this.ids.reserve(flow.packetId);
    for (const request of store.restoredQueue?.() ?? []) this.#queue.push(request);
  }

  get queuedCount(): number {
    return this.#queue.length;
  }

  get inflightCount(): number {
    return this.#store.outgoingCount;
  }

  /** Sent and waiting for the broker's answer: a QoS 1/2 flow, or a SUBSCRIBE/UNSUBSCRIBE. */
  get awaitingAnswers_(): boolean {
    return this.#store.outgoingCount > 0 || (this.#awaitingAck?.size ?? 0) > 0;
  }

  get nextRetry_(): number {
    return this.#retryAt;
  }

  // ---- requests from the application -------------------------------------------------------

  publish_(request: PublishRequest<T>, connected: boolean, now: number): void {
    if (connected) {
      // QoS 0 takes no flow slot, so it never waits behind QoS 1/2 held back by maxInflight.
      if (request.qos === 0) return this.#sendQoS0(request, now);
      if (this.#queue.length === 0 && this.#mayStart(request)) return this.#startPublish(request, now);
    } else if (request.qos === 0 && !this.#limits.queueQoS0_) {
      return this.#complete(request, Result.DISCONNECTED);
    }
    this.#enqueue(request);
  }

  /** Subscribe/unsubscribe: sent now when connected and an id is free, else queued in order with the publishes. */
  requestControl_(request: SubscribeRequest<T> | UnsubscribeRequest<T>, connected: boolean, now: number): void {
    if ('restore' in request && request.restore === true) {
      // Ahead of the queue, outside maxBuffered: it goes first, on the next connection or once an id is free.
      (this.#restores ??= []).push(request);
      if (connected) this.sendQueued_(now);
    } else if (connected && this.#queue.length === 0 && this.#mayStart(request)) this.#sendControl(request, now);
    else this.#enqueue(request);
  }

  /**
   * Whether `request` may take a packet id now. With all 65,535 held it waits, as behind
   * maxInflight: acks free ids while connected, and completing it -10 would only make the
   * application retry what the queue can hold for it (within maxBuffered).
   */
  #mayStart(request: OutboundRequest<T>): boolean {
    return !this.ids.full_ && (!('topic' in request) || this.#store.outgoingCount < this.#limits.maxInflight_);
  }

  #enqueue(request: OutboundRequest<T>): void {
    const full = this.#queue.length >= this.#limits.maxBuffered_;
    if (full && (this.#limits.dropPolicy_ === 'reject-new' || this.#limits.maxBuffered_ === 0)) {
      return this.#complete(request, Result.MAX_BUFFERED);
    }
    // A durable store takes the publish before anything changes here: one it cannot write
    // throws (STORE_WRITE_FAILED), and then no older message has been dropped for it.
    if ('topic' in request) this.#store.queued?.(request);
    if (full) this.#complete(this.#queue.shift()!, Result.MAX_BUFFERED);
    this.#queue.push(request);
  }

  #sendQoS0(request: PublishRequest<T>, now: number): void {
    this.#ctx.send({ type: 'publish', topic: request.topic, payload: request.payload, qos: 0, dup: false, retain: request.retain }, now);
    // QoS 0 is done once handed to the transport.
    this.#ctx.emit({ type: 'published', request, result: Result.SUCCESS });
  }

  #startPublish(request: PublishRequest<T>, now: number): void {
    const packetId = this.ids.allocate();
    const flow: OutgoingFlow<T> = { packetId, stage: 'publish', request, sentAt: now };
    try {
      this.#store.putOutgoing(flow);
    } catch (error) {
      this.ids.release(packetId); // a durable store refused the publish: the id was never used
      throw error;
    }
    this.#sendPublish(flow, false, now);
  }

  #sendPublish(flow: OutgoingFlow<T>, dup: boolean, now: number): void {
    const r = flow.request;
    this.#ctx.send({ type: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, dup, retain: r.retain, packetId: flow.packetId }, now);
    this.#sent(flow, now);
  }

  #sendPubrel(flow: OutgoingFlow<T>, now: number): void {
    this.#ctx.send({ type: 'pubrel', packetId: flow.packetId }, now);
    this.#sent(flow, now);
  }

  /** What a flow sent last goes again: its PUBLISH (DUP=1) or its PUBREL. */
  #resend(flow: OutgoingFlow<T>, now: number): void {
    if (flow.stage === 'publish') this.#sendPublish(flow, true, now);
    else this.#sendPubrel(flow, now);
  }

  /** Notes when a flow last went out, for same-connection retries. */
  #sent(flow: OutgoingFlow<T>, now: number): void {
    flow.sentAt = now;
    const interval = this.#limits.retryInterval_;
    if (interval > 0 && now + interval < this.#retryAt) this.#retryAt = now + interval;
  }

  #sendControl(request: SubscribeRequest<T> | UnsubscribeRequest<T>, now: number): void {
    const packetId = this.ids.allocate();
    (this.#awaitingAck ??= new Map()).set(packetId, request);
    this.#ctx.send('subscriptions' in request ? { type: 'subscribe', packetId, subscriptions: request.subscriptions } : { type: 'unsubscribe', packetId, topics: request.topics }, now);
  }

  /** Sends the restoring SUBSCRIBEs, then what waits in the queue, in order, as far as maxInflight and the free ids allow. */
  sendQueued_(now: number): void {
    const restores = this.#restores;
    while (restores?.length && !this.ids.full_) this.#sendControl(restores.shift()!, now);
    for (let next = this.#queue.peek(); next !== undefined; next = this.#queue.peek()) {
      if ('topic' in next && next.qos === 0) {
        this.#queue.shift();
        this.#store.settled?.(next);
        this.#sendQoS0(next, now);
      } else if (this.#mayStart(next)) {
        this.#queue.shift();
        if ('topic' in next) this.#startPublish(next, now);
        else this.#sendControl(next, now);
      } else {
        break;
      }
    }
  }

  // ---- acknowledgements from the broker ----------------------------------------------------

  /**
   * A PUBACK ('publish': the flow waits for it) or PUBCOMP ('pubrel') ends its flow. An ack that
   * matches no open flow at that stage is ignored, connection kept. But a PUBACK for a QoS 2
   * PUBLISH not yet answered with PUBREC is how a broker without QoS 2 (RabbitMQ) takes the
   * message, at QoS 1: it completes the flow 0, as for QoS 1, since ignoring it would hold the
   * publish forever (a re-send is PUBACKed again) and an error would invite a duplicate.
   */
  acked_(packetId: number, stage: OutgoingFlow['stage'], now: number): void {
    const flow = this.#store.getOutgoing(packetId);
    if (flow === undefined || flow.stage !== stage) return;
    this.#finish(flow, Result.SUCCESS);
    this.sendQueued_(now);
  }

  pubrec_(packetId: number, now: number): void {
    const flow = this.#store.getOutgoing(packetId);
    if (flow === undefined || flow.request.qos !== 2) return;
    if (flow.stage === 'publish') {
      flow.stage = 'pubrel';
      // The store moves it to the end: PUBRELs are re-sent in PUBREC order [MQTT-4.6.0-4].
      this.#store.putOutgoing(flow);
    }
    // A repeated PUBREC is answered again; the PUBLISH is never re-sent after PUBREL [MQTT-4.3.3-1].
    this.#sendPubrel(flow, now);
  }

  /** A SUBACK or UNSUBACK: the request it answers completes (one of the other kind is ignored). */
  controlAcked_(packet: SubackPacket | UnsubackPacket, now: number): void {
    const packetId = packet.packetId;
    const request = this.#awaitingAck?.get(packetId);
    if (request === undefined || 'subscriptions' in request !== (packet.type === 'suback')) return;
    this.#awaitingAck!.delete(packetId);
    this.ids.release(packetId);
    const granted = packet.type === 'suback' ? packet.granted : NO_GRANTS;
    const requested = 'subscriptions' in request ? request.subscriptions.length : 0;
    const malformed = granted.length !== requested;
    this.#ctx.emit(outcomeOf(request, malformed ? Result.FAILURE : Result.SUCCESS, granted));
    if (malformed) {
      this.#ctx.requestClose_(
        'protocol-error',
        new MqttProtocolError('MALFORMED_PACKET', `SUBACK carries ${granted.length} return codes for ${requested} filters`, 'MQTT-3.8.4-5', 'peer'),
      );
    } else this.sendQueued_(now);
  }

  // ---- connection events -------------------------------------------------------------------

  /**
   * After CONNACK 0, every open flow is re-sent at once, in order, with its original id:
   * PUBLISH with DUP=1, PUBREL as is [MQTT-4.4.0-1, MQTT-4.6.0-1]. With a resumed session that
   * is the protocol. Without one (sessionPresent 0) it is what loses nothing: the broker
   * holds no ids, so nothing collides; a flow at PUBLISH is delivered again (QoS 2 may then
   * arrive twice — exactly-once needs cleanSession false and a broker that keeps the session);
   * a flow at PUBREL was already owned by the broker (its PUBREC said so), and the broker
   * answers a PUBREL for an id it no longer knows with PUBCOMP, so the flow completes 0 rather
   * than telling the application to publish again.
   */
  resume_(now: number, resumed: boolean): void {
    // Restores that waited for an id through a lost connection are made anew by the client on a
    // fresh session: kept, every connection lost while ids were held would send one set more
    // (each re-sending the retained messages [MQTT-3.8.4-3]). A kept session lacks them: they go.
    if (!resumed) {
      for (const request of this.#restores?.splice(0, this.#carried) ?? []) this.#complete(request, Result.INCOMPLETE);
      for (const packetId of this.#quarantined?.splice(0) ?? []) this.ids.release(packetId);
    }
    this.#carried = 0;
    for (const flow of [...this.#store.outgoing()]) this.#resend(flow, now);
    this.sendQueued_(now);
  }

  /**
   * The connection dropped: subscribe/unsubscribe in flight cannot survive it. When the broker
   * closed it, the oldest PUBLISH it had not acknowledged is the likeliest cause (a broker handles
   * a connection's packets in order, and may refuse one by closing [MQTT-3.3.5-2]); at
   * undeliverableAfter such closes it completes -13 instead of being re-sent again.
   */
  connectionLost_(connected: boolean, closedByBroker: boolean): void {
    this.#cutOffControl();
    if (connected) this.#carried = this.#restores?.length ?? 0;
    this.#retryAt = Infinity;
    if (!closedByBroker) return;
    for (const flow of this.#store.outgoing()) {
      if (flow.stage !== 'publish') continue;
      flow.closes = (flow.closes ?? 0) + 1;
      if (flow.closes >= this.#limits.undeliverableAfter_) {
        // A broker keeping the session may hold a QoS 2 id whose PUBREC these closes lost, and
        // would take a new message under it for a re-send of this one [MQTT-4.3.3-2]: the id
        // stays held until a CONNACK without a session.
        const keepId = flow.request.qos === 2;
        if (keepId) (this.#quarantined ??= []).push(flow.packetId);
        this.#finish(flow, Result.UNDELIVERABLE, false, keepId);
      }
      return;
    }
  }

  /** Gives up on everything: queued requests complete -3, those in flight -11 (see Session.abandon for `keepQoS2Flows`). */
  abandon_(keepQoS2Flows: boolean): void {
    this.#cutOffControl();
    for (const flow of [...this.#store.outgoing()]) {
      this.#finish(flow, Result.INCOMPLETE, keepQoS2Flows && flow.request.qos === 2);
    }
    for (const request of [...(this.#restores ?? []), ...this.#queue.takeAll()]) this.#complete(request, Result.DISCONNECTED);
    this.#restores = null;
    this.#carried = 0;
  }

  /** SUBSCRIBE/UNSUBSCRIBE awaiting their ack complete -11 and free their ids. */
  #cutOffControl(): void {
    if (this.#awaitingAck === null) return;
    for (const [packetId, request] of this.#awaitingAck) {
      this.ids.release(packetId);
      this.#complete(request, Result.INCOMPLETE);
    }
    this.#awaitingAck.clear();
  }

  /** Same-connection retransmission of flows unacknowledged for retryInterval. */
  retry_(now: number): void {
    const interval = this.#limits.retryInterval_;
    if (interval <= 0 || now < this.#retryAt) return;
    this.#retryAt = Infinity;
    for (const flow of this.#store.outgoing()) {
      if (flow.sentAt + interval <= now) this.#resend(flow, now);
      else if (flow.sentAt + interval < this.#retryAt) {
        this.#retryAt = flow.sentAt + interval;
      }
    }
  }

  /**
   * The flow's request completes with `result`. Its flow ends too, unless `keepFlow`: then it
   * stays to end the exchange the broker is still in, and its own end tells no one again.
   */
  #finish(flow: OutgoingFlow<T>, result: ResultCode, keepFlow = false, keepId = false): void {
    const request = flow.request;
    const told = this.#told?.has(request) === true;
    if (keepFlow) (this.#told ??= new WeakSet()).add(request);
    else {
      this.#store.deleteOutgoing(flow.packetId);
      if (!keepId) this.ids.release(flow.packetId);
    }
    if (told) return;
    // Only a restored message's completion names its packet id: it has no callback to tell apart.
    this.#ctx.emit(request.restored === true ? { type: 'published', request, result, packetId: flow.packetId } : { type: 'published', request, result });
  }

  #complete(request: OutboundRequest<T>, result: ResultCode): void {
    if ('topic' in request) this.#store.settled?.(request);
    this.#ctx.emit(outcomeOf(request, result, []));
  }
}

const NO_GRANTS: SubackCode[] = [];

/** The action that completes `request`, of whichever kind it is. */
function outcomeOf<T>(request: OutboundRequest<T>, result: ResultCode, granted: SubackCode[]): SessionAction<T> {
  if ('topic' in request) return { type: 'published', request, result };
  return 'subscriptions' in request ? { type: 'subscribed', request, result, granted } : { type: 'unsubscribed', request, result };
}
