/**
 * The client's link to a broker, one connection at a time: opening the transport under the
 * connect timer, CONNECT first, the inbound admission check, and how each connection ends (lost,
 * refused by a hook, or closed gracefully after DISCONNECT). What an ended connection means
 * (reconnect, events, pending requests) is the client's to decide, in its finishClose_.
 */
import { MqttError, asMqttError } from '../errors.js';
import type { Packet } from '../packet/index.js';
import type { CloseReason, Session } from '../session/index.js';
import type { Transport } from '../transport/index.js';
import { Attempt } from './attempt.js';
import { Connection } from './connection.js';
import type { ConnectionOwner } from './connection.js';
import type { Token } from './events.js';
import type { Failover } from './failover.js';
import type { MqttClient } from './mqtt-client.js';
import type { ResolvedOptions } from './options.js';
import type { ClientTimers } from './timers.js';
import type { PacketWriter } from './writer.js';

/** How long a graceful close may wait for the broker to hang up. */
const CLOSE_GRACE_MS = 3_000;
export class Link implements ConnectionOwner {
  /** The connection in use; null between connections. */
  connection_: Connection | null = null;
  attempt_ = new Attempt(0);
  /** The session is connected through this link and has not yet reported its close (sessionClosed_). */
  #sessionOpen = false;
  readonly #client: MqttClient;
  readonly #session: Session<Token>;
  readonly #writer: PacketWriter;
  readonly #timers: ClientTimers;
  readonly #failover: Failover;
  readonly #options: ResolvedOptions;

  constructor(client: MqttClient, session: Session<Token>, writer: PacketWriter, timers: ClientTimers, failover: Failover, options: ResolvedOptions) {
    this.#client = client;
    this.#session = session;
    this.#writer = writer;
    this.#timers = timers;
    this.#failover = failover;
    this.#options = options;
  }

  /** A new attempt begins: what ends it is reported against it, not against the last connection. */
  begin_(): void {
    this.attempt_ = new Attempt(this.#client.now());
  }

  /** Opens a connection to the failover's current broker, for the attempt begun. */
  open_(): void {
    const client = this.#client;
    const connection = new Connection(this.#options.maxPacketSize_, this);
    this.connection_ = connection;
    // This timer covers opening the transport; the session's CONNACK deadline takes over from there.
    this.#timers.set('connect', this.#options.connectTimeout_, () => {
      if (this.connection_ !== connection) return;
      this.fail_('connack-timeout', this.#connectTimeoutError());
    });
    try {
      connection.start(this.#failover.endpoint, this.#options.transportOptions_, this.#options.transport_);
    } catch (error) {
      this.connection_ = null;
      this.#timers.clear('connect');
      this.attempt_.ending_('transport', asMqttError(error, 'TRANSPORT_FAILED'));
      // Unless destroy()/disconnect() finished the attempt meanwhile.
      queueMicrotask(() => client.state === 'connecting' && this.connection_ === null && client.finishClose_(undefined));
    }
  }

  // ---- ConnectionOwner: events from a connection the link has already let go of are ignored ----

  received_(connection: Connection, packets: Packet[]): void {
    if (connection === this.connection_) this.#client.receive_(packets);
  }

  malformed_(connection: Connection, reason: CloseReason, error: MqttError): void {
    if (connection === this.connection_) this.fail_(reason, error);
  }

  writable_(connection: Connection): void {
    if (connection === this.connection_) this.#writer.resume();
  }

  /** The byte stream is up: CONNECT goes first. */
  opened_(connection: Connection, transport: Transport): void {
    if (connection !== this.connection_) return;
    this.#timers.clear('connect');
    this.#writer.attach(transport);
    try {
      this.#session.connect(this.#options.connect_, this.#client.now(), this.attempt_.startedAt_ + this.#options.connectTimeout_);
    } catch (error) {
      // resolveOptions already checked the CONNECT; this guards the socket callback regardless.
      this.attempt_.ending_('transport', asMqttError(error, 'INVALID_OPTIONS'));
      transport.destroy();
      return;
    }
    this.#sessionOpen = true;
    this.#client.pump_();
  }

  /** Ends the current connection for `reason`, whatever stage it is at. */
  fail_(reason: CloseReason, error: MqttError): void {
    if (this.#session.state !== 'disconnected') {
      this.#session.connectionLost(reason, this.#client.now(), error);
      this.#client.pump_();
    } else if (this.connection_ !== null) {
      this.attempt_.ending_(reason, error, false);
      this.connection_.destroy();
      this.#client.pump_();
    }
  }

  /**
   * The close is finished once, by whichever comes last: with the session still up, its close
   * (sessionClosed_) finishes. The link keeps the closed connection until then, as the session's
   * close may wait while the client performs other actions, whose handlers may call destroy().
   */
  connectionClosed_(connection: Connection, error: Error | undefined): void {
    if (connection !== this.connection_) return;
    if (this.#session.state !== 'disconnected') {
      const cause = error ? asMqttError(error, 'SOCKET_ERROR') : new MqttError('CONNECTION_CLOSED', `${this.#client.url} closed the connection`);
      // Dropped with the session up, it is the application's destroy(): 'transport' would tell
      // the session the broker closed it, over the oldest publish (undeliverableAfter, -13). The
      // connection is closed already, so 'normal' goes straight to finishClose_ (with `cause`,
      // so QoS 0 bytes it dropped are not reported written).
      this.#session.connectionLost(this.connection_!.dropped_ ? 'normal' : 'transport', this.#client.now(), cause);
      this.#client.pump_(); // its close action ends in sessionClosed_, then finishClose_
    } else if (!this.#sessionOpen) {
      this.connection_ = null;
      this.#client.finishClose_(error);
    }
  }

  /** Closes the transport at once; with none open (not yet, or it failed to start), the close is finished here. */
  drop_(): void {
    const connection = this.connection_;
    if (connection !== null) connection.destroy();
    else this.#client.finishClose_(undefined);
  }

  /** The session ended the connection: flush what it said last, then close the transport. */
  sessionClosed_(reason: CloseReason, error: MqttError | undefined): void {
    this.#sessionOpen = false;
    // The session knows the deadline passed; the link knows which broker and which limit.
    this.attempt_.ending_(reason, reason === 'connack-timeout' ? this.#connectTimeoutError() : error);
    const connection = this.connection_;
    if (connection === null || connection.closed_) return this.#client.finishClose_(undefined);
    const transport = connection.transport;
    if (reason === 'normal') {
      // Everything accepted goes out, DISCONNECT last, even past the transport's high-water mark;
      // and reading resumes, or a paused socket would never see the broker hang up.
      connection.setReading(true);
      this.#writer.flush(true);
      transport.end(); // after DISCONNECT [MQTT-3.14.4-1]
      // Unless the close is already over: a transport may report it from end() itself, or a
      // QoS 0 callback run by the flush may have called destroy().
      if (this.connection_ === connection) this.#closeGrace(transport, transport.unsentBytes?.() ?? 0);
    } else {
      this.#writer.flush();
      connection.destroy();
    }
  }

  /**
   * The broker gets CLOSE_GRACE_MS to hang up, counted from when the last byte left: while unsent
   * bytes keep going out (megabytes on a slow link), the grace starts again; a link that stops
   * taking bytes, or a broker that never closes, ends it.
   */
  #closeGrace(transport: Transport, unsentBefore: number): void {
    this.#timers.set('close', CLOSE_GRACE_MS, () => {
      const unsent = transport.unsentBytes?.() ?? 0;
      if (unsent < unsentBefore) return this.#closeGrace(transport, unsent);
      const dropped = unsent > 0 ? `; ${unsent} bytes it did not take were dropped` : '';
      this.attempt_.ending_('normal', new MqttError('CLOSE_TIMEOUT', `${this.#client.url} did not close within ${CLOSE_GRACE_MS} ms of DISCONNECT${dropped}`));
      transport.destroy();
    });
  }

  #connectTimeoutError(): MqttError {
    return new MqttError('CONNECT_TIMEOUT', `No connection to ${this.#client.url} within ${this.#options.connectTimeout_} ms`);
  }
}
