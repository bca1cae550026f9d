/**
 * The README's gateway, durable store and browser blocks, run as written on the built package
 * (readme-support.ts says how). Besides the broker's address, each test names what else of this
 * machine a block's text is pointed at, and why:
 *
 * - the gateway: its HTTP listener `listen(8080, '0.0.0.0')` becomes a free port on 127.0.0.1
 *   (tests listen on loopback only), and the SDK block's endpoint `http://gateway:8080` that port;
 *   APP_SECRET, which both read from the environment, is set.
 * - the store: its directory `/var/lib/myapp/mqtt` becomes a temporary one.
 * - the browser block: bundled by esbuild for the browser (the `browser` export condition, as a
 *   bundler builds a page) and run by node with `ws`'s WebSocket as the page's global
 *   WebSocket; the test CA is trusted through NODE_EXTRA_CA_CERTS, so the block's `wss://`
 *   stays as written.
 *
 * Blocks that never end by themselves are run until they have done what their prose says, then
 * ended by the harness through their own process handle: the gateway with the SIGTERM its block
 * handles, the others with SIGTERM (the store's first run with SIGKILL, the crash it is about).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAedesWebSocket } from '../support/aedes.js';
import type { AedesWebSocketBroker } from '../support/aedes.js';
import { certPaths } from '../support/certs.js';
import { exitCode } from '../support/examples.js';
import { getServerPort, reserveDeadPort, waitForPort } from '../support/ports.js';
import type { Run } from '../support/examples.js';
import { ReadmeSuite, WAIT_MS, bundleForBrowser, printed, readmeBlock, rewrite, stop, until, watchBroker } from './readme-support.js';

describe('README gateway, store and browser blocks, run on dist/', () => {
  const suite = new ReadmeSuite();
  const { runner, files } = suite;
  const start = (key: string, rewrites: readonly (readonly [string, string])[], env: Record<string, string> = {}, name = key): Run => suite.start(key, rewrites, { env, name });

  it('the gateway: pop-core sends through it, the device topic gets the message, SIGTERM ends it with 0', async () => {
    const port = await getServerPort();
    const env = { APP_SECRET: 'readme-secret' };
    const gateway = start("Quick start: the SendMessage gateway (ApsaraMQ for MQTT's HTTP API, self-hosted) #1", [
      ['mqtt://localhost:1883', suite.broker.url],
      ["gateway.listen(8080, '0.0.0.0')", `gateway.listen(${port}, '127.0.0.1')`],
    ], env);
    await waitForPort(port, { abort: () => (gateway.child.exitCode === null ? undefined : `the gateway exited: ${gateway.stderr()}`) });
    // Its MQTT connection up: GET /healthz answers 200 (bounded by WAIT_MS).
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200), { timeout: WAIT_MS, interval: 50 });

    const sdk = start("Quick start: the SendMessage gateway (ApsaraMQ for MQTT's HTTP API, self-hosted) #2", [['http://gateway:8080', `http://127.0.0.1:${port}`]], env);
    expect(await exitCode(sdk, 'the SDK block')).toBe(0);
    expect(sdk.stderr()).toBe('');
    // pop-core's answer, as printed: { MsgId: '<32 hex>', RequestId: '<UUID>' } (an object without prototype, node says)
    expect(sdk.stdout()).toMatch(/\{\s*MsgId: '[0-9A-F]{32}',\s*RequestId: '[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}'\s*\}\n$/);
    expect(suite.seen.publishes).toContainEqual(expect.objectContaining({ topic: 'devices/42/cmd', text: 'reboot', qos: 1, retain: false }));

    gateway.child.kill('SIGTERM');
    expect(await exitCode(gateway, 'the gateway block after SIGTERM')).toBe(0);
  });

  it('the store: a message accepted offline by a process killed before it connected is delivered by the next, and reported restored', async () => {
    const dir = join(files.dir, 'store');
    const key = 'Durability: a session store that survives the process (`impmqtt/store`) #1';
    // First run: no broker where it points (a port that refuses), so the message waits in the journal; then killed.
    const dead = await reserveDeadPort();
    try {
      const first = start(key, [['/var/lib/myapp/mqtt', dir], ['mqtt://broker:1883', `mqtt://127.0.0.1:${dead.port}`]], {}, 'store-1');
      const journal = join(dir, 'sensor-7.log');
      await until(first, () => existsSync(journal) && readFileSync(journal).includes('readings'), 'journaling the message');
      await stop(first, 'SIGKILL');
    } finally {
      await dead.close();
    }
    expect(suite.seen.publishes.filter((p) => p.topic === 'readings')).toEqual([]);

    // Second run, the same block against the broker: the first process's message, then its own.
    const second = start(key, [['/var/lib/myapp/mqtt', dir], ['mqtt://broker:1883', suite.broker.url]], {}, 'store-2');
    await printed(second, 'message 0 delivered\n');
    await until(second, () => suite.seen.publishes.filter((p) => p.topic === 'readings').length === 2, 'both messages reaching the broker');
    expect(suite.seen.publishes.filter((p) => p.topic === 'readings')).toEqual([
      { topic: 'readings', text: '21.5', qos: 2, retain: false, clientId: 'sensor-7' },
      { topic: 'readings', text: '21.5', qos: 2, retain: false, clientId: 'sensor-7' },
    ]);
    expect(second.stdout()).toBe('message 0 delivered\n'); // the restored one only: the new one's callback prints nothing
    expect(second.stderr()).toBe('');
    await stop(second); // it stays connected: the harness ends it
  });

  describe('the browser block', () => {
    let wsBroker: AedesWebSocketBroker;
    beforeAll(async () => {
      wsBroker = await startAedesWebSocket({ tls: true });
    });
    afterAll(async () => {
      await wsBroker?.stop();
    });

    it('bundled for the browser, connects over wss:// with the mqtt subprotocol and subscribes', async () => {
      const wsSeen = watchBroker(wsBroker.broker);
      const code = rewrite(readmeBlock('In the browser #1').code, [['wss://broker.example.com:8884/mqtt', wsBroker.url]]);
      const bundle = bundleForBrowser(code);
      expect(bundle).not.toMatch(/from\s*["']node:/); // the browser build: no Node built-in
      files.write('browser-bundle.mjs', bundle);
      // The page: a global WebSocket (ws's, as Node 20 has none), then the bundle.
      const page = files.write('browser-page.mjs', "import { WebSocket } from 'ws';\nglobalThis.WebSocket = WebSocket;\nawait import('./browser-bundle.mjs');\n");
      const run = runner.run(page, [], { NODE_EXTRA_CA_CERTS: certPaths.caCert });
      await until(run, () => wsSeen.subscriptions.length > 0, 'subscribing');
      expect(wsSeen.clients).toEqual(['web-1']);
      expect(wsSeen.subscriptions).toEqual([{ topic: 'news/#', qos: 1, clientId: 'web-1' }]);
      expect(wsBroker.upgrades.map((u) => [u.url, u.protocol])).toEqual([['/mqtt', 'mqtt']]);
      expect(run.stderr()).toBe('');
      await stop(run); // it stays connected: the harness ends it
    });
  });
});
