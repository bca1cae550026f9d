/** impmqtt/session: the sans-I/O MQTT 3.1.1 client state machine. */
export { Session, connectPacketOf } from './session.js';
export { ResultCode } from './outcomes.js';
export type { CloseReason } from './outcomes.js';
export { MemorySessionStore } from './store.js';
export type { SessionStore, OutgoingFlow } from './store.js';
export type {
  PublishRequest,
  SubscribeRequest,
  UnsubscribeRequest,
  OutboundRequest,
  InboundMessage,
  SessionOptions,
  ConnectOptions,
  SessionAction,
  ConnectionState,
} from './types.js';
