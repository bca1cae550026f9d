/**
 * The async face against a scripted broker (test/support/fake-broker.ts), for what a real broker
 * will not do on demand: never acknowledge, never answer CONNECT, refuse a CONNECT. Covers
 * operation and connect timeouts, AbortSignal, and CONNACK refusals as typed errors.
 */
import { describe, expect, it } from 'vitest';
import { MqttCodeError, connect } from '../../../src/api/async/index.js';
import { uniqueId } from '../../client/helpers.js';
import { PROMPTLY, bounded, expectMqttError, rejectionOf, unconnected, useScriptedBroker } from './async-helpers.js';

const { cleanup, fakeBroker, connectFake } = useScriptedBroker();

// ---- 8. Timeouts ----------------------------------------------------------------------------

describe('timeouts', () => {
  it("a QoS 1 publish nobody acknowledges rejects TIMEOUT naming the operation and the limit", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const error = expectMqttError(await rejectionOf(client.publish('slow/topic', 'x', { qos: 1, timeout: 200 }), 'the publish'), 'TIMEOUT');
    expect(error.message).toContain("publish to 'slow/topic'");
    expect(error.message).toContain('200 ms');
    // The flow itself goes on in the engine: a late PUBACK completes it quietly.
    const publish = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(client.connected).toBe(true);
  });

  it('the client-wide timeout applies to subscribe as well', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker, { timeout: 200 });
    const error = expectMqttError(await rejectionOf(client.subscribe('never/acked'), 'the subscribe'), 'TIMEOUT');
    expect(error.message).toContain("subscribe to 'never/acked'");
    expect(error.message).toContain('200 ms');
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0] });
  });

  it('connect() to a broker that never sends CONNACK rejects TIMEOUT, and the client hangs up', async () => {
    const broker = await fakeBroker();
    const clientId = uniqueId('async-timeout');
    const connecting = connect(broker.url, { clientId, timeout: 200 });
    const rejection = rejectionOf(connecting, 'connect()'); // held at once: the limit may pass before the broker reads CONNECT
    const conn = await broker.nextConnection();
    expect((await conn.expect('connect')).clientId).toBe(clientId);
    const error = expectMqttError(await rejection, 'TIMEOUT');
    expect(error.message).toContain('connect to');
    expect(error.message).toContain('200 ms');
    await conn.expectClosed();
  });

  it('connect() timing out is always TIMEOUT, never the engine\'s CONNECT_TIMEOUT racing it (same limit, same code)', async () => {
    const broker = await fakeBroker();
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const connecting = connect(broker.url, { clientId: uniqueId('async-timeout-race'), timeout: 30 });
      // Held at once: on a loaded machine the 30 ms limit can pass before the broker has even read
      // CONNECT (the engine's transport-open timer then races the face's: the same question).
      const rejection = rejectionOf(connecting, 'connect()');
      await broker.nextConnection();
      codes.push(((await rejection) as { code: string }).code);
    }
    expect(codes).toEqual(Array.from({ length: 12 }, () => 'TIMEOUT'));
  });

  it('connect({ timeout }) with a longer client-wide timeout: TIMEOUT at the call limit, and the client hangs up', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url);
    const connecting = client.connect({ timeout: 200 });
    const rejection = rejectionOf(connecting, 'connect()'); // held at once, as above
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    expectMqttError(await rejection, 'TIMEOUT');
    await conn.expectClosed();
    expect(client.connected).toBe(false);
  });
});

// ---- 9. AbortSignal -------------------------------------------------------------------------

describe('AbortSignal', () => {
  it('aborting cancels the wait for a pending publish (ABORTED)', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const controller = new AbortController();
    const publishing = client.publish('abort/me', 'x', { qos: 1, signal: controller.signal });
    const publish = await conn.expect('publish');
    controller.abort();
    const error = expectMqttError(await rejectionOf(publishing, 'the aborted publish', PROMPTLY), 'ABORTED');
    expect(error.message).toContain("publish to 'abort/me'");
    await conn.send({ type: 'puback', packetId: publish.packetId! });
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    expectMqttError(await rejectionOf(client.publish('abort/early', 'x', { qos: 1, signal: AbortSignal.abort() }), 'the publish', PROMPTLY), 'ABORTED');
    expectMqttError(await rejectionOf(client.subscribe('abort/early', { signal: AbortSignal.abort() }), 'the subscribe', PROMPTLY), 'ABORTED');
    // The next packet the broker sees is this probe: the aborted requests never went out.
    await client.publish('probe', 'p');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
  });

  it('aborting a connect() waiting for CONNACK rejects ABORTED and the client hangs up', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url);
    const controller = new AbortController();
    const connecting = client.connect({ signal: controller.signal });
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    controller.abort();
    expectMqttError(await rejectionOf(connecting, 'connect()', PROMPTLY), 'ABORTED');
    await conn.expectClosed();
  });
});

// ---- 10. Connect errors ---------------------------------------------------------------------

describe('connect errors', () => {
  it('CONNACK 5 rejects an MqttCodeError with rc 5 and code CONNECTION_REFUSED', async () => {
    const broker = await fakeBroker();
    const connecting = connect(broker.url, { clientId: uniqueId('refused') });
    const { conn } = await broker.acceptNext({ returnCode: 5 });
    const error = await rejectionOf(connecting, 'connect()', PROMPTLY);
    expect(error).toBeInstanceOf(MqttCodeError);
    expect((error as MqttCodeError).rc).toBe(5);
    expectMqttError(error, 'CONNECTION_REFUSED');
    expect((error as Error).message).toContain('not authorized');
    await conn.expectClosed();
  });

  it('with reconnect on, a refusal retrying cannot fix (rc 5) still rejects at once', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    const connecting = client.connect();
    await broker.acceptNext({ returnCode: 5 });
    const error = await rejectionOf(connecting, 'connect()', PROMPTLY);
    expect((error as MqttCodeError).rc).toBe(5);
    expect(broker.connections).toHaveLength(1);
  });

  it('with reconnect on, "server unavailable" (rc 3) is retried until accepted', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    const connecting = client.connect();
    await broker.acceptNext({ returnCode: 3 });
    await broker.acceptNext({ returnCode: 0 });
    await expect(bounded(connecting, 'connect()')).resolves.toBe(client);
    expect(client.connected).toBe(true);
  });

  it('connect() while connected rejects INVALID_STATE and leaves the connection alone', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    expectMqttError(await rejectionOf(client.connect(), 'the second connect()', PROMPTLY), 'INVALID_STATE');
    expect(client.connected).toBe(true);
    await client.publish('still/up', 'x');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'still/up' });
  });
});
