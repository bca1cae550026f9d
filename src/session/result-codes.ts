/**
 * The result codes one by one (ResultCode gathers them for applications). The engine imports
 * them from here, so a bundler puts the number itself where one is used, not a property read.
 */
export const SUCCESS = 0;
/** Generic failure; the socket failed. */
export const FAILURE = -1;
/** The client is not connected. */
export const DISCONNECTED = -3;
/** A face's limit (an admission hook) refused the request: nothing was sent. */
export const RATE_LIMITED = -4;
/** All 65,535 packet identifiers are held by open flows. The session never reports it (such a request waits for an id); kept for the faces' code tables. */
export const NO_MORE_IDS = -10;
/** The operation was cut off part way (the connection dropped with it in flight). */
export const INCOMPLETE = -11;
/** The buffered-message limit was exceeded. */
export const MAX_BUFFERED = -12;
/**
 * The broker closed the connection each time this publish was sent (undeliverableAfter times):
 * how a broker refuses a PUBLISH it does not authorize [MQTT-3.3.5-2].
 */
export const UNDELIVERABLE = -13;
