/**
 * The real Alibaba Cloud SDKs as a gateway's callers (pop-core 1.8.0, and the Tea SDK's
 * openapi-client with its two signers), a gateway started on loopback for a test, and raw
 * HTTP for what no SDK sends.
 */
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { createGateway, rpcSignedQuery } from '../../../src/api/gateway/index.js';
import { sendMessageParameters } from '../../../src/api/gateway/signature-rpc.js';
import type { Gateway, GatewayOptions } from '../../../src/api/gateway/index.js';
import { afterAll, beforeAll } from 'vitest';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { LOOPBACK } from '../../support/ports.js';

const require = createRequire(import.meta.url);

export const KEY = { accessKeyId: 'testid', accessKeySecret: 'testsecret' };
export const INSTANCE = 'post-cn-0pp12gl0001';

export interface RunningGateway {
  gateway: Gateway;
  port: number;
  endpoint: string;
  /** Lines the gateway logged. */
  log: string[];
}

/** A gateway on a free loopback port, its MQTT client connected to `url`. */
export async function startGateway(url: string, options: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  const log: string[] = [];
  const gateway = createGateway({ accessKeys: [{ ...KEY, instances: [INSTANCE] }], log: (line) => log.push(line), ...options, mqtt: { url, reconnect: { initialDelay: 50, maxDelay: 200 }, ...options.mqtt } });
  const connected = new Promise<void>((resolve) => gateway.client.once('connect', () => resolve()));
  const { port } = await gateway.listen(0, LOOPBACK);
  await connected;
  return { gateway, port, endpoint: `http://${LOOPBACK}:${port}`, log };
}

/** A gateway on an in-process aedes broker for a whole file or describe (hooks registered here); the getter is for tests. */
export function gatewayOnAedes(options: Partial<GatewayOptions> = {}): () => RunningGateway {
  let broker: AedesBroker | undefined;
  let running: RunningGateway | undefined;
  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url, options);
  });
  afterAll(async () => {
    await running?.gateway.close(500);
    await broker?.stop();
  });
  return () => running!;
}

export interface PopCoreError extends Error {
  code: string;
  data: Record<string, unknown>;
}

export interface PopCore {
  request(action: string, params: Record<string, unknown>, options?: { method?: string; timeout?: number }): Promise<Record<string, unknown>>;
}

export function popCore(endpoint: string, key: { accessKeyId: string; accessKeySecret: string } = KEY): PopCore {
  const RPCClient = require('@alicloud/pop-core') as new (config: Record<string, unknown>) => PopCore;
  return new RPCClient({ ...key, endpoint, apiVersion: '2020-04-20' });
}

/** pop-core's rejection for a call expected to fail (a resolved call fails the test). */
export async function popCoreError(call: Promise<unknown>): Promise<PopCoreError> {
  try {
    const result = await call;
    throw new Error(`expected the call to fail, it answered ${JSON.stringify(result)}`);
  } catch (error) {
    if ((error as PopCoreError).data === undefined) throw error;
    return error as PopCoreError;
  }
}

export interface TeaError extends Error {
  code: string;
  statusCode: number;
  data: Record<string, unknown>;
}

/** SendMessage as the generated onsmqtt20200420 client calls it: ACS3-HMAC-SHA256 by default, RPC v1 with 'v2'. */
export function teaSendMessage(endpoint: string, signatureAlgorithm: 'v2' | undefined, query: Record<string, string>, key = KEY): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const OpenApi = require('@alicloud/openapi-client');
  const Util = require('@alicloud/tea-util');
  const config = new OpenApi.Config({ ...key, endpoint: endpoint.replace('http://', ''), protocol: 'http', ...(signatureAlgorithm ? { signatureAlgorithm } : {}) });
  const client = new OpenApi.default(config);
  const params = new OpenApi.Params({ action: 'SendMessage', version: '2020-04-20', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  return client.callApi(params, new OpenApi.OpenApiRequest({ query }), new Util.RuntimeOptions({}));
}

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
  /** True when the server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `request` bytes as they are (one write, or `parts` spaced by `gapMs`) and reads one
 * answer: complete once its Content-Length is in, or when the server closes. A server that
 * answers nothing within `timeoutMs` fails the call (a hang).
 */
export function rawHttp(port: number, request: string | Buffer | (string | Buffer)[], gapMs = 0, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, LOOPBACK);
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      socket.destroy();
      resolve({ status, headers: head, body: split === -1 ? '' : received.subarray(split + 4).toString('utf8'), closed });
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms (got ${JSON.stringify(received.toString('latin1').slice(0, 200))})`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const split = received.indexOf('\r\n\r\n');
      if (split === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(received.subarray(0, split).toString('latin1'))?.[1];
      if (length !== undefined && received.length >= split + 4 + Number(length)) {
        // Give a server that closes after answering the moment to do so, so `closed` tells.
        setTimeout(() => finish(socket.readableEnded || socket.destroyed), 20);
      }
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error) => (received.length > 0 ? finish(true) : done || reject(error)));
    const parts = Array.isArray(request) ? request : [request];
    void (async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

/** A fresh, validly signed SendMessage query (RPC v1). */
export function signedQuery(method: string, overrides: Record<string, string> = {}): string {
  const nonce = `${Math.random()}-${process.hrtime.bigint()}`;
  const parameters = sendMessageParameters(KEY.accessKeyId, nonce, { InstanceId: INSTANCE, MqttTopic: 'http/t', Payload: 'p', ...overrides });
  return rpcSignedQuery(method, parameters, KEY.accessKeySecret);
}

