/**
 * Every failure impmqtt reports is an MqttError: a stable string `code` to branch on, and the
 * normative statement id (`'MQTT-2.2.2-2'`) when the MQTT 3.1.1 text names the rule broken.
 */
export class MqttError extends Error {
  readonly code: string;
  readonly statement: string | undefined;

  constructor(code: string, message: string, statement?: string) {
    super(statement ? `${message} [${statement}]` : message);
    this.name = 'MqttError';
    this.code = code;
    this.statement = statement;
  }
}

/** Bytes or a packet that break the MQTT 3.1.1 wire format; the connection must close. */
export class MqttProtocolError extends MqttError {
  constructor(code: ProtocolErrorCode, message: string, statement?: string) {
    super(code, message, statement);
    this.name = 'MqttProtocolError';
  }
}

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

export function protocolError(code: ProtocolErrorCode, message: string, statement?: string): never {
  throw new MqttProtocolError(code, message, statement);
}
