/**
 * Found in a security review of the gateway, each as an attacker (or a misconfiguration) would
 * meet it; every test here failed before its fix.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGateway, rpcSignedQuery } from '../../../src/api/gateway/index.js';
import type { GatewayAccessKey, GatewayOptions } from '../../../src/api/gateway/index.js';
import { sendMessageParameters } from '../../../src/api/gateway/signature-rpc.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { LOOPBACK } from '../../support/ports.js';
import type { FakeConnection } from '../../support/fake-broker.js';
import { INSTANCE, KEY, rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

/** A gateway on a fake broker the test drives (`conn`: the gateway's connection); both stopped after `body`. */
async function withFakeBroker(options: Partial<GatewayOptions>, body: (running: RunningGateway, conn: FakeConnection) => Promise<void>): Promise<void> {
  const fake = await startFakeBroker({ autoPingresp: true });
  const accepted = fake.acceptNext();
  const starting = startGateway(fake.url, options);
  const { conn } = await accepted;
  const running = await starting;
  try {
    await body(running, conn);
  } finally {
    await running.gateway.close(100);
    await fake.stop();
  }
}

const json = (body: string): Record<string, unknown> => JSON.parse(body) as Record<string, unknown>;
const call = (port: number, overrides: Record<string, string> = {}): ReturnType<typeof rawHttp> =>
  rawHttp(port, `GET /?${signedQuery('GET', overrides)} HTTP/1.1\r\nHost: x\r\n\r\n`);

describe('a stalled broker: the messages the client holds are bounded (maxInflight)', () => {
  it('past maxInflight unacknowledged messages, calls get SystemOverFlow and nothing is sent; an acknowledgement makes room', async () => {
    await withFakeBroker({ publishTimeout: 50, maxInflight: 2 }, async ({ port, endpoint, gateway }, conn) => {
      // The broker takes two messages and acknowledges neither: both calls time out…
      for (const payload of ['one', 'two']) {
        const answer = await call(port, { Payload: payload });
        expect(json(answer.body).Code).toBe('SendMessageFailed');
      }
      // …yet the client still holds both, for the broker to acknowledge: the third is refused at once.
      const refused = await call(port, { Payload: 'three' });
      expect(refused.status).toBe(500);
      expect(json(refused.body)).toMatchObject({ Code: 'SystemOverFlow' });
      expect(String(json(refused.body).Message)).toContain('not sent');
      expect(await (await fetch(`${endpoint}/metrics`)).text()).toMatch(/^impmqtt_gateway_inflight 2$/m);
      const first = await conn.expect('publish');
      await conn.expect('publish');
      await conn.send({ type: 'puback', packetId: first.packetId! });
      await expect.poll(() => gateway.client.inflightCount).toBe(1);
      // Room for one more: it is sent, and answered 200 once acknowledged.
      const fourth = call(port, { Payload: 'four' });
      const publish = await conn.expect('publish');
      await conn.send({ type: 'puback', packetId: publish.packetId! });
      expect((await fourth).status).toBe(200);
      expect(conn.received.filter((packet) => packet.type === 'publish').map((packet) => Buffer.from((packet as { payload: Uint8Array }).payload).toString())).toEqual(['one', 'two', 'four']);
    });
  });
});

describe('a broker that stops reading: QoS 0 messages the socket has not taken count too', () => {
  it('once writes stall, maxInflight calls time out and the next gets SystemOverFlow', async () => {
    // A broker that accepts the connection, then reads nothing more: the socket's buffers fill.
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        socket.write(Buffer.from([0x20, 2, 0, 0])); // CONNACK, accepted
        socket.pause();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const { port: brokerPort } = server.address() as AddressInfo;
    const { port, gateway } = await startGateway(`mqtt://${LOOPBACK}:${brokerPort}`, { qos: 0, publishTimeout: 50, maxInflight: 2 });
    try {
      const codes: string[] = [];
      const payload = 'x'.repeat(60_000);
      // Calls pass until the socket stops taking them (a few MB: the kernel's buffers), then time out.
      while (codes.length < 500 && !codes.includes('SystemOverFlow')) {
        const body = signedQuery('POST', { Payload: payload });
        const answer = await rawHttp(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        codes.push(answer.status === 200 ? 'OK' : String(json(answer.body).Code));
      }
      expect(codes.filter((code) => code !== 'OK')).toEqual(['SendMessageFailed', 'SendMessageFailed', 'SystemOverFlow']);
    } finally {
      await gateway.close(100);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('access keys are configured exactly as written', () => {
  it('a misspelt "instances" is refused at createGateway, not read as "any instance"', () => {
    const key = { accessKeyId: 'app', accessKeySecret: 's3cret', instance: ['post-cn-1'] } as unknown as GatewayAccessKey;
    expect(() => createGateway({ mqtt: { url: 'mqtt://127.0.0.1:1' }, accessKeys: [key] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('unknown field "instance"') }));
  });

  // From plain JavaScript (or a JSON file handed over as it is) a misspelt limit left its default in force.
  it.each([
    ['a misspelt limit', { maxInflght: 10 }, 'unknown option "maxInflght"'],
    ['a misspelt HTTP limit', { http: { maxConnection: 10 } }, 'unknown option "http.maxConnection"'],
    ['where to listen, which listen() takes', { http: { port: 8080 } }, 'unknown option "http.port"'],
    ['http that is not an object', { http: 5 }, 'http must be an object'],
  ])('%s is refused at createGateway (INVALID_OPTIONS), not ignored', (_case, extra, message) => {
    const options = { mqtt: { url: 'mqtt://127.0.0.1:1' }, allowAnonymous: true, ...extra } as unknown as GatewayOptions;
    expect(() => createGateway(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining(message) }));
  });

  it('every documented option is accepted', () => {
    const gateway = createGateway({
      mqtt: { url: 'mqtt://127.0.0.1:1', reconnect: false },
      accessKeys: [KEY],
      allowAnonymous: false,
      qos: 1,
      payloadEncoding: 'utf8',
      rateLimit: 10,
      publishTimeout: 1000,
      maxInflight: 10,
      maxPayloadBytes: 100,
      maxTopicLevels: 8,
      maxBodyBytes: 1000,
      timestampWindow: 60,
      maxNonces: 100,
      hostId: 'h',
      log: () => {},
      wallClock: Date.now,
      http: { maxConnections: 5, headersTimeout: 1000, requestTimeout: 1000, keepAliveTimeout: 1000, maxHeaderSize: 4096 },
    });
    return gateway.close(0);
  });
});

describe('RPC signatures: what is acted on is what was signed', () => {
  it('Action and Version only in the unsigned x-acs-* headers of an RPC-signed request: MissingParameter, nothing sent', async () => {
    await withFakeBroker({}, async ({ port }, conn) => {
      // A request signed without Action or Version (signed for something else, or by a careless signer).
      const parameters = sendMessageParameters(KEY.accessKeyId, 'no-action-1', { InstanceId: INSTANCE, MqttTopic: 'gw/t', Payload: 'p' });
      parameters.delete('Action');
      parameters.delete('Version');
      const query = rpcSignedQuery('GET', parameters, KEY.accessKeySecret);
      const answer = await rawHttp(port, `GET /?${query} HTTP/1.1\r\nHost: x\r\nx-acs-action: SendMessage\r\nx-acs-version: 2020-04-20\r\n\r\n`);
      expect(answer.status).toBe(400);
      expect(json(answer.body)).toMatchObject({ Code: 'MissingParameter' });
      // The same call signed with them is served, so nothing else was in the way; it is the only one published.
      const signed = call(port, { Payload: 'signed' });
      const publish = await conn.expect('publish');
      await conn.send({ type: 'puback', packetId: publish.packetId! });
      expect((await signed).status).toBe(200);
      expect(conn.received.filter((packet) => packet.type === 'publish')).toHaveLength(1);
    });
  });
});

describe("a key's topics: instances share the broker's topic space", () => {
  it("a key limited to its instance and to tenant-a/#: another tenant's topic is PermissionCheckFailed, nothing sent", async () => {
    await withFakeBroker({ accessKeys: [{ ...KEY, instances: [INSTANCE], topics: ['tenant-a/#'] }] }, async ({ port }, conn) => {
      // The instance is the key's own; the topic is another tenant's devices on the same broker.
      const refused = await call(port, { MqttTopic: 'tenant-b/devices/1/cmd', Payload: 'reboot' });
      expect(refused.status).toBe(400);
      expect(json(refused.body)).toMatchObject({ Code: 'PermissionCheckFailed' });
      const allowed = call(port, { MqttTopic: 'tenant-a/devices/1/cmd', Payload: 'reboot' });
      const publish = await conn.expect('publish');
      expect(publish.topic).toBe('tenant-a/devices/1/cmd');
      await conn.send({ type: 'puback', packetId: publish.packetId! });
      expect((await allowed).status).toBe(200);
      expect(conn.received.filter((packet) => packet.type === 'publish')).toHaveLength(1);
    });
  });

  it('topics must be MQTT topic filters', () => {
    expect(() => createGateway({ mqtt: { url: 'mqtt://127.0.0.1:1' }, accessKeys: [{ ...KEY, topics: ['a/#/b'] }] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});

describe('the work a request can cost before it is refused is bounded', () => {
  it('more than 100 parameters: InvalidParameter, whether in the query or the query and body together', async () => {
    await withFakeBroker({}, async ({ port }) => {
      const padding = Array.from({ length: 100 }, (_, i) => `p${i}=x`).join('&');
      const inQuery = await rawHttp(port, `GET /?${signedQuery('GET')}&${padding} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(json(inQuery.body)).toMatchObject({ Code: 'InvalidParameter', Message: 'The request has more than 100 parameters.' });
      const body = signedQuery('POST');
      const split = await rawHttp(port, `POST /?${padding} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      expect(json(split.body)).toMatchObject({ Code: 'InvalidParameter', Message: 'The request has more than 100 parameters.' });
    });
  });
});
