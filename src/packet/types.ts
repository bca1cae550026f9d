/** The MQTT 3.1.1 control packets as plain data, discriminated on `type`. */

export type QoS = 0 | 1 | 2;
/** A SUBACK return code: the granted QoS, or 0x80 for a refused filter. */
export type SubackCode = 0 | 1 | 2 | 0x80;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  type: 'connect';
  clientId: string;
  /** Seconds; 0 turns keepalive off. */
  keepalive: number;
  cleanSession: boolean;
  will?: Will;
  username?: string;
  password?: Uint8Array;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** 0 accepted; 1–5 the refusals of Table 3.1. */
  returnCode: number;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  dup: boolean;
  retain: boolean;
  /** Present exactly when qos > 0 [MQTT-2.3.1-5]. */
  packetId?: number;
}

export interface PubackPacket { type: 'puback'; packetId: number }
export interface PubrecPacket { type: 'pubrec'; packetId: number }
export interface PubrelPacket { type: 'pubrel'; packetId: number }
export interface PubcompPacket { type: 'pubcomp'; packetId: number }
export interface UnsubackPacket { type: 'unsuback'; packetId: number }

export interface Subscription {
  topic: string;
  qos: QoS;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  granted: SubackCode[];
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topics: string[];
}

export interface PingreqPacket { type: 'pingreq' }
export interface PingrespPacket { type: 'pingresp' }
export interface DisconnectPacket { type: 'disconnect' }

/** Packets whose whole body is a packet identifier. */
export type IdOnlyPacket = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket | UnsubackPacket;
/** Packets with no body at all. */
export type EmptyPacket = PingreqPacket | PingrespPacket | DisconnectPacket;

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | IdOnlyPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | EmptyPacket;

export type PacketType = Packet['type'];

/** Control packet type numbers, the high nibble of the first byte (Table 2.1). */
export const PACKET_TYPE_CODES = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const satisfies Record<PacketType, number>;

/** The largest value the four-byte Remaining Length can carry (2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;
/** Strings and binary fields carry a 16-bit length prefix (1.5.3). */
export const MAX_STRING_BYTES = 65_535;
