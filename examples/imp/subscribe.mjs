// The imp API's subscribe example on impmqtt: connect, subscribe, and once the SUBACK says the
// subscription was granted (qosMode < 0x80), log every message's topic and body. Exits after
// COUNT messages, or with an error after a timeout.
//
//   npm run example:imp:subscribe                              # tcp://127.0.0.1:1883, 1 message
//   npm run example:imp:subscribe -- tcp://broker.example:1883 5
//   MQTT_URL=tcp://broker.example:1883 MQTT_COUNT=5 MQTT_TIMEOUT_MS=60000 npm run example:imp:subscribe
//
// Imports the built package: run `npm run build` first (the npm script does).
import { mqtt } from '../../dist/esm/index.js';

const URL = process.argv[2] ?? process.env.MQTT_URL ?? 'tcp://127.0.0.1:1883';
const COUNT = Number(process.argv[3] ?? process.env.MQTT_COUNT ?? 1);
const TIMEOUT_MS = Number(process.env.MQTT_TIMEOUT_MS ?? 60_000);
const TOPIC = process.env.MQTT_TOPIC ?? 'imp.mqtt.test.pings';
const CLIENT_ID = `imp.mqtt.test.subscribe.${process.pid}`;

const server = {
  log: (text) => console.log(text),
  error: (text) => console.error(text),
};

const client = mqtt.createclient();
let received = 0;

function finish(code) {
  clearTimeout(timer);
  process.exitCode = code;
  if (client.isconnected()) client.disconnect(() => server.log('Disconnected'));
}

const timer = setTimeout(() => {
  server.error(`Timed out after ${TIMEOUT_MS} ms with ${received} of ${COUNT} message(s)`);
  finish(1);
}, TIMEOUT_MS);

function onMessage(item) {
  received++;
  server.log(`Message received on topic ${item.topic}: ${item.message.tostring()} (qos ${item.qos}, retain ${item.retain}, dup ${item.dup})`);
  if (received >= COUNT) finish(0);
}

client.onconnectionlost(function (reasonCode) {
  server.error(`Connection lost (reason ${reasonCode})`);
  finish(1);
});

client.onconnect(function (resultCode) {
  if (resultCode != 0) {
    server.error(`Could not connect to ${URL} (code ${resultCode})`);
    finish(1);
    return;
  }
  server.log(`Connected to ${client.url()} as ${client.id()}`);
  try {
    const rc = client.subscribe(TOPIC, mqtt.AT_LEAST_ONCE, function (qosMode) {
      if (qosMode < 0x80) {
        server.log(`Subscribed to ${TOPIC} with delivery mode ${qosMode}`);
        client.onmessage(onMessage);
      } else {
        server.error(`Not subscribed to ${TOPIC} (SUBACK 0x${qosMode.toString(16)})`);
        finish(1);
      }
    });
    if (rc != 0) {
      server.error(`subscribe() returned ${rc}`);
      finish(1);
    }
  } catch (error) {
    server.error(`subscribe() failed: ${error.message}`);
    finish(1);
  }
});

server.log(`Connecting to ${URL}`);
client.connect(URL, CLIENT_ID, { connecttimeout: 10_000 });
