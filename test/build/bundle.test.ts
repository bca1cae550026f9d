/**
 * What the published build promises bundlers and runtimes: a browser bundle built with default
 * settings succeeds and references no Node built-in; its size stays under the CI ceiling (sizes
 * are deterministic); a Node import never loads browser code; CommonJS works; the shipped
 * types leave internals out. Runs on dist/, which `npm test` builds first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUDGETS, measure } from '../../scripts/size.mjs';

const root = new URL('../../', import.meta.url);
const at = (path: string): string => new URL(path, root).pathname;

describe('the browser build', () => {
  for (const entry of BUDGETS) {
    it(`${entry.name}: bundles for the browser with no Node built-in, within ${(entry.ceiling / 1024).toFixed(1)} KB gzip`, async () => {
      const { gzip, text } = await measure(entry.source);
      expect(text).not.toMatch(/["']node:/);
      // Node's Buffer fast paths fold away (packet/bytes.ts must import nothing for the minifier to inline its constant).
      expect(text).not.toMatch(/allocUnsafe|utf8Write|latin1Slice/);
      expect(gzip, `gzip size ${gzip} B (target ${entry.budget} B)`).toBeLessThanOrEqual(entry.ceiling);
    });
  }

  it('ships the browser transport in place of the Node one', () => {
    const platform = readFileSync(at('dist/browser/transport/platform.js'), 'utf8');
    expect(platform).toContain('A browser cannot open');
    for (const file of ['node-socket.js', 'ws-node.js', 'ws-frames.js', 'ws-handshake.js']) expect(existsSync(at(`dist/browser/transport/${file}`))).toBe(false);
  });
});

describe('the Node build', () => {
  it('never loads browser code: the Node platform module opens TCP, TLS and WebSocket', () => {
    const platform = readFileSync(at('dist/esm/transport/platform.js'), 'utf8');
    expect(platform).toContain('openNodeSocket');
    expect(platform).not.toContain('A browser cannot open');
    expect(existsSync(at('dist/esm/transport/platform.browser.js'))).toBe(false);
  });

  it('require() gives the same curated surface as import', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(at('dist/cjs/index.cjs')) as Record<string, unknown>;
    const esm = (await import(at('dist/esm/index.js'))) as Record<string, unknown>;
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    expect(typeof cjs.MqttClient).toBe('function');
  });

  it("Node's import entries (dist/node, re-exports of one core bundle) export the same names, and a class is one class across subpaths", async () => {
    for (const entry of ['index', 'packet/index', 'session/index', 'api/imp/index', 'api/async/index', 'api/queue/index']) {
      const esm = (await import(at(`dist/esm/${entry}.js`))) as Record<string, unknown>;
      const node = (await import(at(`dist/node/${entry}.js`))) as Record<string, unknown>;
      expect(Object.keys(node).sort(), entry).toEqual(Object.keys(esm).sort());
      // Importing an entry loads it and the core, nothing else (Node pays per file).
      expect(readFileSync(at(`dist/node/${entry}.js`), 'utf8').match(/ from "[^"]+"/g), entry).toEqual([expect.stringMatching(/\/chunks\/core\.js"$/)]);
    }
    const node = (await import(at('dist/node/index.js'))) as Record<string, unknown>;
    const packet = (await import(at('dist/node/packet/index.js'))) as Record<string, unknown>;
    const store = (await import(at('dist/node/store/index.js'))) as Record<string, unknown>;
    expect(packet.MqttError).toBe(node.MqttError);
    expect(typeof store.fileStore).toBe('function');
    const gateway = (await import(at('dist/node/api/gateway/index.js'))) as Record<string, unknown>;
    expect(typeof gateway.createGateway).toBe('function');
    const manifest = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { exports: Record<string, { node?: { import: string } }>; bin: { impmqtt: string } };
    for (const [subpath, conditions] of Object.entries(manifest.exports)) {
      if (conditions.node !== undefined) expect(existsSync(at(conditions.node.import)), subpath).toBe(true);
    }
    expect(readFileSync(at(manifest.bin.impmqtt), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('the shipped types leave internals out (stripInternal)', () => {
    const imp = readFileSync(at('dist/types/api/imp/imp-client.d.ts'), 'utf8');
    expect(imp).not.toMatch(/constructor\(agent/);
    const index = readFileSync(at('dist/types/index.d.ts'), 'utf8');
    for (const internal of ['PacketIdAllocator', 'Backoff,', 'TokenBucket', 'openTransport']) expect(index).not.toContain(internal);
  });
});
