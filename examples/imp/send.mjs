// The imp API's sendasync example (mqttmessage.sendasync, seed 000) on impmqtt: connect, create
// a QoS 1 message, send it, log whether it was published, then disconnect.
//
//   npm run example:imp:send                            # tcp://127.0.0.1:1883
//   npm run example:imp:send -- tcp://broker.example:1883
//   MQTT_URL=ssl://broker.example:8883 npm run example:imp:send
//
// Imports the built package: run `npm run build` first (the npm script does).
import { mqtt } from '../../dist/esm/index.js';

const URL = process.argv[2] ?? process.env.MQTT_URL ?? 'tcp://127.0.0.1:1883';
const TOPIC = process.env.MQTT_TOPIC ?? 'imp.mqtt.test.pings';
const CLIENT_ID = `imp.mqtt.test.send.${process.pid}`;

// The agent's server.log / server.error.
const server = {
  log: (text) => console.log(text),
  error: (text) => console.error(text),
};

const CONNECT_ERRORS = {
  '-1': 'Socket error (bad URL or port, firewall, TLS problem)',
  1: 'Refused: unacceptable protocol version',
  2: 'Refused: client ID rejected',
  3: 'Refused: server unavailable',
  4: 'Refused: bad user name or password',
  5: 'Refused: not authorized',
};

const client = mqtt.createclient();

client.onconnectionlost(function (reasonCode) {
  server.error(`Connection lost (reason ${reasonCode})`);
  process.exitCode = 1;
});

client.onconnect(function (resultCode) {
  if (resultCode != 0) {
    server.error(`Could not connect to ${URL}: ${CONNECT_ERRORS[resultCode] ?? `code ${resultCode}`}`);
    process.exitCode = 1;
    return;
  }
  server.log(`Connected to ${client.url()} as ${client.id()}`);

  // Create a message (topic, message, options) using the mqttclient instance
  const message = client.createmessage(TOPIC, 'This is a test message', { qos: mqtt.AT_LEAST_ONCE });

  // Send the new message
  server.log('Posting the message');
  try {
    message.sendasync(function (result) {
      // Log the result
      server.log('The message was ' + (result != 0 ? 'not ' : '') + 'published');
      if (result != 0) {
        server.error('Error code ' + result);
        process.exitCode = 1;
      }
      client.disconnect(() => server.log('Disconnected'));
    });
  } catch (error) {
    // The connection may fail under the send itself: the doc's advice is try...catch.
    server.error(`sendasync failed: ${error.message}`);
    process.exitCode = 1;
    client.disconnect();
  }
});

server.log(`Connecting to ${URL}`);
client.connect(URL, CLIENT_ID, { connecttimeout: 10_000 });
