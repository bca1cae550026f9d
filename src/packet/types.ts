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

/** @internal The packet types in type-code order: PACKET_TYPES[code - 1] is the type of code `code`. */
export const PACKET_TYPES: readonly PacketType[] = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
];

/** @internal A packet type's name as the specification writes it ('PUBACK'), from its type code. */
export function packetName(typeCode: number): string {
  return PACKET_TYPES[typeCode - 1]!.toUpperCase();
}

/** Control packet type numbers, the high nibble of the first byte (Table 2.1). */
export const PACKET_TYPE_CODES: {
  readonly connect: 1;
  readonly connack: 2;
  readonly publish: 3;
  readonly puback: 4;
  readonly pubrec: 5;
  readonly pubrel: 6;
  readonly pubcomp: 7;
  readonly subscribe: 8;
  readonly suback: 9;
  readonly unsubscribe: 10;
  readonly unsuback: 11;
  readonly pingreq: 12;
  readonly pingresp: 13;
  readonly disconnect: 14;
} = /* @__PURE__ */ Object.fromEntries(/* @__PURE__ */ PACKET_TYPES.map((type, i) => [type, i + 1])) as never;

/** The largest value the four-byte Remaining Length can carry (2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;
/** Strings and binary fields carry a 16-bit length prefix (1.5.3). */
export const MAX_STRING_BYTES = 65_535;
