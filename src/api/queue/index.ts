/** impmqtt/queue: Pip.Services' MqttMessageQueue and MessageEnvelope, wire-compatible. */
export { MqttMessageQueue } from './mqtt-message-queue.js';
export type { MessageReceiver, QueueEvents } from './mqtt-message-queue.js';
export { MessageEnvelope } from './envelope.js';
export type { EnvelopeBody } from './envelope.js';
export { MessagingCapabilities } from './capabilities.js';
export type { ConfigValues } from './config.js';
export { MqttError } from '../../errors.js';
