/**
 * What a client sends (plus UNSUBACK and PINGRESP, a case label each): a client's encoder needs
 * no other writer. encode.ts adds the broker's CONNACK and SUBACK for the general codec.
 */
import { idOnlyRemainingLength, writeIdOnly } from './ack.js';
import { connectRemainingLength, writeConnect } from './connect.js';
import { FIXED_FIRST_BYTE, unknownPacketType, writeEmpty } from './encoder.js';
import { publishRemainingLength, writePublish } from './publish.js';
import type { Packet } from './types.js';
import { subscribeRemainingLength, unsubscribeRemainingLength, writeSubscribe, writeUnsubscribe } from './subscribe.js';

export function clientRemainingLength(p: Packet): number {
  switch (p.type) {
    case 'publish':
      return publishRemainingLength(p);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return idOnlyRemainingLength(p);
    case 'connect':
      return connectRemainingLength(p);
    case 'subscribe':
      return subscribeRemainingLength(p);
    case 'unsubscribe':
      return unsubscribeRemainingLength(p);
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return 0;
    default:
      return unknownPacketType(p);
  }
}

export function clientWrite(p: Packet, target: Uint8Array, offset: number, remainingLength: number): number {
  switch (p.type) {
    case 'publish':
      return writePublish(p, target, offset, remainingLength);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return writeIdOnly(FIXED_FIRST_BYTE[p.type], p.packetId, target, offset);
    case 'connect':
      return writeConnect(p, target, offset, remainingLength);
    case 'subscribe':
      return writeSubscribe(p, target, offset, remainingLength);
    case 'unsubscribe':
      return writeUnsubscribe(p, target, offset, remainingLength);
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return writeEmpty(p.type, target, offset);
    default:
      return unknownPacketType(p);
  }
}
