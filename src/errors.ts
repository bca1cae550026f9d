/**
 * Every failure impmqtt reports is an MqttError: a stable `code` from one union to branch on,
 * the normative statement id (`'MQTT-2.2.2-2'`) when the MQTT 3.1.1 text names the rule broken,
 * and its `origin`, split as python-h11 splits them:
 * - 'caller': the application asked for something impossible (bad topic, QoS, option, state).
 *   Thrown at the call; nothing was sent.
 * - 'peer': the broker (or whatever answered) broke the protocol. Never thrown into application
 *   code: the connection closes with it as the reason.
 * - 'connection': neither broke a rule; the network, the broker's refusal or a deadline ended
 *   the attempt (socket errors, TLS failures, timeouts, CONNACK refusals).
 */

/** Bytes or packets that break the MQTT 3.1.1 wire format, whichever side produced them. */
export type ProtocolErrorCode =
  | 'MALFORMED_PACKET'
  | 'MALFORMED_REMAINING_LENGTH'
  | 'RESERVED_FLAGS'
  | 'UNKNOWN_PACKET_TYPE'
  | 'PACKET_TOO_LARGE'
  | 'INVALID_UTF8'
  | 'NULL_CHARACTER'
  | 'STRING_TOO_LONG'
  | 'INVALID_QOS'
  | 'INVALID_PACKET_ID'
  | 'INVALID_TOPIC'
  | 'INVALID_TOPIC_FILTER'
  | 'EMPTY_SUBSCRIPTION'
  | 'INVALID_SUBACK_CODE'
  | 'INVALID_CONNACK'
  | 'INVALID_CONNECT'
  | 'UNSUPPORTED_PROTOCOL'
  | 'UNEXPECTED_PACKET'
  | 'DECODER_FAILED';

/** The caller's mistakes that are not about the wire format. */
export type UsageErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_STATE'
  | 'INVALID_URL'
  | 'INVALID_CLIENT_ID'
  | 'INVALID_KEEPALIVE'
  | 'INVALID_HANDLER'
  /** A lower layer's method given what it cannot take (a chunk that is not bytes, a time that is not a number). */
  | 'INVALID_ARGUMENT'
  | 'INVALID_PAYLOAD'
  | 'NOT_OPENED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_TOPICS'
  | 'NO_TOPICS'
  | 'NOT_CONNECTED'
  | 'ANOTHER_CLIENT_CONNECTED'
  | 'CLIENT_EXISTS'
  | 'BUFFER_TOO_SMALL'
  | 'UNSUPPORTED_TRANSPORT'
  /** A durable session store is open in another process. */
  | 'STORE_LOCKED'
  /** A durable session store's file holds records this version cannot read (a newer version's?): left untouched. */
  | 'STORE_UNREADABLE';

/** How a connection or an attempt ended when nobody broke a rule. */
export type ConnectionErrorCode =
  | 'SOCKET_ERROR'
  | 'TLS_ERROR'
  | 'WEBSOCKET_ERROR'
  | 'TRANSPORT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'CONNECT_FAILED'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_CLOSED'
  | 'KEEPALIVE_TIMEOUT'
  | 'CLOSE_TIMEOUT'
  | 'INBOUND_RATE_EXCEEDED'
  | 'ENCODE_FAILED'
  /** A request was cut off by the loss of the connection, or cannot be sent for want of one. */
  | 'CONNECTION_LOST'
  /** An operation did not complete within its time limit. */
  | 'TIMEOUT'
  /** The caller's AbortSignal cancelled the wait. */
  | 'ABORTED'
  /** The broker refused a subscription (SUBACK 0x80). */
  | 'SUBSCRIPTION_REFUSED'
  /** A bounded buffer was full, so the request was refused (nothing was sent). */
  | 'QUEUE_FULL'
  /**
   * @deprecated Never reported now: a request that finds all 65,535 packet identifiers held waits
   * for one (only the imp face reports -10, as a number). Kept so code that names it compiles.
   */
  | 'NO_PACKET_IDS'
  /** A face's limit refused the request (nothing was sent). */
  | 'RATE_LIMITED'
  /** The broker closed the connection each time the message was sent: it will not take it [MQTT-3.3.5-2]. */
  | 'UNDELIVERABLE'
  /** The request failed for a reason the broker did not give. */
  | 'OPERATION_FAILED'
  /** A durable session store could not write a publish (disk full, its file gone): refused, nothing was sent. */
  | 'STORE_WRITE_FAILED';

export type ErrorCode = ProtocolErrorCode | UsageErrorCode | ConnectionErrorCode;

export type ErrorOrigin = 'caller' | 'peer' | 'connection';

export class MqttError extends Error {
  // Declared only: the constructor assigns each, and emitted fields would be defined twice.
  declare readonly code: ErrorCode;
  declare readonly statement: string | undefined;
  declare readonly origin: ErrorOrigin;
  /** The message without the statement suffix. */
  declare readonly detail: string;

  constructor(code: ErrorCode, message: string, statement?: string, origin: ErrorOrigin = 'connection') {
    super(statement ? `${message} [${statement}]` : message);
    // In the order the declared fields had: code, statement, origin, detail, then name.
    this.code = code;
    this.statement = statement;
    this.origin = origin;
    this.detail = message;
    this.name = 'MqttError';
  }
}

/** A wire-format rule broken: by the caller (refused on encode) or by the peer (on decode). */
export class MqttProtocolError extends MqttError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, statement?: string, origin: 'caller' | 'peer' = 'caller') {
    super(code, message, statement, origin);
    this.name = 'MqttProtocolError';
  }

  /** The same rule, broken by the peer: what a decoder reports for bytes it received. */
  static fromPeer(error: MqttProtocolError): MqttProtocolError {
    return error.origin === 'peer' ? error : new MqttProtocolError(error.code, error.detail, error.statement, 'peer');
  }
}

/** The caller's mistake: thrown at the call, before anything is sent. */
export function usageError(code: UsageErrorCode, message: string, statement?: string): MqttError {
  return new MqttError(code, message, statement, 'caller');
}

/** Throws a wire-format refusal (the caller's, until a decoder re-attributes it to the peer). */
export function protocolError(code: ProtocolErrorCode, message: string, statement?: string): never {
  throw new MqttProtocolError(code, message, statement);
}

/** A value's type for a message: typeof, with null told apart from objects. */
export function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** A value from plain JavaScript, for a message: a primitive as itself, anything else as its type (its own toString may throw, or be none). */
export function shown(value: unknown): string {
  return value !== null && (typeof value == 'object' || typeof value == 'function') ? typeof value : String(value);
}

/** Any thrown value as an MqttError (keeping the original as its cause). */
export function asMqttError(error: unknown, code: ErrorCode): MqttError {
  if (error instanceof MqttError) return error;
  const wrapped = new MqttError(code, error instanceof Error ? error.message : String(error));
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
