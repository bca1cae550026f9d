/**
 * Small helpers for driving the sans-I/O Session in tests: a Driver that owns a Session and a
 * clock, connects it (connect + CONNACK), collects the actions it produces, and pulls out the
 * packets it sent, their encoded bytes, and the completions it reported.
 */
import { Session } from '../../src/session/index.js';
import type {
  ConnectOptions,
  InboundMessage,
  PublishRequest,
  SessionAction,
  SessionOptions,
  SubscribeRequest,
  UnsubscribeRequest,
} from '../../src/session/index.js';
import { encode } from '../../src/packet/index.js';
import type { Packet, PublishPacket, QoS } from '../../src/packet/index.js';

export type SendAction = Extract<SessionAction, { type: 'send' }>;
export type Completion = Extract<SessionAction, { type: 'published' | 'subscribed' | 'unsubscribed' }>;

let counter = 0;

/** A publish request with a unique topic and a payload that names it. */
export function pub(qos: QoS, topic = `t/${++counter}`, retain = false): PublishRequest {
  return { topic, payload: new TextEncoder().encode(topic), qos, retain };
}

export function sub(topic = `s/${++counter}`, qos: QoS = 1): SubscribeRequest {
  return { subscriptions: [{ topic, qos }] };
}

export function unsub(topic = `s/${++counter}`): UnsubscribeRequest {
  return { topics: [topic] };
}

/** An inbound PUBLISH as the broker would send it. */
export function inbound(qos: QoS, packetId?: number, dup = false, topic = 'in/x'): PublishPacket {
  const p: PublishPacket = { type: 'publish', topic, payload: Uint8Array.of(1, 2, 3), qos, dup, retain: false };
  if (qos > 0) p.packetId = packetId ?? 1;
  return p;
}

/** The packets in `actions`, in order. */
export function sentPackets(actions: readonly SessionAction[]): Packet[] {
  return actions.filter((a): a is SendAction => a.type === 'send').map((a) => a.packet);
}

/** A short tag per packet: 'publish#3', 'pubrel#3', 'connect', 'pingreq' … */
export function tags(actions: readonly SessionAction[]): string[] {
  return sentPackets(actions).map(tag);
}

export function tag(p: Packet): string {
  return 'packetId' in p && p.packetId !== undefined ? `${p.type}#${p.packetId}` : p.type;
}

/** A compact string per action, for asserting whole sequences. */
export function describeAction(a: SessionAction): string {
  switch (a.type) {
    case 'send':
      return a.packet.type === 'publish' ? `send ${tag(a.packet)}${a.packet.dup ? ' dup' : ''}` : `send ${tag(a.packet)}`;
    case 'connack':
      return `connack ${a.returnCode}${a.sessionPresent ? ' sp' : ''}`;
    case 'deliver':
      return `deliver ${a.message.topic}${a.message.packetId !== undefined ? `#${a.message.packetId}` : ''}`;
    case 'published':
      return `published ${a.request.topic} ${a.result}`;
    case 'subscribed':
      return `subscribed ${a.request.subscriptions[0]?.topic ?? ''} ${a.result}`;
    case 'unsubscribed':
      return `unsubscribed ${a.request.topics[0] ?? ''} ${a.result}`;
    case 'close':
      return `close ${a.reason}`;
  }
}

export function trace(actions: readonly SessionAction[]): string[] {
  return actions.map(describeAction);
}

/** First byte of the encoded packet: DUP is bit 3 of a PUBLISH [MQTT-3.3.1-1]. */
export function dupBit(p: Packet): boolean {
  return ((encode(p)[0] ?? 0) & 0x08) !== 0;
}

/** The packet identifier as written on the wire (the two bytes after the topic, or after the fixed header). */
export function wireId(p: Packet): number {
  const bytes = encode(p);
  // Remaining Length is at most 4 bytes; find where the variable header starts.
  let i = 1;
  while (((bytes[i] ?? 0) & 0x80) !== 0) i++;
  i++;
  if (p.type === 'publish') {
    const topicLength = ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
    i += 2 + topicLength;
  }
  return ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
}

export function completions(actions: readonly SessionAction[]): Completion[] {
  return actions.filter((a): a is Completion => a.type === 'published' || a.type === 'subscribed' || a.type === 'unsubscribed');
}

export function delivered(actions: readonly SessionAction[]): InboundMessage[] {
  return actions.flatMap((a) => (a.type === 'deliver' ? [a.message] : []));
}

export interface DriverOptions extends Partial<SessionOptions> {
  /** Start the clock here (ms). Default 1000. */
  now?: number;
}

/**
 * A Session plus a clock. Every input goes through here so the actions it produces are kept
 * (`log`, everything so far) and handed back (the return value, just that call's).
 */
export class Driver {
  readonly session: Session;
  now: number;
  readonly log: SessionAction[] = [];

  constructor(options: DriverOptions = {}) {
    const { now, ...rest } = options;
    this.session = new Session({ clientId: 'test-client', ...rest });
    this.now = now ?? 1000;
  }

  /** Actions produced since the last call (also appended to `log`). */
  take(): SessionAction[] {
    const actions = this.session.takeActions();
    this.log.push(...actions);
    return actions;
  }

  /** connect() only: the CONNECT goes out, no CONNACK yet. */
  open(options: Partial<ConnectOptions> = {}): SessionAction[] {
    this.session.connect({ keepalive: 0, cleanSession: true, ...options }, this.now);
    return this.take();
  }

  /** connect() and a CONNACK; returns the actions of both. */
  connect(options: Partial<ConnectOptions> = {}, sessionPresent = false, returnCode = 0): SessionAction[] {
    const first = this.open(options);
    return [...first, ...this.receive({ type: 'connack', sessionPresent, returnCode })];
  }

  receive(packet: Packet): SessionAction[] {
    this.session.packetReceived(packet, this.now);
    return this.take();
  }

  publish(request: PublishRequest): SessionAction[] {
    this.session.publish(request, this.now);
    return this.take();
  }

  subscribe(request: SubscribeRequest): SessionAction[] {
    this.session.subscribe(request, this.now);
    return this.take();
  }

  unsubscribe(request: UnsubscribeRequest): SessionAction[] {
    this.session.unsubscribe(request, this.now);
    return this.take();
  }

  acknowledge(message: InboundMessage): { ok: boolean; actions: SessionAction[] } {
    const ok = this.session.acknowledge(message, this.now);
    return { ok, actions: this.take() };
  }

  lose(reason: 'transport' | 'protocol-error' = 'transport'): SessionAction[] {
    this.session.connectionLost(reason, this.now);
    return this.take();
  }

  disconnect(): SessionAction[] {
    this.session.disconnect(this.now);
    return this.take();
  }

  abandon(): SessionAction[] {
    this.session.abandon();
    return this.take();
  }

  /** Moves the clock to `at` and ticks. */
  tickAt(at: number): SessionAction[] {
    this.now = at;
    this.session.tick(at);
    return this.take();
  }

  /** Moves the clock forward by `ms` and ticks. */
  advance(ms: number): SessionAction[] {
    return this.tickAt(this.now + ms);
  }

  /** The packet id the session gave the PUBLISH of `request` (first time it was sent). */
  idOf(request: PublishRequest): number {
    for (const a of this.log) {
      if (a.type === 'send' && a.packet.type === 'publish' && a.packet.topic === request.topic && a.packet.packetId !== undefined) {
        return a.packet.packetId;
      }
    }
    throw new Error(`${request.topic} was never sent with a packet id`);
  }

  /** Every result reported for `request` so far. */
  resultsOf(request: object): number[] {
    return completions(this.log)
      .filter((c) => c.request === request)
      .map((c) => c.result);
  }
}
