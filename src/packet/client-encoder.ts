/**
 * What a client sends (plus UNSUBACK and PINGRESP, an entry each in ack.ts's table): a client's
 * encoder needs no other writer. encode.ts adds the broker's CONNACK and SUBACK for the general codec.
 */
import { fixedRemainingLength, writeFixed } from './ack.js';
import { unknownPacketType } from './encoder.js';
import { connectRemainingLength, writeConnect } from './connect.js';
import { publishRemainingLength, writePublish } from './publish.js';
import type { Packet } from './types.js';
import { subscribeRemainingLength, unsubscribeRemainingLength, writeSubscribe, writeUnsubscribe } from './subscribe.js';

export function clientRemainingLength(p: Packet): number {
  switch (p.type) {
    case 'publish':
      return publishRemainingLength(p);
    case 'connect':
      return connectRemainingLength(p);
    case 'subscribe':
      return subscribeRemainingLength(p);
    case 'unsubscribe':
      return unsubscribeRemainingLength(p);
    default:
      return fixedRemainingLength(p);
  }
}

export function clientWrite(p: Packet, target: Uint8Array, offset: number, remainingLength: number): number {
  // Only the fixed-layout packets measure 2 bytes or fewer: any other has a field of 1 byte or more besides an id.
  if (remainingLength <= 2) return writeFixed(p, target, offset, remainingLength);
  switch (p.type) {
    case 'publish':
      return writePublish(p, target, offset, remainingLength);
    case 'connect':
      return writeConnect(p, target, offset, remainingLength);
    case 'subscribe':
      return writeSubscribe(p, target, offset, remainingLength);
    case 'unsubscribe':
      return writeUnsubscribe(p, target, offset, remainingLength);
  }
  return unknownPacketType(p);
}
