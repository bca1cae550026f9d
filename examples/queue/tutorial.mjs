// Pip.Services' MQTT queue tutorial (seed 004) on impmqtt: create a queue, configure it, open it,
// send "ABC123" as "mymessage", receive it, peek, peek a batch, count, close.
//
//   npm run example:queue                         # broker at mqtt://127.0.0.1:1883
//   npm run example:queue -- mqtt://broker.example:1883
//
// Imports the built package: run `npm run build` first (the npm script does).
import { MessageEnvelope, MqttError, MqttMessageQueue } from '../../dist/esm/api/queue/index.js';

const url = new URL(process.argv[2] ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883');
const queue = new MqttMessageQueue('myqueue');
queue.configure({
  connection: { protocol: url.protocol.replace(':', ''), host: url.hostname, port: url.port || 1883 },
  options: { serialize_envelope: true, autosubscribe: true, connect_timeout: 5000 },
});

try {
  await queue.open('123');
  await queue.send('123', new MessageEnvelope('123', 'mymessage', 'ABC123'));
  const message = await queue.receive('123', 10000);
  console.log(`received ${message?.message_type}: ${message?.getMessageAsString()}`);
  console.log(`peek: ${await queue.peek('123')}`);
  console.log(`peekBatch: ${JSON.stringify(await queue.peekBatch('123', 3))}`);
  console.log(`readMessageCount: ${await queue.readMessageCount()}`);
  await queue.close('123');
  console.log('closed');
} catch (error) {
  console.error(error instanceof MqttError ? `${error.code}: ${error.message}` : error);
  await queue.close('123').catch(() => {});
  process.exitCode = 1;
}
