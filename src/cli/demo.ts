/**
 * `impmqtt demo`: every face doing real work against one broker — embedded (aedes, in this
 * process) unless --url names one — with a short transcript and the time each step took. An
 * observer subscribed to the demo's topics shows that what each face sent arrived. Exit 0 when
 * every step worked, 1 otherwise (saying which step and why).
 */
import { randomBytes } from 'node:crypto';
import { createGateway, rpcSignedQuery } from '../api/gateway/index.js';
import { sendMessageParameters } from '../api/gateway/signature-rpc.js';
import { connect } from '../api/async/index.js';
import { mqtt } from '../api/imp/index.js';
import { MessageEnvelope, MqttMessageQueue } from '../api/queue/index.js';
import { MqttClient } from '../client/index.js';
import type { InboundMessage } from '../session/index.js';
import type { CliIo, Command } from './command.js';
import { checkBrokerUrl } from './connect-options.js';
import { BrokerUnavailable, startEmbeddedBroker } from './demo-broker.js';
import type { EmbeddedBroker } from './demo-broker.js';
import type { ParsedFlags } from './flags.js';

const STEP_TIMEOUT_MS = 10_000;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'show every face at work: on an embedded broker, or --url',
  usage: 'impmqtt demo [--url mqtt://host:port]',
  flags: [{ key: 'url', names: ['--url'], value: 'url', help: 'a broker to run against (default: an embedded aedes on a free loopback port)' }],
  notes: `Steps: the imp API's sendasync at QoS 1; the async API publishing 28.4 and reading it back
with for await; the Pip.Services queue sending and receiving the ABC123 envelope; a signed
SendMessage call through the HTTP gateway. Topics are under impmqtt/demo/<random>/.`,
  run,
};

async function run(flags: ParsedFlags, io: CliIo): Promise<number> {
  const say = (line: string): void => void io.stdout.write(`${line}\n`);
  const started = performance.now();
  let embedded: EmbeddedBroker | undefined;
  let url = flags.get<string>('url');
  if (url !== undefined) checkBrokerUrl(url);
  if (url === undefined) {
    try {
      embedded = await startEmbeddedBroker();
    } catch (error) {
      if (!(error instanceof BrokerUnavailable)) throw error;
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    url = embedded.url;
    say(`broker      embedded aedes on ${url}`);
  } else {
    say(`broker      ${url}`);
  }
  const base = `impmqtt/demo/${randomBytes(4).toString('hex')}`;
  const observer = new MqttClient({ url, reconnect: false, connectTimeout: STEP_TIMEOUT_MS });
  const seen: InboundMessage[] = [];
  const waiters: (() => void)[] = [];
  observer.on('message', (message) => {
    seen.push({ ...message, payload: Uint8Array.from(message.payload) });
    for (const wake of waiters.splice(0)) wake();
  });
  const arrived = (topic: string): Promise<string> =>
    within(`a message on ${topic}`, (resolve) => {
      const check = (): void => {
        const found = seen.find((m) => m.topic === topic);
        if (found === undefined) waiters.push(check);
        else resolve(Buffer.from(found.payload).toString());
      };
      check();
    });
  try {
    await within('the observer to connect', (resolve, reject) => {
      observer.once('connect', () => resolve(undefined));
      observer.once('connectfailed', ({ error }) => reject(error));
      observer.connect();
    });
    await within('the observer to subscribe', (resolve) => observer.subscribe([{ topic: `${base}/#`, qos: 1 }], () => resolve(undefined)));
    await step(say, 'imp', async () => {
      const result = await impSend(url!, `${base}/imp`);
      return `sendasync at QoS 1 → ${result} (published); observer got "${await arrived(`${base}/imp`)}"`;
    });
    await step(say, 'async', async () => {
      const client = await connect(url!, { timeout: STEP_TIMEOUT_MS });
      try {
        await client.subscribe(`${base}/temperature`, { qos: 1 });
        await client.publish(`${base}/temperature`, '28.4', { qos: 1 });
        for await (const message of client.messages) return `published 28.4, for await read back "${message.text()}" (QoS ${message.qos})`;
        throw new Error('the message stream ended');
      } finally {
        await client.disconnect();
      }
    });
    await step(say, 'queue', async () => {
      const queue = new MqttMessageQueue('myqueue');
      queue.configure({ connection: { uri: url }, options: { topic: `${base}/queue`, serialize_envelope: true, autosubscribe: true, connect_timeout: STEP_TIMEOUT_MS } });
      await queue.open('123');
      try {
        await queue.send('123', new MessageEnvelope('123', 'mymessage', 'ABC123'));
        const message = await queue.receive('123', STEP_TIMEOUT_MS);
        if (message === null) throw new Error('no envelope came back');
        return `sent and received ${message.message_type}: "${message.getMessageAsString()}"`;
      } finally {
        await queue.close('123');
      }
    });
    await step(say, 'gateway', async () => {
      const secret = randomBytes(16).toString('hex');
      const gateway = createGateway({ mqtt: { url: url!, connectTimeout: STEP_TIMEOUT_MS }, accessKeys: [{ accessKeyId: 'demo', accessKeySecret: secret }], log: () => undefined });
      const connected = within('the gateway to connect', (resolve) => gateway.client.once('connect', () => resolve(undefined)));
      const { port } = await gateway.listen(0, '127.0.0.1');
      try {
        await connected;
        const answer = await signedSendMessage(port, secret, `${base}/gateway`, 'hello from SendMessage');
        return `signed SendMessage → 200 MsgId ${answer.MsgId}; observer got "${await arrived(`${base}/gateway`)}"`;
      } finally {
        await gateway.close(1_000);
      }
    });
    say(`done        every face worked, ${(performance.now() - started).toFixed(0)} ms in all`);
    return 0;
  } catch (error) {
    io.stderr.write(`impmqtt demo: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await new Promise<void>((resolve) => observer.disconnect(() => resolve(), 0));
    await embedded?.stop();
  }
}

/** Runs one step, printing its line with its duration; a failure names the step. */
async function step(say: (line: string) => void, name: string, body: () => Promise<string>): Promise<void> {
  const started = performance.now();
  let line: string;
  try {
    line = await body();
  } catch (error) {
    throw new Error(`the ${name} step failed: ${(error as Error).message}`);
  }
  say(`${name.padEnd(11)} ${line} (${(performance.now() - started).toFixed(1)} ms)`);
}

function within<T>(what: string, body: (resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), STEP_TIMEOUT_MS);
    body(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The imp API's own example: connect, sendasync a QoS 1 message, disconnect. */
function impSend(url: string, topic: string): Promise<number> {
  return within('the imp client', (resolve, reject) => {
    const client = mqtt.createclient();
    client.onconnect((code: number) => {
      if (code !== 0) return reject(new Error(`connect returned ${code}`));
      client.createmessage(topic, 'hello from the imp API', { qos: mqtt.AT_LEAST_ONCE }).sendasync((result: number) => {
        client.disconnect(() => {
          client.close();
          if (result === 0) resolve(result);
          else reject(new Error(`sendasync returned ${result}`));
        });
      });
    });
    client.connect(url.replace(/^mqtt:/, 'tcp:'), `impmqtt-demo-imp-${process.pid}`, { connecttimeout: STEP_TIMEOUT_MS });
  });
}

/** A SendMessage call signed as pop-core signs it (RPC HMAC-SHA1, GET). */
async function signedSendMessage(port: number, secret: string, topic: string, payload: string): Promise<{ MsgId: string }> {
  const parameters = sendMessageParameters('demo', randomBytes(16).toString('hex'), { InstanceId: 'post-demo', MqttTopic: topic, Payload: payload });
  const response = await fetch(`http://127.0.0.1:${port}/?${rpcSignedQuery('GET', parameters, secret)}`);
  const body = (await response.json()) as { MsgId: string; Code?: string; Message?: string };
  if (response.status !== 200) throw new Error(`${response.status} ${body.Code}: ${body.Message}`);
  return body;
}
