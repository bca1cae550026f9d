/**
 * The demo's embedded broker: aedes, in this process, on a free loopback port. aedes is a
 * development dependency of impmqtt, not a runtime one: installed from a registry, impmqtt has
 * no broker, and the demo says how to get one instead of failing obscurely.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface EmbeddedBroker {
  url: string;
  stop(): Promise<void>;
}

export class BrokerUnavailable extends Error {}

interface AedesModule {
  Aedes: { createBroker(): Promise<{ handle: (socket: unknown) => void; close(callback: () => void): void }> };
}

export async function startEmbeddedBroker(): Promise<EmbeddedBroker> {
  let module: AedesModule;
  try {
    // A variable specifier: bundlers and the type checker leave the optional peer alone.
    const name = 'aedes';
    module = (await import(name)) as AedesModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new BrokerUnavailable(
      'impmqtt demo runs an embedded broker from the aedes package, which is not installed (impmqtt itself has no dependencies).\n' +
        'Install it beside impmqtt with `npm install aedes`, or run the demo against a broker of your own: impmqtt demo --url mqtt://host:1883',
    );
  }
  const broker = await module.Aedes.createBroker();
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => broker.close(() => resolve()));
        // Clients still attached would hold server.close() open: the demo disconnects them all first.
      }),
  };
}
