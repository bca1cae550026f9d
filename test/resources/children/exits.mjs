/**
 * One face used and then closed, with every long wait it can start left pending at the close
 * (timeouts of a minute, a reconnection an hour away, requests the broker never answers): the
 * process must then end by itself. Prints 'closed' once the face says it is closed.
 */
import { request } from 'node:http';
import { config, dist, once } from './measure.mjs';

const MINUTE = 60_000;
const HOUR = 3_600_000;

const scenarios = {
  async engine() {
    const { MqttClient } = await dist('index.js');
    const client = new MqttClient({ url: config.url, keepalive: 60, connectTimeout: MINUTE });
    client.connect();
    await once(client, 'connect');
    client.subscribe([{ topic: 'a/b', qos: 1 }]);
    client.publish('noack/1', 'x', { qos: 1 });
    client.publish('noack/2', 'x', { qos: 2 });
    await new Promise((resolve) => client.disconnect(resolve, 100));
    // And one waiting an hour to reconnect, stopped.
    const waiting = new MqttClient({ url: config.unreachable, reconnect: { initialDelay: HOUR, maxDelay: HOUR } });
    waiting.connect();
    await once(waiting, 'reconnect');
    waiting.destroy();
  },

  async async() {
    const { Client } = await dist('api/async/index.js');
    const client = new Client(config.silent, { timeout: MINUTE, reconnect: { initialDelay: HOUR, maxDelay: HOUR } });
    await client.connect();
    const pending = [
      client.subscribe('never/answered', { timeout: MINUTE }),
      client.publish('a/b', 'x', { qos: 1, timeout: MINUTE, signal: new AbortController().signal }),
      client.whenConnected({ timeout: MINUTE }),
      client.messages[Symbol.asyncIterator]().next(),
      client.filter('a/+')[Symbol.asyncIterator]().next(),
    ].map((operation) => operation.catch(() => {}));
    await client.disconnect();
    await Promise.all(pending);
    const never = new Client(config.unreachable, { timeout: MINUTE, reconnect: { initialDelay: HOUR, maxDelay: HOUR } });
    const connecting = never.connect().catch(() => {});
    const waiting = never.whenConnected({ timeout: MINUTE }).catch(() => {});
    await never.disconnect();
    await Promise.all([connecting, waiting]);
  },

  async queue() {
    const { MqttMessageQueue } = await dist('api/queue/index.js');
    const queue = new MqttMessageQueue('q');
    queue.configure({ connection: { uri: config.url }, topic: 'quiet', options: { reconnect_timeout: HOUR } });
    queue.on('error', () => {}); // listen()'s subscription, cut off by the close
    await queue.open();
    queue.listen(null, { receiveMessage: () => {} });
    queue.endListen();
    const waiting = queue.receive(null, MINUTE);
    await queue.close();
    await waiting;
    // Polling while its subscription waits for a broker that does not answer, then closed.
    const unanswered = new MqttMessageQueue('u');
    unanswered.configure({ connection: { uri: config.silent }, topic: 'quiet', options: { reconnect_timeout: HOUR } });
    unanswered.on('error', () => {});
    await unanswered.open();
    const polled = unanswered.receive(null, MINUTE);
    await unanswered.close();
    await polled;
  },

  async imp() {
    const { createMqtt } = await dist('api/imp/index.js');
    const client = createMqtt().createclient();
    await new Promise((resolve) => {
      client.onconnect(resolve);
      client.connect(config.url, 'agent', { keepalive: 60, reconnect: { initialDelay: HOUR, maxDelay: HOUR } });
    });
    client.subscribe('a/b', () => {});
    client.createmessage('a/b', 'x', { qos: 1 }).sendasync(() => {});
    await new Promise((resolve) => client.close(resolve));
  },

  async gateway() {
    const { createGateway } = await dist('api/gateway/index.js');
    const gateway = createGateway({ mqtt: { url: config.url }, allowAnonymous: true, log: () => {} });
    const { port } = await gateway.listen(0);
    await once(gateway.client, 'connect');
    const path = '/?Action=SendMessage&Version=2020-04-20&InstanceId=i&MqttTopic=a/b&Payload=x';
    const status = await new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject).end();
    });
    if (status !== 200) throw new Error(`SendMessage answered ${status}`);
    await gateway.close();
  },
};

await scenarios[config.scenario]();
process.stdout.write('closed\n');
