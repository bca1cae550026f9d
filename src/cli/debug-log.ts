/**
 * `-d`: each packet as libmosquitto 2.0's client log prints it (lib/send_*.c, lib/handle_*.c),
 * so a debug log reads line for line as mosquitto_pub's or mosquitto_sub's. The wording differs
 * by direction (a PUBACK sent is "(m1, rc0)", one received "(Mid: 1, RC:0)"), a SUBSCRIBE or
 * UNSUBSCRIBE takes one line per topic, and nothing about credentials is ever shown.
 */
import type { Packet } from '../packet/index.js';

export class DebugLog {
  /**
   * libmosquitto gives every PUBLISH a message id, QoS 0 ones too, from the counter its
   * SUBSCRIBEs and QoS 1/2 PUBLISHes use: a QoS 0 PUBLISH sent shows the id after the last one.
   */
  #lastMid = 0;

  sent(packet: Packet): string[] {
    switch (packet.type) {
      case 'connect':
        return ['CONNECT'];
      case 'publish': {
        const mid = packet.packetId ?? (this.#lastMid % 65_535) + 1;
        this.#lastMid = mid;
        return [publish(packet, mid)];
      }
      case 'puback':
      case 'pubrec':
        return [`${packet.type.toUpperCase()} (m${packet.packetId}, rc0)`];
      case 'pubrel':
      case 'pubcomp':
        return [`${packet.type.toUpperCase()} (m${packet.packetId})`];
      case 'subscribe':
        this.#lastMid = packet.packetId;
        // 3.1.1 has no subscription options: libmosquitto prints their byte, 0x00.
        return packet.subscriptions.map((s) => `SUBSCRIBE (Mid: ${packet.packetId}, Topic: ${s.topic}, QoS: ${s.qos}, Options: 0x00)`);
      case 'unsubscribe':
        this.#lastMid = packet.packetId;
        return packet.topics.map((topic) => `UNSUBSCRIBE (Mid: ${packet.packetId}, Topic: ${topic})`);
      default:
        return [packet.type.toUpperCase()];
    }
  }

  received(packet: Packet): string[] {
    switch (packet.type) {
      case 'connack':
        return [`CONNACK (${packet.returnCode})`];
      case 'publish':
        return [publish(packet, packet.packetId ?? 0)];
      case 'puback':
      case 'pubcomp':
        return [`${packet.type.toUpperCase()} (Mid: ${packet.packetId}, RC:0)`]; // 3.1.1: no reason code, shown as 0
      case 'pubrec':
      case 'pubrel':
        return [`${packet.type.toUpperCase()} (Mid: ${packet.packetId})`];
      default:
        return [packet.type.toUpperCase()]; // SUBACK, UNSUBACK, PINGRESP: the type alone
    }
  }
}

function publish(packet: Extract<Packet, { type: 'publish' }>, mid: number): string {
  return `PUBLISH (d${packet.dup ? 1 : 0}, q${packet.qos}, r${packet.retain ? 1 : 0}, m${mid}, '${packet.topic}', ... (${packet.payload.length} bytes))`;
}
