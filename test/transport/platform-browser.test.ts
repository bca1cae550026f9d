/**
 * The browser build's transport module (dist/browser/transport/platform.js is built from it):
 * WebSocket through the platform's class only; TCP and TLS are refused with a typed error.
 */
import { describe, expect, it } from 'vitest';
import { openTransport } from '../../src/transport/platform.browser.js';
import { parseBrokerUrl } from '../support/internals.js';

const events = { open() {}, data() {}, drain() {}, close() {} };

describe('platform.browser openTransport', () => {
  for (const url of ['mqtt://127.0.0.1:1883', 'mqtts://127.0.0.1:8883', 'tcp://127.0.0.1:1883', 'ssl://127.0.0.1:8883']) {
    it(`refuses ${url.split(':')[0]}:// with UNSUPPORTED_TRANSPORT (origin caller)`, () => {
      expect(() => openTransport(parseBrokerUrl(url), {}, events)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_TRANSPORT', origin: 'caller' }));
    });
  }

  it('refuses ws:// on a platform without a global WebSocket, with a typed error', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => openTransport(parseBrokerUrl('ws://127.0.0.1:9/mqtt'), {}, events)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_TRANSPORT' }));
    } finally {
      if (saved !== undefined) (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
