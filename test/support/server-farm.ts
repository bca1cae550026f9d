/**
 * A farm of scripted in-memory servers for the reconnection tests: each server (by port, from
 * 1883 up) behaves one way on every connection — accepts, accepts and drops at once, refuses
 * at TCP level, never answers, fails its TLS handshake, or refuses with CONNACK 3. Nothing
 * touches a socket; the test drives time with fake timers. Every packet the client writes is
 * decoded and kept, per connection.
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { MqttClient, PacketDecoder, encode } from './internals.js';
import type { ClientOptions, Packet, TransportEvents, TransportFactory } from './internals.js';

export type Behaviour =
  /** CONNACK 0, then stays up until the test (or the client) closes it. */
  | 'accept'
  /** CONNACK 0, then drops the connection at once (a sick cluster node behind a balancer). */
  | 'flap'
  /** ECONNREFUSED: nothing listens. */
  | 'refuse'
  /** The TCP handshake never completes (a black-holed address): only the connect timeout ends it. */
  | 'silent'
  /** TCP up, TLS handshake fails (a bad certificate). */
  | 'tls'
  /** CONNACK 3, server unavailable. */
  | 'unavailable'
  /** Opens, reads CONNECT, never answers: the CONNACK deadline ends it. */
  | 'mute';

export interface FarmConnection {
  server: number;
  events: TransportEvents;
  packets: Packet[];
  /** Date.now() when each packet was written (fake timers: the test's clock). */
  times: number[];
  opened: boolean;
  closed: boolean;
}

export interface Farm {
  factory: TransportFactory;
  /** The server index of every transport the client made, in order. */
  tried: number[];
  connections: FarmConnection[];
  /** The last connection not yet closed. */
  live(): FarmConnection | undefined;
  /** The broker sends `packet` on the live connection. */
  send(packet: Packet): void;
  /** The broker (or the network) drops the live connection. */
  drop(error?: Error): void;
  /** Servers' behaviours may change while the test runs. */
  behaviours: Behaviour[];
}

export const farmUrls = (n: number): string[] => Array.from({ length: n }, (_, i) => `mqtt://127.0.0.1:${1883 + i}`);

function errorWithCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface FarmOptions {
  sessionPresent?: boolean;
  /** The servers answer PINGREQ with PINGRESP (at once); default true. */
  answerPings?: boolean;
}

export function serverFarm(behaviours: Behaviour[], options: FarmOptions = {}): Farm {
  const connections: FarmConnection[] = [];
  const tried: number[] = [];
  const close = (c: FarmConnection, error?: Error): void => {
    if (c.closed) return;
    c.closed = true;
    c.events.close(error);
  };
  const farm: Farm = {
    behaviours,
    tried,
    connections,
    live: () => connections.filter((c) => !c.closed).at(-1),
    send: (packet) => {
      const c = farm.live();
      if (c?.opened) c.events.data(encode(packet));
    },
    drop: (error) => {
      const c = farm.live();
      if (c !== undefined) close(c, error);
    },
    factory: (endpoint, _options, events) => {
      const server = endpoint.port - 1883;
      const behaviour = farm.behaviours[server]!;
      tried.push(server);
      const c: FarmConnection = { server, events, packets: [], times: [], opened: false, closed: false };
      connections.push(c);
      const decoder = new PacketDecoder();
      queueMicrotask(() => {
        if (c.closed) return;
        if (behaviour === 'refuse') return close(c, errorWithCode('connect ECONNREFUSED', 'ECONNREFUSED'));
        if (behaviour === 'tls') return close(c, errorWithCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'));
        if (behaviour === 'silent') return;
        c.opened = true;
        events.open();
      });
      return {
        write: (bytes) => {
          if (c.closed) return true;
          for (const packet of decoder.push(bytes)) {
            c.packets.push(packet);
            c.times.push(Date.now());
            if (packet.type === 'pingreq' && (options.answerPings ?? true)) queueMicrotask(() => c.closed || events.data(encode({ type: 'pingresp' })));
            if (packet.type !== 'connect') continue;
            if (behaviour === 'mute') continue;
            const returnCode = behaviour === 'unavailable' ? 3 : 0;
            queueMicrotask(() => {
              if (c.closed) return;
              events.data(encode({ type: 'connack', returnCode, sessionPresent: returnCode === 0 && (options.sessionPresent ?? false) }));
              if (behaviour === 'flap') queueMicrotask(() => close(c));
            });
          }
          return true;
        },
        end: () => queueMicrotask(() => close(c)),
        destroy: () => queueMicrotask(() => close(c)),
        pause: () => {},
        resume: () => {},
      };
    },
  };
  return farm;
}

/**
 * A client of every server in the farm, on its transport, with the test's (fake) Date as its
 * clock unless `options` say otherwise. Kept in `tracked` (see farmTimers) when given.
 */
export function farmClient(farm: Farm, options: Partial<ClientOptions> & { clientId: string }, tracked?: MqttClient[]): MqttClient {
  const client = new MqttClient({ servers: farmUrls(farm.behaviours.length), transport: farm.factory, clock: () => Date.now(), ...options });
  tracked?.push(client);
  return client;
}

/**
 * Fake timers (and Date) for each test of the file. The clients in the list returned are
 * destroyed after each test, which must then leave no timer behind.
 */
export function farmTimers(): MqttClient[] {
  const clients: MqttClient[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await vi.runAllTimersAsync();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
  return clients;
}
