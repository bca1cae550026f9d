/**
 * The browser side of the browser suite: the library's browser build as one ESM bundle, a
 * loopback HTTP server for the page and the bundle, headless Chromium (Debian's, through
 * puppeteer-core: never a downloaded browser), and an in-page harness the tests drive with
 * page.evaluate. Everything here binds or connects to 127.0.0.1 only.
 *
 *   const bundle = await buildBrowserBundle();
 *   const server = await startPageServer(bundle);
 *   const chromium = await launchChromium();
 *   const page = await openHarnessPage(chromium.browser, server.url);   // or server.url + '?lateBy=1000'
 *   await page.call('create', 'c1', { url, clientId: 'c1' });
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { LOOPBACK } from '../support/ports.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** Why the browser suite cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} does not exist (install Debian's chromium package)`;
}

// ---- the bundle --------------------------------------------------------------------------

/**
 * One ESM bundle of the package as a browser resolves it: 'impmqtt' and 'impmqtt/imp' through
 * the package's own exports map under the 'browser' condition (dist/browser). Builds dist/
 * first when it is missing (npm test builds it before vitest, so normally it is there).
 */
export async function buildBrowserBundle(): Promise<string> {
  if (!existsSync(join(REPO_ROOT, 'dist/browser/index.js'))) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const result = await build({
    stdin: { contents: "export * from 'impmqtt'; export * as imp from 'impmqtt/imp';", resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output for the browser bundle');
  return output.text;
}

/** Every `node:` specifier the bundle still mentions (imports, requires, dynamic imports). */
export function nodeImportsIn(bundle: string): string[] {
  return [...new Set(bundle.match(/["'`]node:[\w/]+["'`]/g) ?? [])];
}

// ---- the page ----------------------------------------------------------------------------

/**
 * Runs in the page (as /harness.js, an ES module importing /bundle.js): keeps clients by id,
 * records their events and messages as plain JSON, and answers the tests' calls. Plain
 * JavaScript on purpose: nothing here is transpiled.
 */
const HARNESS_JS = String.raw`
import * as lib from '/bundle.js';

const clients = new Map();
const events = [];
const errorInfo = (error) => (error ? { code: error.code, message: error.message } : null);
const entry = (id) => {
  const found = clients.get(id);
  if (!found) throw new Error('The page has no client ' + id);
  return found;
};

let impClient = null;
const impLog = { connect: [], lost: [], messages: [] };

window.harness = {
  exportNames: () => Object.keys(lib).sort(),
  impExportNames: () => Object.keys(lib.imp).sort(),
  hasWebSocket: () => typeof WebSocket === 'function',

  create(id, options) {
    const client = new lib.MqttClient(options);
    const record = { client, messages: [] };
    clients.set(id, record);
    const log = (name, detail) => events.push({ client: id, name, detail, at: Math.round(performance.now()) });
    client.on('connect', (info) => log('connect', { sessionPresent: info.sessionPresent }));
    client.on('connectfailed', (info) => log('connectfailed', { returnCode: info.returnCode ?? null, error: errorInfo(info.error) }));
    client.on('close', (info) => log('close', { reason: info.reason, error: errorInfo(info.error) }));
    client.on('reconnect', (info) => log('reconnect', { attempt: info.attempt, delay: info.delay }));
    client.on('message', (m) =>
      record.messages.push({ topic: m.topic, payload: Array.from(m.payload), qos: m.qos, retain: m.retain, dup: m.dup }),
    );
    return client.state;
  },
  connect: (id) => void entry(id).client.connect(),
  state: (id) => entry(id).client.state,
  events: (id) => events.filter((e) => id === undefined || e.client === id),
  messages: (id) => entry(id).messages,
  publish: (id, topic, payload, options) =>
    new Promise((resolve) => entry(id).client.publish(topic, Uint8Array.from(payload), options, (result) => resolve(result))),
  subscribe: (id, subscriptions) =>
    new Promise((resolve) =>
      entry(id).client.subscribe(subscriptions, (result, granted) => resolve({ result, granted: Array.from(granted ?? []) })),
    ),
  disconnect: (id) =>
    new Promise((resolve) => {
      const { client } = entry(id);
      client.disconnect(() => resolve({ stateInCallback: client.state }));
    }),
  destroyAll() {
    for (const { client } of clients.values()) client.destroy();
    if (impClient !== null && impClient.connectionstate() !== 0) impClient.disconnect();
  },

  // The imp face: mqtt.createclient() and its callback API.
  impStart(url, clientId) {
    impClient = lib.imp.mqtt.createclient();
    impClient.onconnect((rc) => impLog.connect.push(rc));
    impClient.onconnectionlost((reason) => impLog.lost.push(reason ?? null));
    impClient.onmessage((item) =>
      impLog.messages.push({ topic: item.topic, text: item.message.tostring(), qos: item.qos, retain: item.retain }),
    );
    impClient.connect(url, clientId, { keepalive: 60 });
  },
  impLog: () => impLog,
  impState: () => impClient.connectionstate(),
  impSubscribe: (topic, qos) =>
    new Promise((resolve) => {
      const returned = impClient.subscribe(topic, qos, (qosMode) => resolve({ returned, qosMode }));
      if (returned !== 0) resolve({ returned, qosMode: null });
    }),
  impSend: (topic, text, qos) => new Promise((resolve) => impClient.createmessage(topic, text, { qos }).sendasync((rc) => resolve(rc))),
  impDisconnect: () => new Promise((resolve) => impClient.disconnect(() => resolve(impClient.connectionstate()))),
};
window.ready = true;
`;

/**
 * Runs before the bundle loads when the page is asked for with ?lateBy=N: every setTimeout
 * callback runs N ms later than asked, as in a background tab whose timers Chrome throttles
 * (aligned to whole seconds, so up to ~1 s late). Records what was asked for.
 */
const THROTTLE_JS = String.raw`
(() => {
  const lateBy = LATE_BY;
  const original = window.setTimeout.bind(window);
  const throttle = { lateBy, calls: 0, requested: [] };
  window.throttle = throttle;
  window.setTimeout = (callback, delay, ...args) => {
    const asked = Math.max(0, Number(delay) || 0);
    throttle.calls += 1;
    if (throttle.requested.length < 200) throttle.requested.push(asked);
    return original(callback, asked + lateBy, ...args);
  };
})();
`;

function pageHtml(lateBy: number | undefined): string {
  const throttle = lateBy === undefined ? '' : `<script>${THROTTLE_JS.replace('LATE_BY', String(lateBy))}</script>\n`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>impmqtt browser test</title><link rel="icon" href="data:,">
${throttle}<script type="module" src="/harness.js"></script>
</head><body>impmqtt browser test</body></html>
`;
}

export interface PageServer {
  /** http://127.0.0.1:port/ */
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves the page (/, /?lateBy=N, /?noWorkers=1), /harness.js and /bundle.js on 127.0.0.1:<free port>. */
export async function startPageServer(bundle: string): Promise<PageServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}`);
    const send = (type: string, body: string, headers: Record<string, string> = {}): void => {
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      response.end(body);
    };
    if (url.pathname === '/') {
      const lateBy = url.searchParams.get('lateBy');
      // ?noWorkers=1: a Content-Security-Policy that forbids workers, as some sites set.
      const csp: Record<string, string> = url.searchParams.has('noWorkers') ? { 'content-security-policy': "worker-src 'none'" } : {};
      send('text/html; charset=utf-8', pageHtml(lateBy === null ? undefined : Number(lateBy)), csp);
    } else if (url.pathname === '/bundle.js') {
      send('text/javascript; charset=utf-8', bundle);
    } else if (url.pathname === '/harness.js') {
      send('text/javascript; charset=utf-8', HARNESS_JS);
    } else {
      response.writeHead(404).end();
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: LOOPBACK }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`Unexpected address ${String(address)}`));
      else resolvePort(address.port);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}/`,
    stop: () =>
      (stopping ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

// ---- the browser -------------------------------------------------------------------------

export interface Chromium {
  readonly browser: Browser;
  /** Closes the browser and removes its profile directory. Idempotent. */
  stop(): Promise<void>;
}

/** Headless Debian Chromium with a fresh profile directory; nothing is downloaded. */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'impmqtt-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Loopback only: no proxy, whatever the environment says.
        '--no-proxy-server',
        `--user-data-dir=${profile}`,
      ],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    browser,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await browser.close();
        } finally {
          rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
        }
      })()),
  };
}

/** Bounded: a guard against hangs, never a timing assertion. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface HarnessPage {
  readonly page: Page;
  /** Uncaught page errors and console errors, for failure messages. */
  readonly problems: string[];
  /** Every URL the page requested (HTTP and WebSocket), to check it stayed on loopback. */
  readonly requests: string[];
  /** Calls window.harness[name](...args) in the page; rejects after `timeoutMs`. */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
  callWithin<T = unknown>(timeoutMs: number, name: string, ...args: unknown[]): Promise<T>;
  /** Evaluates a page expression (JSON result). */
  value<T = unknown>(expression: string): Promise<T>;
  close(): Promise<void>;
}

const CALL_MS = 10_000;

/** Opens `url` in a new tab and waits until the harness (and so the bundle) has loaded. */
export async function openHarnessPage(browser: Browser, url: string): Promise<HarnessPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('request', (request) => requests.push(request.url()));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`));
  const client = await page.createCDPSession();
  await client.send('Network.enable');
  client.on('Network.webSocketCreated', (event) => requests.push(event.url));

  const callWithin = <T>(timeoutMs: number, name: string, ...args: unknown[]): Promise<T> =>
    within(
      page.evaluate(
        (method: string, params: unknown[]) => (window as unknown as { harness: Record<string, (...a: unknown[]) => unknown> }).harness[method]!(...params),
        name,
        args,
      ) as Promise<T>,
      timeoutMs,
      `page call ${name}(${JSON.stringify(args).slice(1, -1)})`,
    );
  try {
    await page.goto(url, { waitUntil: 'load', timeout: CALL_MS });
    await page.waitForFunction('window.ready === true', { timeout: CALL_MS });
  } catch (error) {
    await page.close().catch(() => {});
    throw new Error(`The harness page did not load (${(error as Error).message}); page problems: ${JSON.stringify(problems)}`);
  }
  return {
    page,
    problems,
    requests,
    call: (name, ...args) => callWithin(CALL_MS, name, ...args),
    callWithin,
    value: <T>(expression: string) => within(page.evaluate(expression) as Promise<T>, CALL_MS, `page expression ${expression}`),
    close: () => page.close().catch(() => {}),
  };
}
