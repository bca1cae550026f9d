/**
 * Result codes for operations (publish, subscribe, unsubscribe), in the Paho-derived space the
 * imp API documents. Connection-lost reasons are a separate space: see CloseReason.
 */
export const ResultCode = {
  SUCCESS: 0,
  /** Generic failure; the socket failed. */
  FAILURE: -1,
  /** The client is not connected. */
  DISCONNECTED: -3,
  /** A face's limit (an admission hook) refused the request: nothing was sent. */
  RATE_LIMITED: -4,
  /** All 65,535 packet identifiers are held by open flows. */
  NO_MORE_IDS: -10,
  /** The operation was cut off part way (the connection dropped with it in flight). */
  INCOMPLETE: -11,
  /** The buffered-message limit was exceeded. */
  MAX_BUFFERED: -12,
} as const;

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
