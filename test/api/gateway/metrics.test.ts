/**
 * /metrics counts what was answered, once. Found in review: a request cut short — a chunked
 * body broken mid-way, a client leaving mid-body — was counted twice as a 400 BadRequest: once
 * where the malformed HTTP was refused, once more when the request it cut short failed (and
 * nothing could be answered for it).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

const HEAD = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n';

/** Writes `parts` 50 ms apart; resolves with what came back once the server closes (or after `ms`, closing itself). */
function exchange(port: number, parts: string[], ms: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    void (async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  });
}

describe('SendMessage gateway: /metrics counts answers', () => {
  let broker: AedesBroker;
  let running: RunningGateway;
  const badRequests = async (): Promise<number> => {
    const text = await (await fetch(`${running.endpoint}/metrics`)).text();
    return Number(/^impmqtt_gateway_requests_total\{action="none",status="400",code="BadRequest"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url);
  });
  afterAll(async () => {
    await running?.gateway.close(500);
    await broker?.stop();
  });

  it('a chunked body broken mid-way: one 400 answered, one counted', async () => {
    const answer = await exchange(running.port, [`${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nAcces\r\n`, 'ZZ\r\nxx\r\n'], 2_000);
    expect(answer.match(/^HTTP\/1\.1 400/gm)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await badRequests()).toBe(1);
  });

  it('a client that leaves mid-body: counted once at most (the cut-short HTTP refused), not again as the request failing', async () => {
    const before = await badRequests();
    const answer = await exchange(running.port, [`${HEAD}Content-Length: 100\r\n\r\nAccess`], 200);
    expect(answer).toBe('');
    await new Promise((r) => setTimeout(r, 100));
    expect(await badRequests()).toBeLessThanOrEqual(before + 1);
  });
});
