/** The queue face's cycles (see faces-cycles.test.ts); prints { bytesPerCycle, … }. */
import { config, dist, perCycle, report, sleep } from './measure.mjs';

const { MqttMessageQueue, MessageEnvelope } = await dist('api/queue/index.js');

const scenarios = {
  /**
   * receive() polled with a short wait while the broker cannot be reached: the queue's
   * subscription waits for the next connection all that time.
   */
  async outage(n) {
    // Its topic is the lean broker's 'cut/outage': the first send makes the broker drop the
    // connection and refuse every later one, an outage as long as the test.
    const queue = new MqttMessageQueue('polled');
    queue.configure({ connection: { uri: config.url }, topic: 'cut/outage', options: { reconnect_timeout: 3_600_000 } });
    await queue.open();
    await queue.send(null, new MessageEnvelope(null, 'x', 'x'));
    // The subscription receive() needs waits for a connection that will not come (one sent before
    // the client saw the connection go is sent again, for the reconnection): each receive() gives null.
    const result = await perCycle(async (k) => {
      for (let i = 0; i < k; i++) if ((await queue.receive(null, 1)) !== null) throw new Error('a message during the outage');
    }, n);
    await queue.close();
    return result;
  },

  /** open() and close(), with a send, a receive() that expires, and listen()/endListen(), each time. */
  async opens(n) {
    const queue = new MqttMessageQueue('opened');
    queue.configure({ connection: { uri: config.url }, topic: 'echo/q', options: { autosubscribe: true } });
    return perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        await queue.open();
        await queue.receive(null, 1);
        queue.listen(null, { receiveMessage: () => {} });
        await queue.send(null, new MessageEnvelope(null, 'x', 'x'));
        await sleep(0);
        queue.endListen();
        await queue.close();
      }
    }, n);
  },
};

report(await scenarios[config.scenario](config.n));
