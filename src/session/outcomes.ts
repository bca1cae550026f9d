/**
 * Result codes for operations (publish, subscribe, unsubscribe), in the Paho-derived space the
 * imp API documents. Connection-lost reasons are a separate space: see CloseReason.
 */
import { DISCONNECTED, FAILURE, INCOMPLETE, MAX_BUFFERED, NO_MORE_IDS, RATE_LIMITED, SUCCESS, UNDELIVERABLE } from './result-codes.js';

export const ResultCode = { SUCCESS, FAILURE, DISCONNECTED, RATE_LIMITED, NO_MORE_IDS, INCOMPLETE, MAX_BUFFERED, UNDELIVERABLE } as const;

export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

/** Why a connection ended, as the session reports it in its `close` action. */
export type CloseReason =
  /** The application asked to disconnect (DISCONNECT was sent). */
  | 'normal'
  /** The broker refused the CONNECT (see the connack action's return code). */
  | 'refused'
  /** The transport failed or the peer closed it. */
  | 'transport'
  /** The broker broke the protocol: malformed or unexpected packet [MQTT-4.8.0-1]. */
  | 'protocol-error'
  /** An inbound packet exceeded the configured size limit. */
  | 'packet-too-large'
  /** No CONNACK arrived in time. */
  | 'connack-timeout'
  /** No PINGRESP (or anything else) arrived in time after a PINGREQ. */
  | 'keepalive-timeout'
  /** The inbound rate limit was exceeded. */
  | 'rate-exceeded';
