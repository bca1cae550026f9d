/** impmqtt/packet: the MQTT 3.1.1 codec. Pure functions over bytes; no I/O. */
export type {
  Packet,
  PacketType,
  QoS,
  SubackCode,
  Will,
  Subscription,
  ConnectPacket,
  ConnackPacket,
  PublishPacket,
  PubackPacket,
  PubrecPacket,
  PubrelPacket,
  PubcompPacket,
  SubscribePacket,
  SubackPacket,
  UnsubscribePacket,
  UnsubackPacket,
  PingreqPacket,
  PingrespPacket,
  DisconnectPacket,
  IdOnlyPacket,
  EmptyPacket,
} from './types.js';
export { PACKET_TYPE_CODES, MAX_REMAINING_LENGTH, MAX_STRING_BYTES } from './types.js';
export { MqttError, MqttProtocolError } from '../errors.js';
export type { ErrorCode, ErrorOrigin, ProtocolErrorCode, UsageErrorCode, ConnectionErrorCode } from '../errors.js';
export { encode, encodeBatch, encodeInto, encodedLength } from './encode.js';
export type { EncodedBatch } from './encode.js';
export { decodePacket } from './decode.js';
export { PacketDecoder } from './decoder.js';
export type { PacketDecoderOptions } from './decoder.js';
export {
  validateTopicName,
  validateTopicFilter,
  isValidTopicName,
  isValidTopicFilter,
  topicMatches,
} from './topic.js';
