/** The engine every face is built on. */
export { MqttClient } from './mqtt-client.js';
export type { ClientEvents, ClientState, Completion, PublishCallback, PublishOptions, RestoredMessage, SubscribeCallback, UnsubscribeCallback } from './events.js';
export type { ClientOptions, SessionStoreProvider, WillOptions } from './options.js';
export { DEFAULT_MAX_PACKET_SIZE } from './options.js';
/** @internal For the faces' own timers. */
export { MAX_TIMER_MS } from './timers.js';
/** @internal For the faces that build a URL from a host setting (the CLI's -h). */
export { hostMisreadInUrl } from '../transport/url.js';
export type { ClientHooks, InboundRefusal, OutboundAdmission } from './hooks.js';
export type { Payload } from './payload.js';
export type { BackoffOptions } from './backoff.js';
