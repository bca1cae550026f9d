/** Field checks shared by the packet families' encoders and decoders. */
import { protocolError, typeOf } from '../errors.js';
import type { QoS } from './types.js';
import { MAX_STRING_BYTES, packetName } from './types.js';

/** A packet identifier in 1..65535 [MQTT-2.3.1-1]; `packet` names the packet ('PUBACK', or its type: 'puback'). */
export function checkPacketId(id: number | undefined, packet: string): number {
  if (!Number.isInteger(id) || id! < 1 || id! > 65_535) badPacketId(id, packet);
  return id!;
}

// The refusals are functions of their own, so the checks stay small enough for V8 to inline on the hot paths.
function badPacketId(id: unknown, packet: string): never {
  return protocolError('INVALID_PACKET_ID', `${packet.toUpperCase()}'s packet identifier must be 1..65535, got ${String(id)}`, 'MQTT-2.3.1-1');
}

export function checkQos(qos: unknown, what: string, statement?: string): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) badQos(qos, what, statement);
  return qos as QoS;
}

function badQos(qos: unknown, what: string, statement: string | undefined): never {
  return protocolError('INVALID_QOS', `${what} must be 0, 1 or 2, got ${String(qos)}`, statement);
}

/** Bytes, and for a length-prefixed field (`limit`) no more than 65,535 of them. */
export function checkBinary(data: unknown, what: string, limit = MAX_STRING_BYTES): Uint8Array {
  if (!(data instanceof Uint8Array)) notBytes(data, what);
  if (data.length > limit) tooLong(what, data.length);
  return data;
}

function notBytes(data: unknown, what: string): never {
  return protocolError('MALFORMED_PACKET', `${what} must be a Uint8Array, got ${typeOf(data)}`);
}

/** A length-prefixed field over its 16-bit length (1.5.3). */
export function tooLong(what: string, bytes: number): never {
  return protocolError('STRING_TOO_LONG', `${what} must be ${MAX_STRING_BYTES} bytes or less, got ${bytes}`);
}

/**
 * Checks a received first byte: a known packet type, and for every type but PUBLISH the flag
 * bits Table 2.2 fixes (0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE; 0000 otherwise)
 * [MQTT-2.2.2-2]. Returns the type code. Runs before any body is buffered.
 */
export function checkFixedFlags(firstByte: number): number {
  const typeCode = firstByte >>> 4;
  if (typeCode === 0 || typeCode === 15) {
    protocolError('UNKNOWN_PACKET_TYPE', `Packet type ${typeCode} is reserved`);
  }
  if (typeCode !== 3) {
    const expected = typeCode === 6 || typeCode === 8 || typeCode === 10 ? 2 : 0;
    if ((firstByte & 0x0f) !== expected) {
      // PUBREL's, SUBSCRIBE's and UNSUBSCRIBE's own statements [MQTT-3.6.1-1, -3.8.1-1, -3.10.1-1].
      protocolError('RESERVED_FLAGS', `${packetName(typeCode)}'s flags must be ${expected}, got ${firstByte & 0x0f}`, expected ? `MQTT-3.${typeCode}.1-1` : 'MQTT-2.2.2-2');
    }
  } else if ((firstByte & 0x06) === 0x06) {
    checkQos(3, 'PUBLISH QoS', 'MQTT-3.3.1-4');
  }
  return typeCode;
}
