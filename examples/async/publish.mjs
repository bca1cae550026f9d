// The async face's publishing example (seed 002, aiomqtt's guide, in JavaScript): connect, publish
// 28.4 to temperature/outside, disconnect. (In TypeScript, or a runtime with explicit resource
// management, `await using client = await connect(…)` disconnects at the end of the block.)
//
//   npm run example:async:publish                          # mqtt://127.0.0.1:1883
//   npm run example:async:publish -- mqtt://broker.example:1883
//   MQTT_URL=mqtts://broker.example:8883 npm run example:async:publish
//
// Imports the built package: run `npm run build` first (the npm script does).
import { connect, MqttError } from '../../dist/esm/api/async/index.js';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const topic = process.env.MQTT_TOPIC ?? 'temperature/outside';

try {
  const client = await connect(url, { clientId: `async-publish-${process.pid}`, timeout: 5_000 });
  try {
    await client.publish(topic, 28.4, { qos: 1 });
    console.log(`published 28.4 to ${topic}`);
  } finally {
    await client.disconnect();
  }
} catch (error) {
  console.error(error instanceof MqttError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
