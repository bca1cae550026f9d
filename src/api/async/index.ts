/** impmqtt/async: promises and async iterators on the engine, in the spirit of aiomqtt. */
export { Client, connect } from './client.js';
export type { AsyncClientEvents, AsyncClientOptions, FilterSpec, PublishOptions as AsyncPublishOptions, SubscribeOptions } from './client.js';
export type { OperationOptions } from './deadline.js';
export { MqttCodeError } from '../common/operation-errors.js';
export { Message } from './message.js';
export { Topic, Wildcard } from './topic.js';
export type { AsyncPayload } from './payload.js';
export { MqttError } from '../../errors.js';
