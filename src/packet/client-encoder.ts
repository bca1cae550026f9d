/**
 * What a client sends (plus UNSUBACK and PINGRESP, fixed-layout packets like its acks): a client's
 * encoder needs no other writer. encode.ts adds the broker's CONNACK and SUBACK for the general codec.
 *
 * Both switches name every type, the fixed-layout ones too, rather than leaving those to a default
 * branch: measured on Node 20 (instructions, the client's path bundled), the shorter dispatchers
 * let V8 inline PUBLISH's writer into the encoder's caller and then left its helpers as calls,
 * 1.11x the instructions per PUBLISH encoded; with both lists it stays 1.00x.
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
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return fixedRemainingLength(p);
    case 'connect':
      return connectRemainingLength(p);
    case 'subscribe':
      return subscribeRemainingLength(p);
    case 'unsubscribe':
      return unsubscribeRemainingLength(p);
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
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return writeFixed(p, target, offset, remainingLength);
    case 'connect':
      return writeConnect(p, target, offset, remainingLength);
    case 'subscribe':
      return writeSubscribe(p, target, offset, remainingLength);
    case 'unsubscribe':
      return writeUnsubscribe(p, target, offset, remainingLength);
    default:
      return unknownPacketType(p);
  }
}
