/**
 * The imp API's three code spaces, kept apart because the same number means different things
 * in each (imp-api.md §9.1).
 */
import * as Result from '../../session/result-codes.js';
import type { CloseReason } from '../../session/index.js';

/** onconnect(resultCode): -1 socket failure, else the CONNACK return code 0–5. */
export const ConnectResult = {
  SOCKET_ERROR: -1,
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** onconnectionlost(reasonCode). */
export const ConnectionLostReason = {
  SOCKET: -1,
  INBOUND_RATE_EXCEEDED: -2,
  INBOUND_MESSAGE_TOO_LARGE: -3,
  MALFORMED_FRAME: -4,
} as const;

/**
 * sendasync / subscribe / unsubscribe results (Paho-derived), under the imp's names. The values
 * are the engine's ResultCode; only the imp's own validation codes (-5, -7, -8, -9) are added here.
 */
export const OperationResult = {
  SUCCESS: Result.SUCCESS,
  FAILURE: Result.FAILURE,
  DISCONNECTED: Result.DISCONNECTED,
  /** impmqtt's choice for an outbound rate-limit hit: Paho's "maximum in-flight messages reached". */
  OUTBOUND_RATE_EXCEEDED: Result.RATE_LIMITED,
  BAD_UTF8_STRING: -5,
  /** A topic holding U+0000: valid UTF-8, but the imp's code for "contains embedded NULs". */
  TOPICNAME_TRUNCATED: -7,
  BAD_STRUCTURE: -8,
  BAD_QOS: -9,
  NO_MORE_MESSAGE_IDS: Result.NO_MORE_IDS,
  OPERATION_INCOMPLETE: Result.INCOMPLETE,
  MAX_BUFFERED_MESSAGES: Result.MAX_BUFFERED,
} as const;

/** SUBACK's failure code, as the imp passes it in qosMode. */
export const SUBSCRIPTION_REFUSED = 0x80;

export function lostReasonFor(reason: CloseReason): number {
  switch (reason) {
    case 'rate-exceeded':
      return ConnectionLostReason.INBOUND_RATE_EXCEEDED;
    case 'packet-too-large':
      return ConnectionLostReason.INBOUND_MESSAGE_TOO_LARGE;
    case 'protocol-error':
      return ConnectionLostReason.MALFORMED_FRAME;
    default:
      return ConnectionLostReason.SOCKET;
  }
}
