/**
 * Everything the tests reach for, public or not: the curated entry (src/index.ts) plus the
 * layers and internals it deliberately leaves out. Tests of the public surface itself import
 * src/index.ts directly (test/public-api.test.ts).
 */
export * from '../../src/index.js';
export { PACKET_TYPE_CODES, MAX_REMAINING_LENGTH, MAX_STRING_BYTES, encode, encodeBatch, encodeInto, encodedLength, decodePacket, PacketDecoder, validateTopicName, validateTopicFilter } from '../../src/packet/index.js';
export type { PacketType, Will, ConnectPacket, ConnackPacket, PublishPacket, PubackPacket, PubrecPacket, PubrelPacket, PubcompPacket, SubscribePacket, SubackPacket, UnsubscribePacket, UnsubackPacket, PingreqPacket, PingrespPacket, DisconnectPacket, IdOnlyPacket, EmptyPacket, EncodedBatch, PacketDecoderOptions } from '../../src/packet/index.js';
export { Session, connectPacketOf, MemorySessionStore } from '../../src/session/index.js';
export type { OutgoingFlow, PublishRequest, SubscribeRequest, UnsubscribeRequest, OutboundRequest, SessionOptions, ConnectOptions, SessionAction, ConnectionState } from '../../src/session/index.js';
export { openTransport, parseBrokerUrl, redactUrl } from '../../src/transport/index.js';
export type { TransportKind, TransportOptions } from '../../src/transport/index.js';

export { PacketIdAllocator } from '../../src/session/packet-ids.js';
export { Backoff } from '../../src/client/backoff.js';
export { TokenBucket } from '../../src/api/common/token-bucket.js';
export { ImpMqttClient } from '../../src/api/imp/imp-client.js';
