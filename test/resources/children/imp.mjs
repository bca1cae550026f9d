/** The imp face's cycles (see faces-cycles.test.ts); prints { bytesPerCycle, … }. */
import { config, dist, perCycle, report } from './measure.mjs';

const { createMqtt } = await dist('api/imp/index.js');

const scenarios = {
  /**
   * One mqttclient connected and disconnected, with handlers set again and a message sent each
   * time, under a new client id each time (`ids: 'new'`) or the same one.
   */
  async connects(n) {
    const client = createMqtt().createclient();
    let cycle = 0;
    return perCycle(async (k) => {
      for (let i = 0; i < k; i++) {
        const id = config.ids === 'new' ? `agent-${String(cycle++).padStart(8, '0')}` : 'agent';
        await new Promise((resolve, reject) => {
          client.onconnect((code) => (code === 0 ? resolve() : reject(new Error(`onconnect(${code})`))));
          client.connect(config.url, id);
        });
        client.onmessage(() => {});
        client.onconnectionlost(() => {});
        await new Promise((resolve) => client.createmessage('a/b', 'x', { qos: 1 }).sendasync(resolve));
        await new Promise((resolve) => client.disconnect(resolve));
      }
    }, n);
  },
};

report(await scenarios[config.scenario](config.n));
