/**
 * The browser build in a real browser: headless Debian Chromium (puppeteer-core, no browser
 * download) loads one ESM bundle of the package as a browser resolves it (export condition
 * 'browser'), and the page's client talks to aedes over ws:// on loopback through Chromium's
 * own WebSocket. Covers the QoS 0/1/2 round trip, a broker-side close and automatic reconnect,
 * a clean disconnect (no will), the imp face, and throttled timers (background tabs: MQTT.js
 * issue #1257) not causing a false keepalive disconnect.
 *
 * Without /usr/bin/chromium the suite is skipped with a printed reason, unless
 * MQTT_REQUIRE_BROWSER=1 (CI), which makes it fail instead.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client as AedesClient, PublishPacket } from 'aedes';
import { startAedesWebSocket } from '../support/aedes.js';
import type { AedesWebSocketBroker } from '../support/aedes.js';
import { Cleanup, WAIT_MS, sleep, uniqueId, until } from '../client/helpers.js';
import { buildBrowserBundle, chromiumMissing, launchChromium, nodeImportsIn, openHarnessPage, startPageServer } from './page.js';
import type { Chromium, HarnessPage, PageServer } from './page.js';

interface PageEvent {
  client: string;
  name: 'connect' | 'connectfailed' | 'close' | 'reconnect';
  detail: Record<string, unknown>;
  at: number;
}
interface PageMessage {
  topic: string;
  payload: number[];
  qos: number;
  retain: boolean;
  dup: boolean;
}
interface Throttle {
  lateBy: number;
  calls: number;
  requested: number[];
}

const missing = chromiumMissing();
const required = process.env['MQTT_REQUIRE_BROWSER'] === '1';
if (missing !== undefined && !required) {
  console.warn(`[test/browser] skipping the Chromium suite: ${missing}. Set MQTT_REQUIRE_BROWSER=1 to make this a failure.`);
}

if (missing !== undefined && required) {
  describe('browser build in headless Chromium', () => {
    it('needs Chromium (MQTT_REQUIRE_BROWSER=1)', () => {
      throw new Error(`MQTT_REQUIRE_BROWSER=1 but ${missing}`);
    });
  });
}

describe.skipIf(missing !== undefined)('browser build in headless Chromium', () => {
  let bundle = '';
  let server: PageServer | undefined;
  let chromium: Chromium | undefined;
  const cleanup = new Cleanup();
  let current: HarnessPage | undefined;

  beforeAll(async () => {
    bundle = await buildBrowserBundle();
    server = await startPageServer(bundle);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.stop();
    await server?.stop();
  });

  afterEach(async () => {
    const page = current;
    current = undefined;
    if (page !== undefined) {
      await page.call('destroyAll').catch(() => {});
      await page.close();
    }
    await cleanup.run();
    if (page !== undefined) {
      // blob: is the client's timer worker (src/client/scheduler.browser.ts), made in the page.
      const offLoopback = page.requests.filter((url) => !/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//.test(url) && !url.startsWith('data:') && !url.startsWith('blob:http://127.0.0.1:'));
      expect(offLoopback, 'the page requested something off loopback').toEqual([]);
    }
  });

  /** A fresh tab with the harness and the bundle loaded (module state is per tab). */
  async function openPage(query = ''): Promise<HarnessPage> {
    current = await openHarnessPage(chromium!.browser, server!.url + query);
    return current;
  }

  async function startBroker(): Promise<AedesWebSocketBroker> {
    return cleanup.broker(await startAedesWebSocket());
  }

  /** Polls the page until `predicate` holds over its events; bounded, never a timing assertion. */
  async function untilEvents(page: HarnessPage, id: string, predicate: (events: PageEvent[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<PageEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = await page.call<PageEvent[]>('events', id);
      if (predicate(events)) return events;
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; page events: ${JSON.stringify(events)}; page problems: ${JSON.stringify(page.problems)}`);
      }
      await sleep(25);
    }
  }

  async function untilMessages(page: HarnessPage, id: string, n: number, topic: string, timeoutMs = WAIT_MS): Promise<PageMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = (await page.call<PageMessage[]>('messages', id)).filter((m) => m.topic === topic);
      if (messages.length >= n) return messages;
      if (Date.now() > deadline) {
        throw new Error(`Expected ${n} message(s) on ${topic} in the page within ${timeoutMs} ms, got ${JSON.stringify(messages)}; page problems: ${JSON.stringify(page.problems)}`);
      }
      await sleep(25);
    }
  }

  /** aedes' map of connected clients by id (public at runtime, missing from its types). */
  const brokerClient = (broker: AedesWebSocketBroker, clientId: string): AedesClient | undefined =>
    (broker.broker as unknown as { clients: Record<string, AedesClient | undefined> }).clients[clientId];

  const count = (events: PageEvent[], name: PageEvent['name']): number => events.filter((e) => e.name === name).length;

  /** Creates a client in the page and waits for its first 'connect'. */
  async function connectInPage(page: HarnessPage, options: Record<string, unknown> & { clientId: string }): Promise<string> {
    const id = options.clientId;
    await page.call('create', id, options);
    await page.call('connect', id);
    await untilEvents(page, id, (events) => count(events, 'connect') >= 1 || count(events, 'connectfailed') >= 1, `'connect' of ${id}`);
    const events = await page.call<PageEvent[]>('events', id);
    expect(count(events, 'connectfailed'), `the page's client failed to connect: ${JSON.stringify(events)}`).toBe(0);
    expect(await page.call('state', id)).toBe('connected');
    return id;
  }

  /** Subscribes at QoS 2 and publishes at `qos`, then waits for the message to come back. */
  async function roundTrip(page: HarnessPage, id: string, topic: string, payload: number[], qos: 0 | 1 | 2): Promise<PageMessage> {
    const before = (await page.call<PageMessage[]>('messages', id)).filter((m) => m.topic === topic).length;
    const result = await page.call<number>('publish', id, topic, payload, { qos, retain: false });
    expect(result, `publish at QoS ${qos} completed with ${result}, not 0`).toBe(0);
    const messages = await untilMessages(page, id, before + 1, topic);
    return messages[before]!;
  }

  // -------------------------------------------------------------------------------------------

  it('bundles the browser build as ESM with no node: import, exposing MqttClient and the imp face', () => {
    expect(nodeImportsIn(bundle), 'the browser bundle imports Node built-ins').toEqual([]);
    expect(bundle).toMatch(/\bexport\s*\{/);
    expect(bundle).toContain('MqttClient');
  });

  it('connects over ws:// to aedes, subscribes, and receives its own messages at QoS 0, 1 and 2', async () => {
    const broker = await startBroker();
    const page = await openPage();
    expect(await page.call('hasWebSocket')).toBe(true);
    const names = await page.call<string[]>('exportNames');
    expect(names).toEqual(expect.arrayContaining(['MqttClient', 'MqttError', 'ResultCode', 'imp']));

    const id = await connectInPage(page, { url: broker.url, clientId: uniqueId('browser-qos'), reconnect: false });
    // The browser's own WebSocket offered the 'mqtt' subprotocol [MQTT-6.0.0-3] from this page.
    expect(broker.upgrades.map((u) => u.protocol)).toEqual(['mqtt']);
    expect(broker.upgrades[0]!.headers.origin).toBe(server!.url.replace(/\/$/, ''));

    const topics = [0, 1, 2].map((qos) => `browser/${id}/qos${qos}`);
    for (const [qos, topic] of topics.entries()) {
      const { result, granted } = await page.call<{ result: number; granted: number[] }>('subscribe', id, [{ topic, qos }]);
      expect(result, `SUBSCRIBE to ${topic} completed with ${result}`).toBe(0);
      expect(granted, `granted QoS for ${topic}`).toEqual([qos]);
    }
    for (const [qos, topic] of topics.entries()) {
      // Binary, not UTF-8: every byte value must survive the browser's ArrayBuffer path.
      const payload = [qos, 0x00, 0xff, 0x80, 0xc3, 0x28, 0x0a, ...Array.from({ length: 300 }, (_, i) => (i * 7 + qos) & 0xff)];
      const message = await roundTrip(page, id, topic, payload, qos as 0 | 1 | 2);
      expect(message.payload, `payload bytes at QoS ${qos}`).toEqual(payload);
      expect(message.qos, `delivered QoS on ${topic}`).toBe(qos);
      expect(message.retain).toBe(false);
      expect(message.dup).toBe(false);
    }
    const events = await page.call<PageEvent[]>('events', id);
    expect(count(events, 'close'), `unexpected close: ${JSON.stringify(events)}`).toBe(0);
    expect(page.problems, 'page errors').toEqual([]);
  });

  it('reports a broker-side close as close(reason transport), reconnects by itself and still round-trips', async () => {
    const broker = await startBroker();
    const page = await openPage();
    const clientId = uniqueId('browser-reconnect');
    const id = await connectInPage(page, { url: broker.url, clientId, reconnect: { initialDelay: 100, maxDelay: 500 } });
    const topic = `browser/${id}/after-reconnect`;
    const { result, granted } = await page.call<{ result: number; granted: number[] }>('subscribe', id, [{ topic, qos: 1 }]);
    expect(result).toBe(0);
    expect(granted).toEqual([1]);

    const onBroker = brokerClient(broker, clientId);
    expect(onBroker, `aedes has no connected client ${clientId}`).toBeDefined();
    onBroker!.close();

    const events = await untilEvents(page, id, (list) => count(list, 'connect') >= 2, 'a second connect after the broker closed the connection');
    const close = events.find((e) => e.name === 'close');
    expect(close, `no 'close' event before the reconnect: ${JSON.stringify(events)}`).toBeDefined();
    expect(close!.detail['reason'], `close reported ${JSON.stringify(close)}`).toBe('transport');
    const closeAt = events.indexOf(close!);
    const reconnectAt = events.findIndex((e) => e.name === 'reconnect');
    const secondConnectAt = events.map((e) => e.name).lastIndexOf('connect');
    expect(reconnectAt, `event order ${JSON.stringify(events.map((e) => e.name))}`).toBeGreaterThan(closeAt);
    expect(secondConnectAt).toBeGreaterThan(reconnectAt);
    expect(count(events, 'close')).toBe(1);
    expect(await page.call('state', id)).toBe('connected');
    expect(brokerClient(broker, clientId), 'aedes does not see the reconnected client').toBeDefined();
    expect(broker.upgrades.length).toBe(2);

    // The subscription is restored by the client (resubscribe) on the new connection.
    const payload = [...new TextEncoder().encode('after reconnect')];
    const message = await roundTrip(page, id, topic, payload, 1);
    expect(message.payload).toEqual(payload);
    expect(page.problems, 'page errors').toEqual([]);
  });

  it('disconnect() completes cleanly: callback runs, state disconnected, aedes saw DISCONNECT and published no will', async () => {
    const broker = await startBroker();
    const willSeen: PublishPacket[] = [];
    const sentinelSeen: PublishPacket[] = [];
    const willListener = (packet: PublishPacket, callback: () => void): void => {
      (packet.topic === 'will/sentinel' ? sentinelSeen : willSeen).push(packet);
      callback();
    };
    await new Promise<void>((resolve) => broker.broker.subscribe('will/#', willListener, () => resolve()));
    cleanup.add(broker, (b) => new Promise<void>((resolve) => b.broker.unsubscribe('will/#', willListener, () => resolve())));
    const disconnected: AedesClient[] = [];
    const errors: string[] = [];
    broker.broker.on('clientDisconnect', (client) => disconnected.push(client));
    broker.broker.on('clientError', (client, error) => errors.push(`${client.id}: ${error.message}`));

    const page = await openPage();
    const clientId = uniqueId('browser-disconnect');
    const id = await connectInPage(page, {
      url: broker.url,
      clientId,
      reconnect: false,
      will: { topic: 'will/x', payload: 'the browser client died', qos: 1, retain: false },
    });
    expect(brokerClient(broker, clientId), 'aedes has no connected client').toBeDefined();

    const { stateInCallback } = await page.call<{ stateInCallback: string }>('disconnect', id);
    expect(stateInCallback, 'client.state inside the disconnect() callback').toBe('disconnected');
    expect(await page.call('state', id)).toBe('disconnected');

    const deadline = Date.now() + WAIT_MS;
    while (!disconnected.some((c) => c.id === clientId)) {
      if (Date.now() > deadline) throw new Error(`aedes never reported clientDisconnect for ${clientId} after disconnect()`);
      await sleep(10);
    }
    const gone = disconnected.find((c) => c.id === clientId)!;
    // aedes sets _disconnected only when a DISCONNECT packet arrived [MQTT-3.14.4-3]; that is what suppresses the will.
    expect((gone as unknown as { _disconnected?: boolean })._disconnected, 'aedes did not receive a DISCONNECT packet (the connection just dropped)').toBe(true);
    expect(errors, 'aedes reported client errors').toEqual([]);

    // The will would have been published before unregistering; a sentinel published after it
    // arrives behind anything already on its way.
    await new Promise<void>((resolve) =>
      broker.broker.publish({ topic: 'will/sentinel', payload: Buffer.from('end'), qos: 0, retain: false, cmd: 'publish', dup: false }, () => resolve()),
    );
    const sentinelDeadline = Date.now() + WAIT_MS;
    while (sentinelSeen.length === 0) {
      if (Date.now() > sentinelDeadline) throw new Error('The broker-side will/# listener never got the sentinel');
      await sleep(10);
    }
    expect(
      willSeen.map((p) => `${p.topic}: ${p.payload.toString()}`),
      'aedes published the will after a clean disconnect()',
    ).toEqual([]);

    const events = await page.call<PageEvent[]>('events', id);
    const closes = events.filter((e) => e.name === 'close');
    expect(closes.map((e) => e.detail['reason']), `close events ${JSON.stringify(closes)}`).toEqual(['normal']);
    // Chromium's WebSocket left nothing unsent (bufferedAmount 0): the close is clean, no error.
    expect(closes.map((e) => e.detail['error'])).toEqual([null]);
    expect(count(events, 'reconnect')).toBe(0);
    expect(page.problems, 'page errors').toEqual([]);
  });

  it('the imp face round-trips in the browser: subscribe, sendasync at QoS 1 (rc 0), onmessage gets the text', async () => {
    const broker = await startBroker();
    const page = await openPage();
    const names = await page.call<string[]>('impExportNames');
    expect(names).toEqual(expect.arrayContaining(['mqtt', 'ImpBlob', 'ConnectResult']));

    const clientId = uniqueId('browser-imp');
    await page.call('impStart', broker.url, clientId);
    const deadline = Date.now() + WAIT_MS;
    let log = await page.call<{ connect: number[]; lost: unknown[]; messages: { topic: string; text: string; qos: number }[] }>('impLog');
    while (log.connect.length === 0) {
      if (Date.now() > deadline) throw new Error(`onconnect never ran; page problems: ${JSON.stringify(page.problems)}`);
      await sleep(25);
      log = await page.call('impLog');
    }
    expect(log.connect, 'onconnect result codes').toEqual([0]);
    expect(await page.call('impState'), 'connectionstate() after onconnect(0)').toBe(2);

    const topic = `browser/imp/${clientId}`;
    const subscribed = await page.call<{ returned: number; qosMode: number | null }>('impSubscribe', topic, 1);
    expect(subscribed, 'subscribe() return value and granted qosMode').toEqual({ returned: 0, qosMode: 1 });

    const text = 'hello from the imp face in Chromium ✓';
    expect(await page.call<number>('impSend', topic, text, 1), 'sendasync callback result code').toBe(0);
    const messagesDeadline = Date.now() + WAIT_MS;
    while ((log = await page.call('impLog')).messages.length === 0) {
      if (Date.now() > messagesDeadline) throw new Error(`onmessage never ran; page problems: ${JSON.stringify(page.problems)}`);
      await sleep(25);
    }
    expect(log.messages).toEqual([{ topic, text, qos: 1, retain: 0 }]);

    expect(await page.call('impDisconnect'), 'connectionstate() in the disconnect callback').toBe(0);
    expect((await page.call<{ lost: unknown[] }>('impLog')).lost, 'onconnectionlost after a deliberate disconnect').toEqual([]);
    expect(page.problems, 'page errors').toEqual([]);
  });

  it(
    'does not falsely disconnect when the tab throttles timers ~1 s late (keepalive 2 s, MQTT.js #1257): its timers run in a worker; no close, connection kept, pings sent',
    async () => {
      // The page's own setTimeout runs every callback 1,000 ms late. The client's timers run in
      // a worker (src/client/scheduler.browser.ts), which background-tab throttling does not
      // reach, so keepalive never asks the page for a timer at all. (Through the page's timers,
      // the first PINGREQ after a quiet spell would reach aedes within milliseconds of its
      // 1.5 × keepalive limit.) A failure here names aedes' keepaliveTimeout and the PINGREQ times.
      const LATE_BY = 1_000;
      const OBSERVE_MS = 6_500;
      const broker = await startBroker();
      const clientId = uniqueId('browser-throttled');
      const pings: number[] = [];
      const keepaliveTimeouts: string[] = [];
      const brokerDisconnects: string[] = [];
      // Times on aedes' side, from when it registered the client (just after it armed its
      // 1.5 × keepalive = 3,001 ms timer for the CONNECT).
      let registeredAt = 0;
      broker.broker.on('client', (client) => {
        if (client.id === clientId) registeredAt = performance.now();
      });
      broker.broker.on('ping', (_packet, client) => {
        if (client.id === clientId) pings.push(Math.round((performance.now() - registeredAt) * 10) / 10);
      });
      broker.broker.on('keepaliveTimeout', (client) => keepaliveTimeouts.push(client.id));
      broker.broker.on('clientDisconnect', (client) => brokerDisconnects.push(client.id));

      const page = await openPage(`?lateBy=${LATE_BY}`);
      const throttleBefore = await page.value<Throttle>('window.throttle');
      expect(throttleBefore?.lateBy, 'the throttling setTimeout wrapper is not installed in the page').toBe(LATE_BY);

      const id = await connectInPage(page, { url: broker.url, clientId, keepalive: 2, reconnect: false });
      await sleep(OBSERVE_MS); // the observation window: the page runs on its own meanwhile

      const throttle = await page.value<Throttle>('window.throttle');
      const events = await page.call<PageEvent[]>('events', id);
      const state = await page.call<string>('state', id);
      const diagnosis = `page events ${JSON.stringify(events)}; client state ${state}; PINGREQs reached aedes at (ms after it registered the client) ${JSON.stringify(pings)}; aedes keepaliveTimeout for ${JSON.stringify(keepaliveTimeouts)}, clientDisconnect for ${JSON.stringify(brokerDisconnects)}; setTimeout delays the library asked for (each run ${LATE_BY} ms later) ${JSON.stringify(throttle.requested)}`;

      // No engine timer (keepalive, reconnect, connect: all ≥ 1 s) went through the throttled page setTimeout.
      expect(throttle.requested.filter((ms) => ms >= 1_000), `the client armed page timers the tab throttles: ${diagnosis}`).toEqual([]);
      expect(keepaliveTimeouts, `aedes timed the client out (PINGREQ too late for 1.5 × keepalive): ${diagnosis}`).toEqual([]);
      expect(brokerDisconnects, `aedes lost the client: ${diagnosis}`).toEqual([]);
      expect(count(events, 'close'), `the page's client saw its connection close under throttled timers: ${diagnosis}`).toBe(0);
      expect(state, diagnosis).toBe('connected');
      expect(brokerClient(broker, clientId), `the connection is gone on aedes: ${diagnosis}`).toBeDefined();
      // A PINGREQ is due every 2 s of silence and runs at most ~1 s late: at least two in 6.5 s.
      expect(pings.length, `too few PINGREQs reached aedes: ${diagnosis}`).toBeGreaterThanOrEqual(2);

      const result = await page.call<number>('publish', id, `browser/${id}/after-throttle`, [1, 2, 3], { qos: 1, retain: false });
      expect(result, `publish after the throttled window completed with ${result}: ${diagnosis}`).toBe(0);
      expect(page.problems, 'page errors').toEqual([]);

      console.info(`[test/browser] throttled timers (+${LATE_BY} ms): PINGREQs reached aedes ${JSON.stringify(pings)} ms after it registered the client (its limit: 3,001 ms after the CONNECT, then after each packet); setTimeout delays asked for: ${JSON.stringify(throttle.requested)}`);
    },
    20_000,
  );

  it('where a Content-Security-Policy forbids workers, the page timers take over: keepalive pings, no close, round trip', async () => {
    const broker = await startBroker();
    const clientId = uniqueId('browser-csp');
    const pings: number[] = [];
    broker.broker.on('ping', (_packet, client) => {
      if (client.id === clientId) pings.push(performance.now());
    });
    const page = await openPage('?noWorkers=1');
    // The policy really refuses a blob: worker here; Chromium reports it afterwards, as an error event.
    const probe = "new Promise((done) => { const w = new Worker(URL.createObjectURL(new Blob(['postMessage(1)']))); w.onerror = () => done('refused'); w.onmessage = () => done('ran'); })";
    expect(await page.value<string>(probe)).toBe('refused');
    const id = await connectInPage(page, { url: broker.url, clientId, keepalive: 1, reconnect: false });
    await until(() => pings.length >= 2, 'two PINGREQs through the page timers', WAIT_MS);
    const topic = `browser/${id}/csp`;
    const granted = await page.call<{ result: number; granted: number[] }>('subscribe', id, [{ topic, qos: 1 }]);
    expect(granted.result).toBe(0);
    expect(await page.call<number>('publish', id, topic, [7, 8, 9], { qos: 1, retain: false })).toBe(0);
    const events = await page.call<PageEvent[]>('events', id);
    expect(count(events, 'close'), `closed under the CSP: ${JSON.stringify(events)}`).toBe(0);
    expect(await page.call<string>('state', id)).toBe('connected');
  });
});
