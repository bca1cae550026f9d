/**
 * The gateway end to end: Alibaba Cloud's own SDKs (pop-core 1.8.0; the Tea SDK with
 * ACS3-HMAC-SHA256 and with RPC v1) call it unchanged, it publishes to mosquitto, and a
 * subscriber receives exactly what every successful call sent — and nothing a refused call
 * carried. Every refusal is produced by a real request and read as each SDK reads it:
 * pop-core by `err.code` (it ignores the status), the Tea SDK by the status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../../../src/client/index.js';
import { collectMessages, subscribeAsync, until, utf8, waitFor } from '../../client/helpers.js';
import type { Collector } from '../../client/helpers.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import type { MosquittoBroker } from '../../support/mosquitto.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { INSTANCE, KEY, popCore, popCoreError, startGateway, teaSendMessage } from './sdk.js';
import type { RunningGateway, TeaError } from './sdk.js';

describeWithMosquitto('SendMessage gateway with the real SDKs, to mosquitto', () => {
  let broker: MosquittoBroker;
  let running: RunningGateway;
  let subscriber: MqttClient;
  let received: Collector;
  /** What every call that answered 200 sent, in order: the subscriber must see exactly this. */
  const sent: string[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    running = await startGateway(broker.url, { accessKeys: [{ ...KEY, instances: [INSTANCE] }, { accessKeyId: 'other', accessKeySecret: 'othersecret', instances: ['post-cn-other'] }] });
    subscriber = new MqttClient({ url: broker.url, reconnect: false });
    subscriber.connect();
    await waitFor(subscriber, 'connect');
    expect((await subscribeAsync(subscriber, [{ topic: 'gw/#', qos: 1 }])).granted).toEqual([1]);
    received = collectMessages(subscriber);
  });

  afterAll(async () => {
    subscriber?.destroy();
    await running?.gateway.close(1_000);
    await broker?.stop();
  });

  const send = async (call: Promise<Record<string, unknown>>, payload: string): Promise<Record<string, unknown>> => {
    const answer = await call;
    sent.push(payload);
    return answer;
  };

  it('pop-core GET and POST, the Tea SDK with ACS3-HMAC-SHA256 and with RPC v1: 200 {MsgId, RequestId}, delivered', async () => {
    const pop = popCore(running.endpoint);
    const answers = [
      await send(pop.request('SendMessage', { RegionId: 'cn-hangzhou', InstanceId: INSTANCE, MqttTopic: 'gw/pop/get', Payload: 'hello GET' }), 'hello GET'),
      await send(pop.request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/pop/post', Payload: 'hello POST é世😀' }, { method: 'POST' }), 'hello POST é世😀'),
      // pop-core's lower-case 'post' quirk: a POST with everything in the query and an empty body.
      await send(pop.request('sendMessage', { instanceId: INSTANCE, mqttTopic: 'gw/pop/quirk', payload: "a b+c*d~e!f'g(h)i/j:k=l&m%n" }, { method: 'post' }), "a b+c*d~e!f'g(h)i/j:k=l&m%n"),
      (await send(teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: 'gw/tea/acs3', Payload: 'hello ACS3' }), 'hello ACS3').then((r) => r)).body as Record<string, unknown>,
      (await send(teaSendMessage(running.endpoint, 'v2', { InstanceId: INSTANCE, MqttTopic: 'gw/tea/v2', Payload: 'hello v2' }), 'hello v2')).body as Record<string, unknown>,
    ];
    for (const answer of answers) {
      expect(Object.keys(answer).sort()).toEqual(['MsgId', 'RequestId']);
      expect(answer.MsgId).toMatch(/^[0-9A-F]{32}$/);
      expect(answer.RequestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    }
    expect(new Set(answers.map((a) => a.MsgId)).size).toBe(answers.length);
    const messages = await received.wait(sent.length);
    expect(messages.map((m) => [m.topic, utf8(m.payload), m.qos])).toEqual([
      ['gw/pop/get', 'hello GET', 1],
      ['gw/pop/post', 'hello POST é世😀', 1],
      ['gw/pop/quirk', "a b+c*d~e!f'g(h)i/j:k=l&m%n", 1],
      ['gw/tea/acs3', 'hello ACS3', 1],
      ['gw/tea/v2', 'hello v2', 1],
    ]);
  });

  it('the answer carries an x-acs-request-id header equal to its RequestId', async () => {
    const answer = await teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: 'gw/header', Payload: 'h' });
    sent.push('h');
    expect((answer as unknown as { headers: Record<string, string> }).headers['x-acs-request-id']).toBe(answer.body.RequestId);
  });

  const refusals: [string, number, () => Promise<unknown>][] = [
    ['MissingParameter', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, Payload: 'no topic' })],
    ['InvalidParameter.MqttTopic', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/+/x', Payload: 'wildcard' })],
    ['InvalidParameter.MqttTopic', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/#', Payload: 'wildcard' })],
    ['ParameterCheckFailed', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/big', Payload: 'x'.repeat(65_537) }, { method: 'POST' })],
    ['InvalidAccessKeyId.NotFound', 404, () => popCore(running.endpoint, { accessKeyId: 'nobody', accessKeySecret: 'x' }).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/k', Payload: 'unknown key' })],
    ['SignatureDoesNotMatch', 400, () => popCore(running.endpoint, { accessKeyId: KEY.accessKeyId, accessKeySecret: 'wrong' }).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/s', Payload: 'bad signature' })],
    ['InvalidTimeStamp.Expired', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/t', Payload: 'old', Timestamp: '2024-01-02T03:04:05Z' })],
    ['IllegalTimestamp', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/t', Payload: 'odd', Timestamp: 'yesterday' })],
    ['InstancePermissionCheckFailed', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: 'post-cn-other', MqttTopic: 'gw/p', Payload: 'not mine' })],
    ['ApiNotSupport', 404, () => popCore(running.endpoint).request('QueryToken', { InstanceId: INSTANCE, Token: 't' })],
    ['InvalidVersion', 400, () => popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/v', Payload: 'old api', Version: '2019-12-11' })],
  ];

  for (const [code, status, call] of refusals) {
    it(`${code}: pop-core surfaces err.code, the status is ${status}, and nothing is published`, async () => {
      const error = await popCoreError(call());
      expect(error.code).toBe(code);
      expect(error.name).toBe(`${code}Error`);
      expect(Object.keys(error.data).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
      expect(error.data.Code).toBe(code);
    });
  }

  it('SignatureNonceUsed: the same nonce twice within the window; the first call is sent, the second refused', async () => {
    const pop = popCore(running.endpoint);
    const params = { InstanceId: INSTANCE, MqttTopic: 'gw/nonce', Payload: 'once', SignatureNonce: `nonce-${Date.now()}` };
    await send(pop.request('SendMessage', params), 'once');
    expect((await popCoreError(pop.request('SendMessage', params))).code).toBe('SignatureNonceUsed');
  });

  it('the Tea SDK reads refusals by status: 404 for an unknown key, 400 for a bad signature (ACS3)', async () => {
    const unknown = await teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: 'gw/tea/x', Payload: 'x' }, { accessKeyId: 'nobody', accessKeySecret: 'x' }).catch((e: TeaError) => e);
    expect(unknown).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
    const forged = await teaSendMessage(running.endpoint, undefined, { InstanceId: INSTANCE, MqttTopic: 'gw/tea/x', Payload: 'x' }, { ...KEY, accessKeySecret: 'wrong' }).catch((e: TeaError) => e);
    expect(forged).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
    const v2 = await teaSendMessage(running.endpoint, 'v2', { InstanceId: 'post-cn-other', MqttTopic: 'gw/tea/x', Payload: 'x' }).catch((e: TeaError) => e);
    expect(v2).toMatchObject({ code: 'InstancePermissionCheckFailed', statusCode: 400 });
  });

  it('after all of the above the subscriber has received exactly what the successful calls sent', async () => {
    // A marker sent last: once it is in, anything a refused call had published would be too.
    await send(popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/end', Payload: 'end' }), 'end');
    await until(() => received.messages.some((m) => m.topic === 'gw/end'), 'the marker');
    expect(received.messages.map((m) => utf8(m.payload))).toEqual(sent);
  });

  it('secrets never reach the log or an error body (a wrong secret is not echoed either)', async () => {
    const error = await popCoreError(popCore(running.endpoint, { accessKeyId: KEY.accessKeyId, accessKeySecret: 'wrong-secret-value' }).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/s', Payload: 'x' }));
    expect(JSON.stringify(error.data)).not.toContain('wrong-secret-value');
    expect(JSON.stringify(error.data)).not.toContain(KEY.accessKeySecret);
    expect(running.log.length).toBeGreaterThan(0);
    for (const line of running.log) expect(line).not.toMatch(/testsecret|othersecret/);
  });
});

describeWithMosquitto('SendMessage gateway: limits and a broker that is down or silent', () => {
  it('SystemOverFlow past the per-instance rate (a frozen clock: exactly `rateLimit` calls pass)', async () => {
    const broker = await startMosquitto();
    const running = await startGateway(broker.url, { rateLimit: 3, mqtt: { url: broker.url, clock: () => 0 } });
    try {
      const pop = popCore(running.endpoint);
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) => pop.request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/rate', Payload: `${i}` }).then(() => 'OK', (e: { code: string }) => e.code)),
      );
      expect(outcomes.filter((o) => o === 'OK')).toHaveLength(3);
      expect(outcomes.filter((o) => o === 'SystemOverFlow')).toHaveLength(3);
    } finally {
      await running.gateway.close(1_000);
      await broker.stop();
    }
  });

  it('SendMessageFailed (500) while the broker is unreachable, and /healthz says 503; both recover when it is back', async () => {
    const broker = await startMosquitto();
    const proxy = await startTcpProxy({ port: broker.port });
    const running = await startGateway(proxy.url);
    try {
      const pop = popCore(running.endpoint);
      const closed = waitFor(running.gateway.client, 'close');
      proxy.refusing = true;
      proxy.cut();
      await closed;
      // While the broker cannot be reached the gateway refuses at once rather than queueing.
      const error = await popCoreError(pop.request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/down', Payload: 'x' }));
      expect(error.code).toBe('SendMessageFailed');
      expect((await fetch(`${running.endpoint}/healthz`)).status).toBe(503);
      expect(running.gateway.client.queuedCount).toBe(0);
      proxy.refusing = false;
      await until(() => running.gateway.client.connected, 'the gateway to reconnect');
      expect((await fetch(`${running.endpoint}/healthz`)).status).toBe(200);
      expect(await pop.request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/up', Payload: 'x' })).toHaveProperty('MsgId');
    } finally {
      await running.gateway.close(1_000);
      await proxy.stop();
      await broker.stop();
    }
  });
});

describe('SendMessage gateway: SendMessageFailed without mosquitto', () => {
  it('a broker that never acknowledges: 500 SendMessageFailed after publishTimeout', async () => {
    const fake = await startFakeBroker();
    const accepted = fake.acceptNext();
    const running = startGateway(fake.url, { publishTimeout: 200 });
    await accepted;
    const { endpoint, gateway } = await running;
    try {
      const error = await popCoreError(popCore(endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/slow', Payload: 'x' }));
      expect(error.code).toBe('SendMessageFailed');
      expect(String(error.data.Message)).toContain('may still be delivered');
    } finally {
      await gateway.close(100);
      await fake.stop();
    }
  });

  it('no broker at all: /healthz 503 and every call 500 SendMessageFailed, published never', async () => {
    const fake = await startFakeBroker();
    const url = fake.url;
    await fake.stop();
    const { createGateway } = await import('../../../src/api/gateway/index.js');
    const gateway = createGateway({ accessKeys: [{ ...KEY }], mqtt: { url, reconnect: { initialDelay: 50, maxDelay: 100 } }, log: () => undefined });
    const { port } = await gateway.listen(0);
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      expect((await fetch(`${endpoint}/healthz`)).status).toBe(503);
      const error = await popCoreError(popCore(endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'gw/none', Payload: 'x' }));
      expect(error.code).toBe('SendMessageFailed');
      expect(gateway.client.queuedCount).toBe(0);
    } finally {
      await gateway.close(100);
    }
  });
});
