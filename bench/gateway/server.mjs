// The gateway under test, alone in its process so its CPU time is its own. Prints {"port"} when
// it serves; answers IPC {cpu: true} with its process.cpuUsage(); exits on IPC {stop: true}.
import { createGateway } from '../../dist/esm/api/gateway/index.js';

const config = JSON.parse(process.argv[2]);
const gateway = createGateway({
  mqtt: { url: config.url, clientId: `bench-gateway-${process.pid}` },
  accessKeys: [{ accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret }],
  qos: config.qos,
  // The benchmark measures the gateway, not its limiter (which would refuse bursts above it).
  rateLimit: 0,
  log: () => undefined,
});
const connected = new Promise((resolve) => gateway.client.once('connect', resolve));
const { port } = await gateway.listen(0, '127.0.0.1');
await connected;
process.send({ port });
process.on('message', async (message) => {
  if (message.cpu) process.send({ cpu: process.cpuUsage() });
  if (message.stop) {
    await gateway.close(2_000);
    process.exit(0);
  }
});
