/**
 * Small helpers for the client tests: waiting for client events (bounded, never timing
 * assertions), collecting messages, promise forms of publish/subscribe/disconnect, and a
 * cleanup list so every client and broker a test starts is stopped by that test.
 */
import { MqttClient } from '../support/internals.js';
import type { ClientEvents, ClientOptions, InboundMessage, PublishOptions, ResultCode, SubackCode, Subscription } from '../support/internals.js';

/** Generous bound for waits: a guard against hangs, not a timing assertion. */
export const WAIT_MS = 10_000;

const text = new TextDecoder();
export const utf8 = (bytes: Uint8Array): string => text.decode(bytes);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets pending microtasks and one macrotask turn run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type EventArg<K extends keyof ClientEvents> = Parameters<ClientEvents[K]>[0];

/** The next `event` from `client` (its first argument); rejects after `timeoutMs`. */
export function waitFor<K extends keyof ClientEvents>(client: MqttClient, event: K, timeoutMs = WAIT_MS): Promise<EventArg<K>> {
  return new Promise((resolve, reject) => {
    const listener = ((arg: EventArg<K>) => {
      clearTimeout(timer);
      resolve(arg);
    }) as unknown as ClientEvents[K];
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`No '${String(event)}' event within ${timeoutMs} ms (client state ${client.state})`));
    }, timeoutMs);
    client.once(event, listener);
  });
}

/** Resolves once `predicate()` holds, polling; rejects after `timeoutMs` naming `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface Collector {
  readonly messages: InboundMessage[];
  /** Resolves with the messages once at least `n` have arrived (bounded). */
  wait(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  stop(): void;
}

/** Collects every 'message' from `client`, optionally only those on `topic`. */
export function collectMessages(client: MqttClient, topic?: string): Collector {
  const messages: InboundMessage[] = [];
  const listener = (message: InboundMessage): void => {
    // The payload is a view of the received bytes; keep a copy.
    if (topic === undefined || message.topic === topic) messages.push({ ...message, payload: Uint8Array.from(message.payload) });
  };
  client.on('message', listener);
  return {
    messages,
    wait: async (n, timeoutMs = WAIT_MS) => {
      await until(() => messages.length >= n, `${n} message(s) (got ${messages.length})`, timeoutMs).catch(() => {
        throw new Error(`Expected ${n} message(s)${topic === undefined ? '' : ` on ${topic}`}, got ${messages.length} within ${timeoutMs} ms`);
      });
      return messages;
    },
    stop: () => client.off('message', listener),
  };
}

export function publishAsync(client: MqttClient, topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<ResultCode> {
  return new Promise((resolve) => client.publish(topic, payload, options, resolve));
}

export function subscribeAsync(client: MqttClient, subscriptions: Subscription[]): Promise<{ result: ResultCode; granted: SubackCode[] }> {
  return new Promise((resolve) => client.subscribe(subscriptions, (result, granted) => resolve({ result, granted })));
}

export function unsubscribeAsync(client: MqttClient, topics: string[]): Promise<ResultCode> {
  return new Promise((resolve) => client.unsubscribe(topics, resolve));
}

export function disconnectAsync(client: MqttClient, drainTimeout?: number, timeoutMs = WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`disconnect() did not complete within ${timeoutMs} ms`)), timeoutMs);
    client.disconnect(() => {
      clearTimeout(timer);
      resolve();
    }, drainTimeout);
  });
}

/**
 * Things a test started, stopped in reverse order by `run()` (call it from afterEach). Each
 * stop is awaited and its failure kept, so one failing stop does not leak the others.
 */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add<T>(thing: T, stop: (thing: T) => unknown): T {
    this.steps.push(() => stop(thing));
    return thing;
  }

  /** A client to be destroyed at the end (destroy() is safe in any state). */
  client(client: MqttClient): MqttClient {
    return this.add(client, (c) => c.destroy());
  }

  /** A broker (or anything else with stop()). */
  broker<T extends { stop(): Promise<void> }>(broker: T): T {
    return this.add(broker, (b) => b.stop());
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

let clientCounter = 0;

/** A unique client id per call, readable in broker logs. */
export function uniqueId(prefix = 'impmqtt-test'): string {
  return `${prefix}-${process.pid}-${++clientCounter}-${Math.floor(Math.random() * 1e6)}`;
}

/** A client (registered for cleanup) that is not yet connecting. */
export function makeClient(cleanup: Cleanup, options: ClientOptions): MqttClient {
  return cleanup.client(new MqttClient({ reconnect: false, ...options }));
}

/** A client that has connected (CONNACK 0), registered for cleanup. */
export async function connectedClient(cleanup: Cleanup, options: ClientOptions): Promise<MqttClient> {
  const client = makeClient(cleanup, options);
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No connection to ${client.url} within ${WAIT_MS} ms`)), WAIT_MS);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.once('connectfailed', ({ error, returnCode }) => {
      clearTimeout(timer);
      reject(new Error(`connectfailed (returnCode ${String(returnCode)}): ${error.message}`));
    });
  });
  client.connect();
  await connected;
  return client;
}
