/** The imp-style API: Electric Imp's mqtt / mqttclient / mqttmessage on impmqtt. */
export { mqtt, createMqtt } from './mqtt.js';
export type { ImpMqtt, ImpAgentOptions } from './mqtt.js';
/** The class, for types and instanceof; instances come from mqtt.createclient(). */
export type { ImpMqttClient } from './imp-client.js';
export type {
  ImpClientConfig,
  ImpConnectOptions,
  ImpMessageItem,
  ConnectHandler,
  ConnectionLostHandler,
  MessageHandler,
  SubscribeCallback as ImpSubscribeCallback,
  UnsubscribeCallback as ImpUnsubscribeCallback,
} from './imp-client.js';
export { ImpMqttMessage } from './message.js';
export type { SendCallback } from './message.js';
export { ImpBlob } from './blob.js';
export type { StringOrBlob } from './blob.js';
export { ConnectResult, ConnectionLostReason, OperationResult, SUBSCRIPTION_REFUSED } from './result-codes.js';
export type { BucketOptions } from '../common/token-bucket.js';
export type { ImpRateLimits } from './limits.js';
