/** The core client every face is built on. */
export { MqttClient } from './mqtt-client.js';
export type { ClientEvents, ClientState, PublishCallback, PublishOptions, SubscribeCallback, UnsubscribeCallback } from './events.js';
export type { ClientOptions, WillOptions } from './options.js';
export { DEFAULT_MAX_PACKET_SIZE } from './options.js';
export type { BackoffOptions } from './backoff.js';
export { Backoff } from './backoff.js';

