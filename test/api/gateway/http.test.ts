/**
 * The gateway's HTTP boundary, on raw sockets (no SDK would send most of this): malformed
 * requests get a JSON refusal or a bounded close, never a crash or a hang; HTTP/1.0 and
 * keep-alive both work; /healthz and /metrics; a graceful close lets a publish in flight finish.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../../../src/client/index.js';
import { collectMessages, subscribeAsync, utf8, waitFor } from '../../client/helpers.js';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { INSTANCE, KEY, popCore, rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

const json = (body: string): Record<string, unknown> => JSON.parse(body) as Record<string, unknown>;

describe('SendMessage gateway: the HTTP boundary', () => {
  let broker: AedesBroker;
  let running: RunningGateway;

  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url, { maxBodyBytes: 4_096, http: { headersTimeout: 400, requestTimeout: 1_000, maxHeaderSize: 2_048 } });
  });
  afterAll(async () => {
    await running?.gateway.close(500);
    await broker?.stop();
  });

  it('keep-alive: two signed requests on one connection, both answered 200', async () => {
    const request = (): string => `GET /?${signedQuery('GET')} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const first = await rawHttp(running.port, [request(), request()]);
    expect(first.status).toBe(200);
    expect(first.closed).toBe(false);
    // Both answers came back on the one connection: the second follows the first's body.
    const answers = await new Promise<string>((resolve) => {
      const socket = connect(running.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if ((text.match(/"MsgId"/g) ?? []).length === 2) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.write(request() + request());
    });
    expect(answers.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  });

  it('HTTP/1.0 without a Host header: answered 200, then the connection closes', async () => {
    const body = signedQuery('POST');
    const answer = await rawHttp(running.port, `POST / HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(answer.status).toBe(200);
    expect(answer.closed).toBe(true);
    expect(json(answer.body)).toHaveProperty('MsgId');
  });

  const refusals: [string, () => string | (string | Buffer)[], number, string][] = [
    ['a garbage request line', () => 'HELLO THERE\r\n\r\n', 400, 'BadRequest'],
    ['binary noise', () => [Buffer.from([0, 1, 2, 255, 13, 10, 13, 10])], 400, 'BadRequest'],
    ['headers over maxHeaderSize', () => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4_000)}\r\n\r\n`, 431, 'BadRequest'],
    ['bad percent-encoding', () => `GET /?Action=SendMessage&Payload=%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'InvalidParameter'],
    ['percent-encoded invalid UTF-8', () => `GET /?Action=SendMessage&Payload=%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'InvalidParameter'],
    ['a parameter given twice in the query', () => `GET /?${signedQuery('GET')}&InstanceId=${INSTANCE} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'InvalidParameter'],
    [
      'a parameter in both the query and the body',
      () => {
        const body = signedQuery('POST');
        return `POST /?MqttTopic=other HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      },
      400,
      'InvalidParameter',
    ],
    ['a body over maxBodyBytes (declared)', () => `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(5_000)}`, 413, 'RequestEntityTooLarge'],
    ['a chunked body over maxBodyBytes', () => `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n1400\r\n${'a'.repeat(5_120)}\r\n0\r\n\r\n`, 413, 'RequestEntityTooLarge'],
    ['a JSON body', () => `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, 400, 'InvalidParameter'],
    ['PUT', () => `PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, 403, 'UnsupportedHTTPMethod'],
    ['another path', () => `GET /v1/send?${signedQuery('GET')} HTTP/1.1\r\nHost: x\r\n\r\n`, 404, 'ApiNotSupport'],
    ['no Action at all', () => `GET / HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'MissingParameter'],
    ['an unsigned SendMessage', () => `GET /?Action=SendMessage&Version=2020-04-20&InstanceId=${INSTANCE}&MqttTopic=t&Payload=p HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'MissingParameter'],
    ['SignatureMethod HMAC-SHA256 in an RPC request', () => `GET /?${signedQuery('GET', { SignatureMethod: 'HMAC-SHA256' })} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'IncompleteSignature'],
    ['an STS token', () => `GET /?${signedQuery('GET', { SecurityToken: 'tok' })} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'CheckAccountInfoFailed'],
    ['Format=XML', () => `GET /?${signedQuery('GET', { Format: 'XML' })} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'InvalidParameter'],
    ['a SignatureNonce of 200 characters', () => `GET /?${signedQuery('GET', { SignatureNonce: 'n'.repeat(200) })} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'InvalidParameter'],
    ['a signed GET replayed as POST', () => `POST /?${signedQuery('GET')} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, 400, 'SignatureDoesNotMatch'],
  ];

  for (const [what, request, status, code] of refusals) {
    it(`${what}: ${status} ${code} as JSON`, async () => {
      const answer = await rawHttp(running.port, request());
      expect(answer.status).toBe(status);
      expect(answer.headers).toMatch(/content-type: application\/json/i);
      const body = json(answer.body);
      expect(body.Code).toBe(code);
      expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
    });
  }

  it('slow headers (slowloris): 408 JSON and a close once headersTimeout passes, not a hang', async () => {
    const answer = await rawHttp(running.port, ['GET / HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n', 'X-E: 5\r\n'], 150);
    expect(answer.status).toBe(408);
    expect(json(answer.body).Code).toBe('BadRequest');
    expect(answer.closed).toBe(true);
  });

  it('a request still accepted after every refusal above (the server did not fall over)', async () => {
    expect((await rawHttp(running.port, `GET /?${signedQuery('GET')} HTTP/1.1\r\nHost: x\r\n\r\n`)).status).toBe(200);
  });

  it('HEAD /healthz and HEAD /metrics: the GET status and headers without a body (HEAD-based monitors), other methods 405', async () => {
    // RFC 9110 §9.1: a server must support HEAD wherever it supports GET; uptime monitors
    // (and `curl -I`) probe with HEAD, and read a 405 as "down" (found in review).
    for (const path of ['/healthz', '/metrics']) {
      const [get, head] = [await fetch(`${running.endpoint}${path}`), await fetch(`${running.endpoint}${path}`, { method: 'HEAD' })];
      expect(head.status, path).toBe(200);
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(await head.text()).toBe('');
      await get.text();
    }
    const post = await rawHttp(running.port, `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    expect(post.status).toBe(405);
    expect(post.headers).toMatch(/^allow: GET, HEAD$/im);
  });

  it('/healthz: 200 with the MQTT state; /metrics: requests by code, latency histogram, link and in-flight gauges', async () => {
    const health = await fetch(`${running.endpoint}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', mqtt: 'connected' });
    const metrics = await (await fetch(`${running.endpoint}/metrics`)).text();
    expect(metrics).toMatch(/^impmqtt_gateway_requests_total\{action="SendMessage",status="200",code="OK"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^impmqtt_gateway_requests_total\{action="none",status="431",code="BadRequest"\} 1$/m);
    expect(metrics).toMatch(/^impmqtt_gateway_publish_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^impmqtt_gateway_mqtt_connected 1$/m);
    expect(metrics).toMatch(/^impmqtt_gateway_inflight 0$/m);
    // Every sample line is `name{labels} value` or `name value`: the text format parsers accept.
    for (const line of metrics.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) .+|[a-z_]+(\{[^}]*\})? [0-9.e+-]+)$/);
  });
});

describe('SendMessage gateway: anonymous access and payload encodings', () => {
  it('allowAnonymous admits unsigned calls (with a warning at listen); base64 payloads are decoded, bad base64 refused', async () => {
    const broker = await startAedes();
    const running = await startGateway(broker.url, { accessKeys: [], allowAnonymous: true, payloadEncoding: 'base64' });
    const subscriber = new MqttClient({ url: broker.url, reconnect: false });
    try {
      expect(running.log.some((line) => line.includes('WARNING: anonymous access'))).toBe(true);
      subscriber.connect();
      await waitFor(subscriber, 'connect');
      await subscribeAsync(subscriber, [{ topic: 'anon/#', qos: 1 }]);
      const received = collectMessages(subscriber);
      const base64 = Buffer.from([0, 1, 2, 254, 255]).toString('base64');
      const ok = await fetch(`${running.endpoint}/?Action=SendMessage&Version=2020-04-20&InstanceId=any&MqttTopic=anon/x&Payload=${encodeURIComponent(base64)}`);
      expect(ok.status).toBe(200);
      const bad = await fetch(`${running.endpoint}/?Action=SendMessage&Version=2020-04-20&InstanceId=any&MqttTopic=anon/x&Payload=not*base64`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).Code).toBe('ParameterCheckFailed');
      const [message] = await received.wait(1);
      expect([...message!.payload]).toEqual([0, 1, 2, 254, 255]);
    } finally {
      subscriber.destroy();
      await running.gateway.close(500);
      await broker.stop();
    }
  });

  it('createGateway refuses options that would make an open or broken gateway (typed, at the call)', async () => {
    const { createGateway } = await import('../../../src/api/gateway/index.js');
    const url = 'mqtt://127.0.0.1:1';
    expect(() => createGateway({ mqtt: { url } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', origin: 'caller' }));
    expect(() => createGateway({ mqtt: { url }, accessKeys: [{ ...KEY }, { ...KEY }] })).toThrow(/configured twice/);
    expect(() => createGateway({ mqtt: { url }, accessKeys: [KEY], qos: 3 as 0 })).toThrow(/qos/);
    expect(() => createGateway({ mqtt: { url }, accessKeys: [KEY], rateLimit: -1 })).toThrow(/rateLimit/);
    expect(() => createGateway({ mqtt: { url }, accessKeys: [{ accessKeyId: 'a', accessKeySecret: '' }] })).toThrow(/accessKeySecret/);
    // Past setTimeout's range a timer fires after 1 ms: every call would fail at once (found in review).
    expect(() => createGateway({ mqtt: { url }, accessKeys: [KEY], publishTimeout: 2 ** 31 })).toThrow(/publishTimeout must be an integer from 1 to 2147483647/);
    expect(() => createGateway({ mqtt: { url }, accessKeys: [KEY], http: { requestTimeout: 2 ** 31 } })).toThrow(/http.requestTimeout/);
  });
});

describe('SendMessage gateway: graceful close', () => {
  it('close() stops accepting, lets a publish in flight finish (answered 200), then disconnects from the broker', async () => {
    const fake = await startFakeBroker();
    const accepted = fake.acceptNext();
    const starting = startGateway(fake.url);
    const { conn } = await accepted;
    const running = await starting;
    const call = popCore(running.endpoint).request('SendMessage', { InstanceId: INSTANCE, MqttTopic: 'close/t', Payload: 'in flight' });
    const publish = await conn.expect('publish');
    const closing = running.gateway.close(5_000);
    // New connections are refused while the publish in flight is still allowed to finish.
    await expect(fetch(`${running.endpoint}/healthz`)).rejects.toThrow();
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(await call).toHaveProperty('MsgId');
    await conn.expect('disconnect');
    await closing;
    expect(utf8(publish.payload)).toBe('in flight');
    await fake.stop();
  });
});
