// The async face's receiving side: subscribe to temperature/#, print messages as they come
// (for await), and stop after COUNT messages or SECONDS without one.
//
//   npm run example:async:subscribe                        # mqtt://127.0.0.1:1883, 1 message, 30 s
//   npm run example:async:subscribe -- mqtt://broker.example:1883 5 60
//
// Imports the built package: run `npm run build` first (the npm script does).
import { connect, MqttError } from '../../dist/esm/api/async/index.js';

const url = process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const count = Number(process.argv[3] ?? 1);
const seconds = Number(process.argv[4] ?? 30);

try {
  const client = await connect(url, { clientId: `async-subscribe-${process.pid}`, timeout: 5_000 });
  const granted = await client.subscribe('temperature/#', { qos: 1 });
  console.log(`subscribed to temperature/# (granted QoS ${granted})`);
  const giveUp = AbortSignal.timeout(seconds * 1000);
  giveUp.addEventListener('abort', () => {
    console.error(`no message within ${seconds} s`);
    process.exit(1);
  });
  let received = 0;
  for await (const message of client.messages) {
    console.log(`${message.topic} ${message.text()} (QoS ${message.qos}${message.retain ? ', retained' : ''})`);
    if (++received >= count) break;
  }
  await client.disconnect();
} catch (error) {
  console.error(error instanceof MqttError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
