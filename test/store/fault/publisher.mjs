// The fault suite's publisher: numbers 0..N-1 at one QoS through a file store, a bounded window
// in flight, resuming after a kill from the store's acceptedCount (durable with each message, so
// no number is sent twice by the application nor skipped). Completions come as callbacks, or as
// 'restored' events for messages an earlier incarnation accepted. Prints "done <completed>" and
// exits 0 once every number has completed; a non-zero result is retried (and counted).
//   node publisher.mjs '{"url","dir","clientId","n","qos","window"}'
import { MqttClient } from '../../../dist/esm/index.js';
import { fileStore } from '../../../dist/esm/store/index.js';

const config = JSON.parse(process.argv[2]);
const provider = fileStore(config.dir, { fsync: 'never' });
const store = provider.open(config.clientId);
const client = new MqttClient({
  url: config.url,
  clientId: config.clientId,
  cleanSession: false,
  keepalive: 5,
  reconnect: { initialDelay: 20, maxDelay: 100 },
  store,
});
// The store knows how many numbers earlier incarnations accepted.
let next = store.acceptedCount;
let outstanding = 0;
let retries = 0;
let completed = 0;

function finishIfDone() {
  if (next >= config.n && outstanding === 0 && client.inflightCount === 0 && client.queuedCount === 0) {
    process.stdout.write(`done ${completed} retries ${retries}\n`);
    client.disconnect(() => {
      provider.close();
      process.exit(0);
    });
  }
}

function send(number) {
  outstanding += 1;
  const result = client.publish('fault/n', String(number), { qos: config.qos, messageId: String(number) }, (code) => {
    outstanding -= 1;
    if (code === 0) completed += 1;
    else {
      retries += 1;
      send(number);
    }
    fill();
  });
  if (result !== 0) throw new Error(`publish refused with ${result}`);
}

function fill() {
  while (next < config.n && client.inflightCount + client.queuedCount < config.window) send(next++);
  finishIfDone();
}

client.on('restored', ({ result }) => {
  if (result === 0) completed += 1;
  else retries += 1;
  fill();
});
client.on('connect', () => fill());
client.connect();
