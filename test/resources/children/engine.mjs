/** The engine's cycles (see engine-cycles.test.ts); prints { bytesPerCycle, … }. */
import { config, dist, once, perCycle, quiesce, report } from './measure.mjs';

const { MqttClient } = await dist('index.js');
const payload = new Uint8Array(64);

const scenarios = {
  /**
   * Connections lost (the broker drops them) and regained, alternating between two servers:
   * publishes of every QoS in flight when the connection goes, the subscriptions restored on each
   * new connection, and a subscribe and unsubscribe of a new topic each time.
   */
  async reconnects(n) {
    const client = new MqttClient({ servers: config.servers, keepalive: 30, reconnect: { initialDelay: 0, maxDelay: 0, stableAfter: 60_000 } });
    let connects = 0;
    let target = 1;
    let reached;
    let topic = 0;
    client.on('connect', () => {
      if (++connects >= target) return reached?.();
      const fresh = `new/${topic++}`;
      client.subscribe([{ topic: fresh, qos: 1 }]);
      client.unsubscribe([fresh]);
      client.publish(`t/${topic % 8}`, payload, { qos: 1 });
      client.publish(`t/${topic % 8}`, payload, { qos: 2 });
      client.publish(`t/${topic % 8}`, payload, { qos: 0 });
      client.publish('cut', '');
    });
    client.subscribe([{ topic: 'kept/1', qos: 1 }, { topic: 'kept/2', qos: 0 }]);
    const reach = (count) => new Promise((resolve) => ((target = count), (reached = resolve)));
    const first = reach(1);
    client.connect();
    await first;
    const result = await perCycle(async (k) => {
      const done = reach(connects + k);
      client.publish('cut', '');
      await done;
    }, n);
    await new Promise((resolve) => client.disconnect(resolve));
    return result;
  },

  /** connect() and disconnect() on one client, with a subscription and a publish each time. */
  async connects(n) {
    const client = new MqttClient({ url: config.servers[0], keepalive: 30 });
    return perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        client.connect();
        await once(client, 'connect');
        client.subscribe([{ topic: 'a/b', qos: 1 }]);
        client.publish('a/b', payload, { qos: 1 });
        await new Promise((resolve) => client.disconnect(resolve));
      }
    }, n);
  },

  /**
   * Requests that complete with errors: publishes past a full offline queue (both drop
   * policies) while the client waits to reconnect, and every kind of request on a client that
   * is not connecting at all (-3).
   */
  async refusals(n) {
    const unreachable = 'mqtt://127.0.0.1:1';
    const waiting = (dropPolicy) => new MqttClient({ url: unreachable, maxBuffered: 10, dropPolicy, reconnect: { initialDelay: 3_600_000, maxDelay: 3_600_000 } });
    const rejectNew = waiting('reject-new');
    const dropOldest = waiting('drop-oldest');
    const idle = new MqttClient({ url: unreachable });
    for (const client of [rejectNew, dropOldest]) {
      client.connect();
      await once(client, 'connectfailed');
    }
    let completed = 0;
    const done = () => completed++;
    const result = await perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        rejectNew.publish('a/b', payload, { qos: 1 }, done);
        dropOldest.publish('a/b', payload, { qos: 1 }, done);
        idle.publish('a/b', payload, { qos: 1 }, done);
        idle.subscribe([{ topic: `s/${i}`, qos: 1 }], done);
        idle.unsubscribe([`s/${i}`], done);
      }
      await quiesce();
    }, n);
    rejectNew.destroy();
    dropOldest.destroy();
    return { ...result, completed };
  },

  /**
   * On one connection: a subscribe to a new topic, a message received on it, its unsubscribe,
   * and a message handler added and removed, each time.
   */
  async topics(n) {
    const client = new MqttClient({ url: config.servers[0], keepalive: 30 });
    client.connect();
    await once(client, 'connect');
    let topic = 0;
    const result = await perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        const name = `echo/${topic++}`;
        const handler = () => {};
        client.on('message', handler);
        await new Promise((resolve) => client.subscribe([{ topic: name, qos: 1 }], resolve));
        const received = once(client, 'message');
        client.publish(name, payload);
        await received;
        await new Promise((resolve) => client.unsubscribe([name], resolve));
        client.off('message', handler);
      }
    }, n);
    await new Promise((resolve) => client.disconnect(resolve));
    return result;
  },
};

report(await scenarios[config.scenario](config.n));
