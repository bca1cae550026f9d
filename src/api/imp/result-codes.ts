/**
 * The imp API's three code spaces, kept apart because the same number means different things
 * in each (imp-api.md §9.1). The face itself uses the numbers one by one (codes.ts).
 */
import * as Result from '../../session/result-codes.js';
import * as Codes from './codes.js';

export { SUBSCRIPTION_REFUSED } from './codes.js';

/** onconnect(resultCode): -1 socket failure, else the CONNACK return code 0–5. */
export const ConnectResult = {
  SOCKET_ERROR: Codes.CONNECT_SOCKET_ERROR,
  ACCEPTED: Codes.CONNECT_ACCEPTED,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** onconnectionlost(reasonCode). */
export const ConnectionLostReason = {
  SOCKET: Codes.LOST_SOCKET,
  INBOUND_RATE_EXCEEDED: Codes.LOST_INBOUND_RATE_EXCEEDED,
  INBOUND_MESSAGE_TOO_LARGE: Codes.LOST_INBOUND_MESSAGE_TOO_LARGE,
  MALFORMED_FRAME: Codes.LOST_MALFORMED_FRAME,
} as const;

/**
 * sendasync / subscribe / unsubscribe results (Paho-derived), under the imp's names. The values
 * are the engine's ResultCode; only the imp's own validation codes (-5 to -9) are added here.
 */
export const OperationResult = {
  SUCCESS: Result.SUCCESS,
  FAILURE: Result.FAILURE,
  DISCONNECTED: Result.DISCONNECTED,
  /** impmqtt's choice for an outbound rate-limit hit: Paho's "maximum in-flight messages reached". */
  OUTBOUND_RATE_EXCEEDED: Result.RATE_LIMITED,
  BAD_UTF8_STRING: Codes.BAD_UTF8_STRING,
  /** A topic that is null or missing. */
  NULL_PARAMETER: Codes.NULL_PARAMETER,
  /** A topic holding U+0000: valid UTF-8, but the imp's code for "contains embedded NULs". */
  TOPICNAME_TRUNCATED: Codes.TOPICNAME_TRUNCATED,
  BAD_STRUCTURE: Codes.BAD_STRUCTURE,
  BAD_QOS: Codes.BAD_QOS,
  NO_MORE_MESSAGE_IDS: Result.NO_MORE_IDS,
  OPERATION_INCOMPLETE: Result.INCOMPLETE,
  MAX_BUFFERED_MESSAGES: Result.MAX_BUFFERED,
  /**
   * impmqtt's: the broker closed the connection each time the message was sent (the engine's
   * undeliverableAfter). The imp documents no such code; Paho's -13 (SSL not supported) is one
   * this face never reports.
   */
  UNDELIVERABLE: Result.UNDELIVERABLE,
} as const;
