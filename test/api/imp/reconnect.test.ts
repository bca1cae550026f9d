/**
 * impmqtt's `reconnect` connect option (the imp has no automatic reconnection) against the imp's
 * own rules: disconnect() and close() end the connection for good [imp §2.2], connect() is the
 * one way in [imp §2.1], and one client of an agent is connected at a time [imp §1.2, §9.9].
 * While the engine waits to reconnect, the client is disconnected (connectionstate() 0), so each
 * of those calls is allowed there and must also end the waiting. Found in review: disconnect()
 * called back while the client went on reconnecting, and connect() made a second connection
 * beside the one still to come.
 */
import { describe, expect, it } from 'vitest';
import { createMqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { fakeBrokerPerTest, connectFake, impUrl, sleep, waitFor } from './helpers.js';

const fx = fakeBrokerPerTest();
/** Full jitter: the first retry comes within 100 ms of the loss; waiting 400 ms after it is seen shows whether it came. */
const RECONNECT = { reconnect: { initialDelay: 100, maxDelay: 100 } };
const PAST_RETRY_MS = 400;

/** Connected with `reconnect`, then the broker drops it; `then` runs in onconnectionlost. */
async function dropped(client: ImpMqttClient, then: () => void): Promise<number[]> {
  const { conn } = await connectFake(fx.broker, client, 'retrying', RECONNECT);
  const later: number[] = [];
  client.onconnect((rc) => later.push(rc));
  client.onconnectionlost(then);
  conn.close();
  return later;
}

describe('reconnect extension vs the imp rules (found in review)', () => {
  it('disconnect() while waiting to reconnect: no reconnection, and the callback comes', async () => {
    const client = fx.device();
    let called = 0;
    // From a microtask after onconnectionlost: the retry is scheduled and has not yet fired.
    const later = await dropped(client, () => queueMicrotask(() => client.disconnect(() => called++)));
    await waitFor(() => called > 0, 'the disconnect() callback');
    await sleep(PAST_RETRY_MS);
    expect(called).toBe(1);
    expect(fx.broker.connections.length).toBe(1);
    expect(later).toEqual([]);
    expect(client.connectionstate()).toBe(0);
  });

  it('disconnect() from inside onconnectionlost also ends the reconnection', async () => {
    const client = fx.device();
    let called = 0;
    const later = await dropped(client, () => client.disconnect(() => called++));
    await waitFor(() => called > 0, 'the disconnect() callback');
    await sleep(PAST_RETRY_MS);
    expect(called).toBe(1);
    expect(fx.broker.connections.length).toBe(1);
    expect(later).toEqual([]);
  });

  it('close() while waiting to reconnect ends it too', async () => {
    const client = fx.device();
    let closed = 0;
    const later = await dropped(client, () => queueMicrotask(() => client.close(() => closed++)));
    await waitFor(() => closed > 0, 'the close() callback');
    await sleep(PAST_RETRY_MS);
    expect(closed).toBe(1);
    expect(fx.broker.connections.length).toBe(1);
    expect(later).toEqual([]);
  });

  it('connect() while waiting to reconnect (here from onconnectionlost) makes one connection, not two', async () => {
    const client = fx.device();
    const later = await dropped(client, () => client.connect(impUrl(fx.broker.url), 'retrying'));
    await fx.broker.acceptNext();
    await waitFor(() => later.length > 0, 'onconnect(0)');
    await sleep(PAST_RETRY_MS);
    expect(later).toEqual([0]);
    expect(fx.broker.connections.length).toBe(2);
    expect(client.isconnected()).toBe(true);
  });

  it('another client of the agent connecting while the first waits to reconnect: the first stays disconnected', async () => {
    const agent = createMqtt();
    const first = agent.createclient();
    const second = agent.createclient();
    fx.adopt(first, second);
    const later = await dropped(first, () => queueMicrotask(() => second.connect(impUrl(fx.broker.url), 'second')));
    const { connect } = await fx.broker.acceptNext();
    expect(connect.clientId).toBe('second');
    await sleep(PAST_RETRY_MS);
    // One connected client per agent: the first never came back beside the second.
    expect(fx.broker.connections.length).toBe(2);
    expect(later).toEqual([]);
    expect(first.connectionstate()).toBe(0);
  });

  it('a connect() refused at the call (a URL of no scheme it knows) ends no pending reconnection: the client comes back on its own', async () => {
    const client = fx.device();
    const refusal = await refusedWhileRetrying(client, () => client.connect('gopher://127.0.0.1:1', 'retrying'));
    expect(refusal).toMatchObject({ code: 'INVALID_URL' });
    expect(client.isconnected()).toBe(true);
  });

  it("another client's connect() refused at the call (a will topic with a wildcard [MQTT-3.3.2-2]) leaves the first client's reconnection pending", async () => {
    const [first, second] = twoClients();
    const refusal = await refusedWhileRetrying(first, () => second.connect(impUrl(fx.broker.url), 'second', { willtopic: 'wills/#', willmessage: 'gone' }));
    expect(refusal).toMatchObject({ code: 'INVALID_OPTIONS', statement: 'MQTT-3.3.2-2' });
    expect(second.connectionstate()).toBe(0);
  });
});

describe('a connect() refused by the checks only the engine made ends no pending reconnection (found in review)', () => {
  it('this client: connecttimeout 0.5 (resolveOptions took any time above 0, the session wants 1 ms or more) — the client comes back on its own', async () => {
    const client = fx.device();
    const refusal = await refusedWhileRetrying(client, () => client.connect(impUrl(fx.broker.url), 'retrying', { connecttimeout: 0.5 }));
    expect(refusal).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(client.isconnected()).toBe(true);
  });

  it("another client made with maxInflight 0: its connect() refused, the first client's reconnection stays pending", async () => {
    const [first, second] = twoClients({ maxInflight: 0 });
    const refusal = await refusedWhileRetrying(first, () => second.connect(impUrl(fx.broker.url), 'second'));
    expect(refusal).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(second.connectionstate()).toBe(0);
  });
});

/** Two clients of one agent (the second made with `config`), closed after the test. */
function twoClients(config?: Parameters<ReturnType<typeof createMqtt>['createclient']>[0]): [ImpMqttClient, ImpMqttClient] {
  const agent = createMqtt();
  const clients: [ImpMqttClient, ImpMqttClient] = [agent.createclient(), agent.createclient(config)];
  fx.adopt(...clients);
  return clients;
}

/**
 * `client` connected with `reconnect` and dropped; `refused` runs from a microtask after
 * onconnectionlost (the retry scheduled, not yet fired) and must throw: what it threw, once the
 * retry has connected again and onconnect(0) come.
 */
async function refusedWhileRetrying(client: ImpMqttClient, refused: () => void): Promise<unknown> {
  let refusal: unknown = 'did not throw';
  const later = await dropped(client, () =>
    queueMicrotask(() => {
      try {
        refused();
      } catch (error) {
        refusal = error;
      }
    }),
  );
  const { connect } = await fx.broker.acceptNext();
  expect(connect.clientId).toBe('retrying');
  await waitFor(() => later.length > 0, 'onconnect(0)');
  expect(later).toEqual([0]);
  return refusal;
}
