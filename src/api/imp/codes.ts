/**
 * The imp API's own codes one by one, in a module that imports nothing: a bundler then puts the
 * number itself where the face uses one, and the face does not carry the tables that gather
 * them for applications (result-codes.ts). The rest are the engine's ResultCode.
 */
import type { CloseReason } from '../../session/index.js';

/** onconnect(resultCode): the socket failed (else the CONNACK return code, 0 accepted). */
export const CONNECT_SOCKET_ERROR = -1;
export const CONNECT_ACCEPTED = 0;

/** onconnectionlost(reasonCode). */
export const LOST_SOCKET = -1;
export const LOST_INBOUND_RATE_EXCEEDED = -2;
export const LOST_INBOUND_MESSAGE_TOO_LARGE = -3;
export const LOST_MALFORMED_FRAME = -4;

/** The imp's own validation codes for sendasync / subscribe / unsubscribe. */
export const BAD_UTF8_STRING = -5;
/** A topic that is null or missing. */
export const NULL_PARAMETER = -6;
/** A topic holding U+0000: valid UTF-8, but the imp's code for "contains embedded NULs". */
export const TOPICNAME_TRUNCATED = -7;
export const BAD_STRUCTURE = -8;
export const BAD_QOS = -9;

/** SUBACK's failure code, as the imp passes it in qosMode. */
export const SUBSCRIPTION_REFUSED = 0x80;

export function lostReasonFor(reason: CloseReason): number {
  switch (reason) {
    case 'rate-exceeded':
      return LOST_INBOUND_RATE_EXCEEDED;
    case 'packet-too-large':
      return LOST_INBOUND_MESSAGE_TOO_LARGE;
    case 'protocol-error':
      return LOST_MALFORMED_FRAME;
    default:
      return LOST_SOCKET;
  }
}
