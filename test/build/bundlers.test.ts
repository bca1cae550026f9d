/**
 * Issue 9's promise to bundler users: Vite and webpack, with their default settings, build an
 * application that imports impmqtt, pick the browser build by its export conditions, carry no
 * Node built-in, and the bundle runs: it constructs a client and connects through the page's
 * WebSocket (a stand-in that records what it is asked). (esbuild: bundle.test.ts and the
 * Chromium test.) Runs on dist/, which `npm test` builds first.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repository = new URL('../../', import.meta.url).pathname;
/** The application: what a user writes, and a hook for the test to reach the client it made. */
const APPLICATION = `import { MqttClient, MqttError } from 'impmqtt';
globalThis.made = (url) => {
  const client = new MqttClient({ url, clientId: 'bundled', reconnect: false });
  client.connect();
  return { client, isError: new MqttError('INVALID_OPTIONS', 'x') instanceof Error };
};
`;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'impmqtt-bundlers-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(repository, join(project, 'node_modules', 'impmqtt'), 'dir');
  writeFileSync(join(project, 'main.js'), APPLICATION);
  writeFileSync(join(project, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

/** Runs a bundle as a page would, with a WebSocket that records the connection it is asked for. */
function runInPage(code: string): { urls: string[]; protocols: unknown[]; isError: boolean; state: string } {
  const urls: string[] = [];
  const protocols: unknown[] = [];
  class PageWebSocket {
    binaryType = 'blob';
    readyState = 0;
    bufferedAmount = 0;
    protocol = '';
    constructor(url: string, protocol: unknown) {
      urls.push(url);
      protocols.push(protocol);
    }
    send(): void {}
    close(): void {}
  }
  // A document just rich enough for Vite's modulepreload check to find modulepreload supported.
  const document = { createElement: () => ({ relList: { supports: () => true } }) };
  const page: Record<string, unknown> = { WebSocket: PageWebSocket, document, TextEncoder, TextDecoder, URL, crypto, performance, queueMicrotask, setTimeout, clearTimeout, console };
  page.globalThis = page;
  page.self = page;
  page.window = page;
  vm.runInNewContext(code, page);
  const made = (page.made as (url: string) => { client: { state: string; destroy(): void }; isError: boolean })('ws://127.0.0.1:9/mqtt');
  const state = made.client.state;
  made.client.destroy();
  return { urls, protocols, isError: made.isError, state };
}

function expectBrowserBundle(code: string): void {
  expect(code).not.toMatch(/["']node:/);
  expect(code).not.toMatch(/\brequire\(/);
  const ran = runInPage(code);
  expect(ran).toEqual({ urls: ['ws://127.0.0.1:9/mqtt'], protocols: [['mqtt']], isError: true, state: 'connecting' });
}

describe('bundlers with default settings', () => {
  it('webpack 5 (mode production): builds, picks the browser build, and the bundle connects over the page WebSocket', async () => {
    const { default: webpack } = await import('webpack');
    const out = join(project, 'webpack-out');
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) => {
      webpack({ mode: 'production', context: project, entry: './main.js', output: { path: out, filename: 'main.js' } }, (error, result) => (error ? reject(error) : resolve(result!)));
    });
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    expect(info.errors ?? []).toEqual([]);
    expect(info.warnings ?? []).toEqual([]);
    expectBrowserBundle(readFileSync(join(out, 'main.js'), 'utf8'));
  }, 60_000);

  it('Vite (vite build of an index.html): builds, picks the browser build, and the bundle connects over the page WebSocket', async () => {
    const { build } = await import('vite');
    const out = join(project, 'vite-out');
    const warnings: string[] = [];
    await build({
      root: project,
      configFile: false,
      logLevel: 'silent',
      customLogger: { info() {}, warn: (message: string) => warnings.push(message), warnOnce: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message), clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
      build: { outDir: out },
    });
    expect(warnings).toEqual([]);
    const assets = readdirSync(join(out, 'assets')).filter((name) => name.endsWith('.js'));
    expect(assets).toHaveLength(1);
    // The page loads it as a module; it imports nothing, so it runs as a script too.
    const code = readFileSync(join(out, 'assets', assets[0]!), 'utf8');
    expect(code).not.toMatch(/^\s*import\b/m);
    expectBrowserBundle(code.replace(/\bexport\s*\{[^}]*\};?\s*$/, ''));
  }, 60_000);
});
