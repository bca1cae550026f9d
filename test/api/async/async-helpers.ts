/**
 * Shared by the async face's integration suites: bounded waits on promises and iterators,
 * clients registered for cleanup, and the broker list the shared scenarios run against.
 */
import { afterEach, expect } from 'vitest';
import { Client, MqttError } from '../../../src/api/async/index.js';
import type { AsyncClientOptions, Message } from '../../../src/api/async/index.js';
import { Cleanup, WAIT_MS, uniqueId } from '../../client/helpers.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';

export { WAIT_MS };

/** `promise`, or a rejection naming `what` after `ms` — a bound against hangs, never a timing assertion. */
export function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next message of an iterator, bounded. */
export async function nextMessage(iterator: AsyncIterator<Message>, what = 'a message', ms = WAIT_MS): Promise<Message> {
  const result = await bounded(iterator.next(), what, ms);
  if (result.done === true) throw new Error(`The iteration ended while waiting for ${what}`);
  return result.value;
}

/** A connected async client, disconnected (whatever its state) at cleanup. */
export async function connected(cleanup: Cleanup, url: string, options: AsyncClientOptions = {}): Promise<Client> {
  const client = cleanup.add(new Client(url, { clientId: uniqueId('async'), ...options }), (c) => c.disconnect());
  await client.connect();
  return client;
}

/** A not yet connected client, disconnected at cleanup. */
export function unconnected(cleanup: Cleanup, url: string, options: AsyncClientOptions = {}): Client {
  return cleanup.add(new Client(url, { clientId: uniqueId('async'), ...options }), (c) => c.disconnect());
}

/**
 * A client connected to the fake broker (CONNECT accepted with CONNACK 0), disconnected at cleanup.
 * The connect has a bound of its own (WAIT_MS, the default `timeout`), so a short `timeout` given
 * for the operations under test is not raced by the connect on a loaded machine.
 */
export async function connectedOnFake(cleanup: Cleanup, broker: FakeBroker, options: AsyncClientOptions = {}): Promise<{ client: Client; conn: FakeConnection }> {
  const client = unconnected(cleanup, broker.url, { connectTimeout: WAIT_MS, ...options });
  const [conn] = await Promise.all([broker.acceptNext().then((accepted) => accepted.conn), client.connect({ timeout: WAIT_MS })]);
  return { client, conn };
}

/** The rejection of `promise` (bounded); fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>, what: string, ms = WAIT_MS): Promise<unknown> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await bounded(promise, what, ms) };
  } catch (error) {
    outcome = { error };
  }
  if ('value' in outcome) throw new Error(`Expected ${what} to reject, it resolved with ${String(outcome.value)}`);
  return outcome.error;
}

/** Asserts `error` is an MqttError with `code`; returns it typed. */
export function expectMqttError(error: unknown, code: string): MqttError {
  expect(error).toBeInstanceOf(MqttError);
  expect((error as MqttError).code).toBe(code);
  return error as MqttError;
}

/** Well under the 10 s default operation timeout: a failure that must be immediate is bounded by this. */
export const PROMPTLY = 2_000;

/**
 * For the suites against the scripted broker (integration-faults, integration-timeouts-errors,
 * integration-acks-disposal): call once at the top of a file. A cleanup run after each test,
 * fake brokers (answering PINGREQ) that it stops, and a client connected to one.
 */
export function useScriptedBroker(): {
  cleanup: Cleanup;
  fakeBroker(): Promise<FakeBroker>;
  connectFake(broker: FakeBroker, options?: AsyncClientOptions): Promise<{ client: Client; conn: FakeConnection }>;
} {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  return {
    cleanup,
    fakeBroker: async () => cleanup.broker(await startFakeBroker({ autoPingresp: true })),
    connectFake: (broker, options = {}) => connectedOnFake(cleanup, broker, options),
  };
}
