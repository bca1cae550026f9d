/**
 * One connection to one broker: its transport and its decoder. It turns bytes into packets and
 * reports how the connection ends; the client decides what that means for the session.
 */
import { asMqttError, usageError } from '../errors.js';
import type { MqttError } from '../errors.js';
import { CLIENT_READERS } from '../packet/client-readers.js';
import { StreamDecoder } from '../packet/stream-decoder.js';
import type { Packet } from '../packet/index.js';
import type { CloseReason } from '../session/index.js';
import { openTransport } from '../transport/index.js';
import type { Endpoint, Transport, TransportEvents, TransportFactory, TransportOptions } from '../transport/index.js';

/** What a connection tells its owner, each event naming the connection (an owner outlives many). */
export interface ConnectionOwner {
  /** The byte stream is ready; nothing has been written yet. */
  opened_(connection: Connection, transport: Transport): void;
  received_(connection: Connection, packets: Packet[]): void;
  /** The broker's bytes broke the protocol or a size limit: the connection must end. */
  malformed_(connection: Connection, reason: CloseReason, error: MqttError): void;
  /** The transport can take more bytes again. */
  writable_(connection: Connection): void;
  /** Last event: the transport is closed (`error` when the close was not asked for). */
  connectionClosed_(connection: Connection, error: Error | undefined): void;
}

/**
 * The transport's events go to the Connection's own methods (no closures per connection). A
 * factory other than the platform's may call them detached (`ws.onopen = events.open`): it
 * gets them bound.
 */
export class Connection implements TransportEvents {
  #transport: Transport | null = null;
  readonly #decoder: StreamDecoder;
  #ended = false;
  /** The owner destroyed the transport: only its close is reported from now on. */
  dropped_ = false;
  /** While the factory runs: events it reported before returning, replayed once the transport is known. */
  #early: (() => void)[] | null = null;
  readonly #owner: ConnectionOwner;

  constructor(maxPacketSize: number, owner: ConnectionOwner) {
    this.#owner = owner;
    this.#decoder = new StreamDecoder({ maxPacketSize }, CLIENT_READERS);
  }

  get transport(): Transport {
    if (this.#transport === null) throw usageError('INVALID_STATE', 'The connection has not been started');
    return this.#transport;
  }

  /**
   * Opens the transport to `endpoint`. A factory may report events before it returns (a stream that is
   * already open, say): those are held and replayed once the transport is known, so the
   * owner never sees an event from a connection it cannot yet name. Throws when the transport
   * cannot even be started (e.g. no WebSocket on this platform).
   */
  start(endpoint: Endpoint, options: TransportOptions, factory: TransportFactory): void {
    this.#early = [];
    const events: TransportEvents = factory === openTransport ? this : boundEvents(this);
    this.#transport = factory(endpoint, options, events);
    const replay = this.#early;
    this.#early = null;
    for (const event of replay) event();
  }

  // ---- TransportEvents: what the transport reports -------------------------------------------

  open(): void {
    if (this.#early !== null) this.#early.push(() => this.open());
    else if (!this.#ended && !this.dropped_) this.#owner.opened_(this, this.transport);
  }

  data(chunk: Uint8Array): void {
    if (this.#early !== null) this.#early.push(() => this.data(chunk));
    else if (!this.#ended && !this.dropped_) this.#receive(chunk);
  }

  drain(): void {
    if (this.#early !== null) this.#early.push(() => this.drain());
    else if (!this.#ended) this.#owner.writable_(this);
  }

  /** The transport is closed (not: close it; see transport.end() and destroy()). */
  close(error?: Error): void {
    if (this.#early !== null) {
      this.#early.push(() => this.close(error));
    } else if (!this.#ended) {
      this.#ended = true;
      this.#owner.connectionClosed_(this, error);
    }
  }

  /**
   * Closes the transport at once. A transport whose destroy() takes effect late (a custom
   * stream) may still report its handshake done, or bytes: they are not heard, or a CONNECT
   * would go out, and a CONNACK be taken, on a connection the client has already let go.
   */
  destroy(): void {
    this.dropped_ = true;
    this.transport.destroy();
  }

  /** The transport reported its close. */
  get closed_(): boolean {
    return this.#ended;
  }

  /** Stops or restarts reading from the transport, where it can (see Transport.pause). */
  setReading(reading: boolean): boolean {
    const transport = this.#transport;
    if (transport === null || transport.pause === undefined || transport.resume === undefined) return false;
    if (reading) transport.resume();
    else transport.pause();
    return true;
  }

  #receive(chunk: Uint8Array): void {
    let packets: Packet[];
    try {
      packets = this.#decoder.push(chunk);
    } catch (error) {
      const mqttError = asMqttError(error, 'MALFORMED_PACKET');
      this.#owner.malformed_(this, mqttError.code === 'PACKET_TOO_LARGE' ? 'packet-too-large' : 'protocol-error', mqttError);
      return;
    }
    if (packets.length > 0) this.#owner.received_(this, packets);
  }
}

/** The events as functions that need no `this`, for a factory of the application's. */
function boundEvents(connection: Connection): TransportEvents {
  return {
    open: () => connection.open(),
    data: (chunk) => connection.data(chunk),
    drain: () => connection.drain(),
    close: (error) => connection.close(error),
  };
}
