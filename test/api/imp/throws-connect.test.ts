/**
 * The imp API's synchronous throws from connect() (imp-api.md §9.4): while not fully
 * disconnected (connecting, connected, disconnecting) [imp §2.1, §9.10], and for arguments out
 * of range: client IDs outside 1–255, keepalive outside {0} ∪ [30, 65535], bad URL schemes
 * [imp §2.1, §4, §9.5]. Against the scripted fake broker, so every state is reached
 * deterministically. The other throws are in throws.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createMqtt } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, connectFake, disconnectFake, impUrl, throwsCode, within } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('connect() throws when the client is not disconnected [imp §2.1, §9.4, §9.10]', () => {
  it('while connecting (state 1)', async () => {
    const client = fx.device();
    client.connect(impUrl(fx.broker.url), 'a');
    expect(client.connectionstate()).toBe(1);
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'a'), 'INVALID_STATE');
    // The attempt under way is not disturbed by the refused call.
    const rc = new Calls<[number]>();
    client.onconnect((code) => rc.record(code));
    await fx.broker.acceptNext();
    await rc.waitForCount(1);
    expect(rc.args).toEqual([[0]]);
  });

  it('while connected (state 2)', async () => {
    const client = fx.device();
    await connectFake(fx.broker, client, 'a');
    expect(client.connectionstate()).toBe(2);
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'a'), 'INVALID_STATE');
    expect(client.isconnected()).toBe(true);
  });

  it('while disconnecting (state 3); connect() inside the disconnect callback succeeds', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'first');
    const order: string[] = [];
    let reconnect: Promise<unknown> | undefined;
    client.disconnect(() => {
      order.push('disconnect callback');
      // The connection is fully closed now: connect() is allowed again.
      expect(client.connectionstate()).toBe(0);
      client.onconnect((rc) => order.push(`onconnect(${rc})`));
      client.connect(impUrl(fx.broker.url), 'second');
      order.push('connect() returned');
      reconnect = fx.broker.acceptNext();
    });
    expect(client.connectionstate()).toBe(3);
    const early = throwsCode(() => client.connect(impUrl(fx.broker.url), 'too-early'), 'INVALID_STATE');
    expect(early.message).toMatch(/disconnect/);
    await conn.expect('disconnect');
    await within(conn.closed, 'the first connection closing');
    await expect.poll(() => reconnect !== undefined).toBe(true);
    const second = (await reconnect) as { connect: { clientId: string } };
    expect(second.connect.clientId).toBe('second');
    await expect.poll(() => order).toEqual(['disconnect callback', 'connect() returned', 'onconnect(0)']);
    expect(client.id()).toBe('second');
  });

  it('when another client of the same agent is connected or connecting; not across agents', async () => {
    const agent = createMqtt();
    const first = agent.createclient();
    const second = agent.createclient();
    fx.adopt(first, second);
    first.connect(impUrl(fx.broker.url), 'first');
    // Still connecting: the slot is taken already.
    throwsCode(() => second.connect(impUrl(fx.broker.url), 'second'), 'ANOTHER_CLIENT_CONNECTED');
    const rc = new Calls<[number]>();
    first.onconnect((code) => rc.record(code));
    const { conn } = await fx.broker.acceptNext();
    await rc.waitForCount(1);
    throwsCode(() => second.connect(impUrl(fx.broker.url), 'second'), 'ANOTHER_CLIENT_CONNECTED');
    expect(second.connectionstate()).toBe(0);
    expect(second.id()).toBeNull();

    // A client of another agent (another device) connects regardless.
    const other = fx.device();
    await connectFake(fx.broker, other, 'other-agent');

    // Once the first has fully disconnected, the second may connect.
    await disconnectFake(first, conn);
    await connectFake(fx.broker, second, 'second');
    expect(second.isconnected()).toBe(true);
    // ...and now the first is the one refused.
    throwsCode(() => first.connect(impUrl(fx.broker.url), 'first'), 'ANOTHER_CLIENT_CONNECTED');
  });
});

describe('connect() argument checks [imp §2.1, §4, §9.4, §9.5]', () => {
  it('throws for a client ID of 0 or 256+ characters, or not a string; 1 and 255 are accepted', async () => {
    const client = fx.device();
    throwsCode(() => client.connect(impUrl(fx.broker.url), ''), 'INVALID_CLIENT_ID');
    throwsCode(() => client.connect(impUrl(fx.broker.url), 'x'.repeat(256)), 'INVALID_CLIENT_ID');
    throwsCode(() => (client.connect as (url: string, id: unknown) => void)(impUrl(fx.broker.url), 42), 'INVALID_CLIENT_ID');
    expect(client.connectionstate()).toBe(0);
    expect(client.id()).toBeNull();
    expect(client.url()).toBeNull();

    const { conn, connect } = await connectFake(fx.broker, client, 'x');
    expect(connect.clientId).toBe('x');
    await disconnectFake(client, conn);
    const long = 'é'.repeat(255); // 255 characters (510 UTF-8 bytes): the rule counts characters
    const second = await connectFake(fx.broker, client, long);
    expect(second.connect.clientId).toBe(long);
  });

  it('throws for keepalive outside {0} ∪ [30, 65535] or not an integer; default 60', async () => {
    const client = fx.device();
    for (const keepalive of [-1, 1, 29, 65_536, 30.5, Number.NaN]) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'k', { keepalive }), 'INVALID_KEEPALIVE');
    }
    expect(client.connectionstate()).toBe(0);
    const seen: number[] = [];
    for (const keepalive of [undefined, 0, 30, 65_535]) {
      const { conn, connect } = await connectFake(fx.broker, client, 'k', keepalive === undefined ? {} : { keepalive });
      seen.push(connect.keepalive);
      await disconnectFake(client, conn);
    }
    expect(seen).toEqual([60, 0, 30, 65_535]);
  });

  it("[MQTT-3.1.2-4] throws INVALID_OPTIONS for a cleansession or willretain that is not a boolean ('false', 0), leaving the client untouched", () => {
    const client = fx.device();
    for (const value of ['false', 0, 1, '']) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'b', { cleansession: value as never }), 'INVALID_OPTIONS');
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'b', { willtopic: 'w', willretain: value as never }), 'INVALID_OPTIONS');
    }
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('throws INVALID_OPTIONS for options that are not a table (keepalive given bare, null), leaving the client untouched [imp §2.1] (found in review)', () => {
    const client = fx.device();
    for (const options of [60, 'keepalive', true, null]) {
      throwsCode(() => client.connect(impUrl(fx.broker.url), 'o', options as never), 'INVALID_OPTIONS');
    }
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('[MQTT-1.5.3-1] throws INVALID_UTF8 for a user name or will topic given as a blob that is not UTF-8, naming the field, leaving the client untouched (found in review)', () => {
    const client = fx.device();
    const bad = new Uint8Array([0xc3, 0x28]);
    expect(throwsCode(() => client.connect(impUrl(fx.broker.url), 'u', { username: bad as never }), 'INVALID_UTF8').message).toContain('username');
    expect(throwsCode(() => client.connect(impUrl(fx.broker.url), 'u', { willtopic: bad as never }), 'INVALID_UTF8').message).toContain('will topic');
    expect([client.connectionstate(), client.id()]).toEqual([0, null]);
  });

  it('throws MqttError INVALID_URL for a bad scheme or a malformed URL, leaving the client untouched', () => {
    const client = fx.device();
    for (const url of ['http://127.0.0.1:1883', 'mqtt-sn://127.0.0.1', 'not a url', '']) {
      throwsCode(() => client.connect(url, 'u'), 'INVALID_URL');
    }
    expect(client.connectionstate()).toBe(0);
    expect(client.url()).toBeNull();
    expect(client.id()).toBeNull();
  });
});
