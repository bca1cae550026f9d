/**
 * One client connection of the scripted fake broker (test/support/fake-broker.ts), driven by the
 * test packet by packet: FakeConnection (expect, send, close, the byte log in `rawChunks` and
 * `receivedFrames`), acceptConnect for the CONNECT → CONNACK step, and describePacket for
 * failure messages. The transport under it is a Link: a TCP/TLS socket or a WebSocket.
 */
import { decodePacket, encode } from '../../src/packet/index.js';
import type { ConnectPacket, Packet, PacketType } from '../../src/packet/index.js';

export const DEFAULT_TIMEOUT_MS = 5_000;

export type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

export interface WaitOptions {
  /** Fail after this long (default 5 s). A bound against hangs, not a timing assertion. */
  timeoutMs?: number;
}

/** A short human-readable rendering of a packet for failure messages. */
export function describePacket(packet: Packet): string {
  const fields = Object.entries(packet)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => {
      if (value instanceof Uint8Array) return `${key}: <${value.length} bytes>`;
      if (key === 'will' && typeof value === 'object' && value !== null) {
        const will = value as { topic: string; qos: number; retain: boolean; payload: Uint8Array };
        return `will: {topic: ${JSON.stringify(will.topic)}, qos: ${will.qos}, retain: ${will.retain}, payload: <${will.payload.length} bytes>}`;
      }
      return `${key}: ${JSON.stringify(value)}`;
    });
  return `${packet.type.toUpperCase()}${fields.length === 0 ? '' : ` {${fields.join(', ')}}`}`;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?=.)/g, '$1 ');

/** The transport under a FakeConnection: a TCP/TLS socket or a WebSocket. */
export interface Link {
  readonly kind: 'tcp' | 'tls' | 'ws';
  write(bytes: Uint8Array): Promise<void>;
  end(): void;
  destroy(): void;
}

interface Waiter {
  resolve: (packet: Packet) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface FakeConnectionOptions {
  /** Answer every PINGREQ with PINGRESP by itself; such PINGREQs are logged but not queued for expect(). */
  autoPingresp?: boolean;
}

/** One accepted client connection, driven by the test. */
export class FakeConnection {
  /** Sequence number among the broker's connections (0, 1, ...). */
  readonly index: number;
  readonly kind: 'tcp' | 'tls' | 'ws';
  /** Every packet the client sent, in order (including those already taken by expect/next). */
  readonly received: Packet[] = [];
  /** The exact bytes of each packet in `received`, same order. */
  readonly receivedFrames: Uint8Array[] = [];
  /** Every chunk (TCP read or WebSocket message) as it arrived. */
  readonly rawChunks: Uint8Array[] = [];
  /** Resolves when the connection is gone, whoever closed it. Never rejects. */
  readonly closed: Promise<void>;
  /** Set when the client's bytes could not be decoded; expect()/next() then fail with it. */
  decodeError: Error | undefined;
  autoPingresp: boolean;

  private readonly link: Link;
  private readonly queue: Packet[] = [];
  private readonly waiters: Waiter[] = [];
  private buffer: Uint8Array = new Uint8Array(0);
  private isClosedFlag = false;
  private resolveClosed!: () => void;

  /** @internal Built by startFakeBroker. */
  constructor(index: number, link: Link, options: FakeConnectionOptions = {}) {
    this.index = index;
    this.link = link;
    this.kind = link.kind;
    this.autoPingresp = options.autoPingresp ?? false;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** All bytes received so far, concatenated. */
  rawBytes(): Uint8Array {
    return Buffer.concat(this.rawChunks);
  }

  /** Packets received but not yet taken by expect()/next(). */
  get pending(): readonly Packet[] {
    return this.queue;
  }

  /** Waits for the client's next packet, whatever its type. */
  next(options: WaitOptions = {}): Promise<Packet> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.decodeError !== undefined) return Promise.reject(this.decodeError);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (this.isClosedFlag) return Promise.reject(new Error(`Connection #${this.index} is closed; no more packets will come. ${this.history()}`));
    return new Promise<Packet>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.removeWaiter(waiter);
          reject(new Error(`Connection #${this.index}: no packet from the client within ${timeoutMs} ms. ${this.history()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Waits for the client's next packet and checks its type; fails with a message naming what
   * came instead, or on timeout, or when the connection closes first.
   */
  async expect<T extends PacketType>(type: T, options: WaitOptions = {}): Promise<PacketOf<T>> {
    let packet: Packet;
    try {
      packet = await this.next(options);
    } catch (error) {
      throw new Error(`Expected ${type.toUpperCase()}: ${(error as Error).message}`);
    }
    if (packet.type !== type) {
      throw new Error(`Connection #${this.index}: expected ${type.toUpperCase()} but the client sent ${describePacket(packet)}. ${this.history()}`);
    }
    return packet as PacketOf<T>;
  }

  /** Waits until the connection closes (client hung up or was dropped); fails on timeout. */
  async expectClosed(options: WaitOptions = {}): Promise<void> {
    if (this.isClosedFlag) return;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Connection #${this.index} still open after ${timeoutMs} ms. ${this.history()}`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Encodes and writes a packet; resolves once written. */
  send(packet: Packet): Promise<void> {
    return this.sendRaw(encode(packet));
  }

  /** Writes bytes as they are (malformed input, split packets, several packets at once). */
  sendRaw(bytes: Uint8Array): Promise<void> {
    if (this.isClosedFlag) return Promise.reject(new Error(`Connection #${this.index} is closed; cannot send`));
    return this.link.write(bytes);
  }

  /** Drops the connection abruptly (socket destroyed, no FIN handshake / WebSocket close frame). */
  close(): void {
    this.link.destroy();
  }

  /** Closes gracefully: TCP FIN, or a WebSocket close frame. */
  end(): void {
    this.link.end();
  }

  /** @internal Called by the transport with every chunk received. */
  onData(chunk: Uint8Array): void {
    this.rawChunks.push(Uint8Array.from(chunk));
    if (this.decodeError !== undefined) return;
    const joined = this.buffer.length === 0 ? Uint8Array.from(chunk) : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const frameLength = frameLengthAt(joined, offset);
        if (frameLength === undefined || offset + frameLength > joined.length) break;
        const frame = joined.slice(offset, offset + frameLength);
        const packet = decodePacket(frame);
        offset += frameLength;
        this.received.push(packet);
        this.receivedFrames.push(frame);
        if (packet.type === 'pingreq' && this.autoPingresp) {
          this.send({ type: 'pingresp' }).catch(() => {});
          continue;
        }
        this.deliver(packet);
      }
      this.buffer = joined.slice(offset);
    } catch (error) {
      this.buffer = new Uint8Array(0);
      this.fail(new Error(`Connection #${this.index}: undecodable bytes from the client at ${hex(joined.subarray(offset, offset + 32))}: ${(error as Error).message}`));
    }
  }

  /** @internal Marks a non-MQTT input (e.g. a WebSocket text frame). */
  fail(error: Error): void {
    this.decodeError ??= error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** @internal Called once by the transport when the connection is gone. */
  onClose(): void {
    if (this.isClosedFlag) return;
    this.isClosedFlag = true;
    const error = new Error(`Connection #${this.index} closed while waiting for a packet. ${this.history()}`);
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.resolveClosed();
  }

  private deliver(packet: Packet): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.queue.push(packet);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(packet);
  }

  private removeWaiter(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) this.waiters.splice(at, 1);
  }

  private history(): string {
    const shown = this.received.slice(-10).map(describePacket);
    const more = this.received.length > shown.length ? `${this.received.length - shown.length} earlier, then ` : '';
    return `Received so far: ${this.received.length === 0 ? 'nothing' : more + shown.join(', ')}${this.isClosedFlag ? ' (connection closed)' : ''}.`;
  }
}

/**
 * Length of the whole packet starting at `offset` (fixed header + Remaining Length), or
 * undefined when its header is not complete yet. A fifth length byte is malformed.
 */
function frameLengthAt(bytes: Uint8Array, offset: number): number | undefined {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const at = offset + i;
    if (at >= bytes.length) return undefined;
    const byte = bytes[at]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  throw new Error('Remaining Length longer than 4 bytes');
}

export interface AcceptConnectOptions extends WaitOptions {
  sessionPresent?: boolean;
  /** CONNACK return code (default 0, accepted). */
  returnCode?: number;
}

/** Expects CONNECT on `conn` and answers CONNACK; returns the CONNECT. */
export async function acceptConnect(conn: FakeConnection, options: AcceptConnectOptions = {}): Promise<ConnectPacket> {
  const connect = await conn.expect('connect', options);
  await conn.send({ type: 'connack', sessionPresent: options.sessionPresent ?? false, returnCode: options.returnCode ?? 0 });
  return connect;
}
