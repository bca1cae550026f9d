/** The async face's cycles (see faces-cycles.test.ts); prints { bytesPerCycle, … }. */
import { config, dist, perCycle, report } from './measure.mjs';

const { Client } = await dist('api/async/index.js');

const scenarios = {
  /** A client made, connected, used and disconnected, each time: the application lets it go. */
  async clients(n) {
    return perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        const client = new Client(config.url, { timeout: 60_000 });
        await client.connect();
        await client.subscribe('a/b', { qos: 1 });
        await client.publish('a/b', 'x', { qos: 1 });
        await client.disconnect();
      }
    }, n);
  },

  /**
   * Publishes completed one after another while one operation of the client stays pending
   * (a subscription the broker never answers): what is done is not kept behind it.
   */
  async behindPending(n) {
    const client = new Client(config.url, { timeout: 60_000 });
    await client.connect();
    client.subscribe('never/answered').catch(() => {});
    let topic = 0;
    const result = await perCycle(async (k) => {
      for (let i = 0; i < k; i++) await client.publish(`a/${topic++}`, 'x', { qos: 1 });
    }, n);
    await client.disconnect();
    return result;
  },

  /**
   * Operations aborted, timed out (their own limit) and raced by `for await` loops left with
   * break, return and throw, on one connected client.
   */
  async operations(n) {
    const client = new Client(config.url, { timeout: 60_000 });
    await client.connect();
    await client.subscribe('echo/#');
    const result = await perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        const aborting = new AbortController();
        const aborted = client.publish('a/b', 'x', { qos: 1, signal: aborting.signal });
        aborting.abort();
        await aborted.catch(() => {});
        await client.publish('a/b', 'x', { qos: 1, timeout: 30_000, signal: new AbortController().signal });
        await client.publish('echo/1', 'x');
        for await (const message of client.messages) if (message) break;
        await client.publish('echo/2', 'x');
        try {
          for await (const message of client.filter('echo/2')) if (message) throw new Error('left');
        } catch {
          // left by the throw
        }
        const iterator = client.messages[Symbol.asyncIterator]();
        const next = iterator.next();
        await iterator.return();
        await next;
      }
    }, n);
    await client.disconnect();
    return result;
  },
};

report(await scenarios[config.scenario](config.n));
