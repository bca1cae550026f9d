/**
 * impmqtt: an MQTT 3.1.1 client with zero runtime dependencies. This entry is the curated
 * surface: the engine, the errors, the result codes and the faces. The codec and the sans-I/O
 * session have their own entries (impmqtt/packet, impmqtt/session), as does each face.
 */
export { MqttClient, DEFAULT_MAX_PACKET_SIZE } from './client/index.js';
export type {
  ClientEvents,
  ClientHooks,
  ClientOptions,
  ClientState,
  InboundRefusal,
  OutboundAdmission,
  Payload,
  PublishCallback,
  PublishOptions,
  RestoredMessage,
  SessionStoreProvider,
  SubscribeCallback,
  UnsubscribeCallback,
  WillOptions,
  BackoffOptions,
} from './client/index.js';
export { MqttError, MqttProtocolError } from './errors.js';
export type { ErrorCode, ErrorOrigin, ProtocolErrorCode, UsageErrorCode, ConnectionErrorCode } from './errors.js';
export { ResultCode } from './session/index.js';
export type { CloseReason, InboundMessage, SessionStore } from './session/index.js';
export { topicMatches, isValidTopicName, isValidTopicFilter } from './packet/index.js';
export type { Packet, QoS, SubackCode, Subscription } from './packet/index.js';
export type { Endpoint, TlsOptions, Transport, TransportEvents, TransportFactory, WebSocketOptions } from './transport/index.js';
export * from './api/imp/index.js';
export { connect, Client, Message, MqttCodeError, Topic, Wildcard } from './api/async/index.js';
export type { AsyncClientEvents, AsyncClientOptions, AsyncPayload, AsyncPublishOptions, FilterSpec, OperationOptions, SubscribeOptions } from './api/async/index.js';
export { MqttMessageQueue, MessageEnvelope, MessagingCapabilities } from './api/queue/index.js';
export type { ConfigValues, EnvelopeBody, MessageReceiver, QueueEvents } from './api/queue/index.js';
