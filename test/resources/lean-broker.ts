/**
 * A broker for cycle tests: it answers everything by itself (CONNACK 0 without a session, SUBACK
 * granting what was asked, UNSUBACK, PUBACK/PUBREC/PUBCOMP, PINGRESP), remembers nothing beyond
 * each connection's decoder, and logs nothing — so thousands of connections cost it nothing that
 * grows, unlike the fake broker, which logs every byte for the tests that drive it step by step.
 *
 * The client under test drives the cycles itself by what it publishes:
 *   'cut'         the broker drops the connection at once (a lost connection, unacknowledged);
 *   'cut/outage'  the same, and from then on every new connection is dropped as it arrives;
 *   'echo/…'      sent back at QoS 0 as well (an inbound message on that topic);
 *   'noack/…'     not acknowledged (a publish that stays in flight).
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { Packet } from '../../src/packet/index.js';
import { LOOPBACK, listenOnLoopback } from '../support/ports.js';

export interface LeanBrokerOptions {
  /** Leave every SUBSCRIBE unanswered (a subscription that stays pending). */
  silentOnSubscribe?: boolean;
}

export interface LeanBroker {
  readonly url: string;
  /** Connections accepted so far (dropped ones included). */
  readonly connections: number;
  /** Drop new connections as they arrive (an outage) while true. */
  refusing: boolean;
  stop(): Promise<void>;
}

export async function startLeanBroker(options: LeanBrokerOptions = {}): Promise<LeanBroker> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    if (broker.refusing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const decoder = new PacketDecoder();
    socket.on('data', (chunk: Buffer) => {
      let packets: Packet[];
      try {
        packets = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      const replies: Packet[] = [];
      for (const packet of packets) {
        if (packet.type === 'publish' && packet.topic.startsWith('cut')) {
          if (packet.topic === 'cut/outage') broker.refusing = true;
          if (replies.length > 0) socket.write(Buffer.concat(replies.map((p) => encode(p))));
          socket.destroy();
          return;
        }
        answer(packet, replies, options);
      }
      if (replies.length > 0) socket.write(Buffer.concat(replies.map((p) => encode(p))));
    });
  });
  server.on('error', () => {});
  const port = await listenOnLoopback(server);
  let stopping: Promise<void> | undefined;
  const broker: LeanBroker = {
    url: `mqtt://${LOOPBACK}:${port}`,
    get connections() {
      return connections;
    },
    refusing: false,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
  return broker;
}

function answer(packet: Packet, replies: Packet[], options: LeanBrokerOptions): void {
  switch (packet.type) {
    case 'connect':
      replies.push({ type: 'connack', returnCode: 0, sessionPresent: false });
      return;
    case 'subscribe':
      if (!options.silentOnSubscribe) replies.push({ type: 'suback', packetId: packet.packetId, granted: packet.subscriptions.map((s) => s.qos) });
      return;
    case 'unsubscribe':
      replies.push({ type: 'unsuback', packetId: packet.packetId });
      return;
    case 'pingreq':
      replies.push({ type: 'pingresp' });
      return;
    case 'pubrel':
      replies.push({ type: 'pubcomp', packetId: packet.packetId });
      return;
    case 'publish':
      if (packet.topic.startsWith('echo/')) replies.push({ type: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, dup: false, retain: false });
      if (packet.topic.startsWith('noack/') || packet.qos === 0) return;
      replies.push(packet.qos === 1 ? { type: 'puback', packetId: packet.packetId! } : { type: 'pubrec', packetId: packet.packetId! });
      return;
    default:
      return;
  }
}
