/**
 * A transport the test drives by hand, for the core client's regression suites
 * (regressions-*.test.ts): every write recorded, write() answering `writable`, drain, open and
 * close fired by the test; and a client connected through one.
 */
import { PacketDecoder, encode } from '../support/internals.js';
import type { MqttClient, Packet, Transport, TransportEvents, TransportFactory } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { makeClient, until, waitFor } from './helpers.js';
import type { Cleanup } from './helpers.js';

export interface Manual {
  factory: TransportFactory;
  writes: Uint8Array[];
  writable: boolean;
  ended: boolean;
  destroyed: boolean;
  /** What the transport reports as accepted but not yet sent. */
  unsent: number;
  packets(): Packet[];
  events(): TransportEvents;
  transport(): Transport;
}

/** A transport the test drives by hand: write() answers `writable`, drain is manual. */
export function manualTransport(options: { closeOnEnd?: Error; openAfterEnd?: boolean } = {}): Manual {
  let events: TransportEvents | undefined;
  let transport: Transport | undefined;
  const manual: Manual = {
    writes: [],
    writable: true,
    ended: false,
    destroyed: false,
    unsent: 0,
    factory: (_endpoint, _options, e) => {
      events = e;
      let closed = false;
      const close = (error?: Error): void => {
        if (closed) return;
        closed = true;
        queueMicrotask(() => e.close(error));
      };
      transport = {
        write: (chunk) => {
          manual.writes.push(Uint8Array.from(chunk));
          return manual.writable;
        },
        end: () => {
          manual.ended = true;
          if (!options.openAfterEnd) close(options.closeOnEnd);
        },
        destroy: () => {
          manual.destroyed = true;
          close();
        },
        unsentBytes: () => manual.unsent,
      };
      queueMicrotask(() => e.open());
      return transport;
    },
    packets: () => {
      const decoder = new PacketDecoder();
      return manual.writes.flatMap((w) => decoder.push(w));
    },
    events: () => events!,
    transport: () => transport ?? manual.factory({} as never, {}, { open() {}, data() {}, drain() {}, close() {} }),
  };
  return manual;
}

/** A client connected through `manual`: CONNECT written, CONNACK 0 fed back. */
export async function connectedManual(cleanup: Cleanup, manual: Manual): Promise<MqttClient> {
  const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manual.factory });
  const connected = waitFor(client, 'connect');
  client.connect();
  await until(() => manual.writes.length === 1, 'the CONNECT write');
  manual.events().data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  await connected;
  return client;
}
