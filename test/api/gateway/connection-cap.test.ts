/**
 * The gateway holds at most http.maxConnections HTTP connections. Without a cap, idle sockets
 * (opened again as fast as headersTimeout closes them) could use up the process's descriptors
 * (1,024 by default on Linux), and with them the MQTT client's next reconnect: one caller would
 * cut every other caller off. Past the cap a connection is closed at once, counted in /metrics
 * and logged; the ones held keep working, and a freed slot is taken again.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../../src/api/gateway/index.js';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

/** An open TCP connection to `port` that sends nothing; resolves once connected. */
function idle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves with whether the server closed `socket` (true), or false if it was still open after `ms`. */
function closedByServer(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

describe('SendMessage gateway: http.maxConnections', () => {
  let broker: AedesBroker;
  let running: RunningGateway;
  const logged: string[] = [];
  const held: Socket[] = [];

  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url, { http: { maxConnections: 2 }, log: (line: string) => logged.push(line) });
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await running?.gateway.close(500);
    await broker?.stop();
  });

  it('past the cap a connection is closed at once, counted and logged; the held ones still serve; a freed slot serves again', async () => {
    held.push(await idle(running.port), await idle(running.port));
    const third = await idle(running.port);
    held.push(third);
    expect(await closedByServer(third, 5_000)).toBe(true);
    // The two held connections are untouched by the refusal: one of them still carries a request.
    const [first, second] = held as [Socket, Socket];
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      first.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('"MsgId"')) resolve(text);
      });
      first.write(`GET /?${signedQuery('GET')} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(logged.join('\n')).toMatch(/refused 1 connection.*http\.maxConnections \(2\)/);
    // A slot freed is taken again: the metrics scrape itself is a new connection.
    first.destroy();
    second.destroy();
    // Until the server has seen those two close, a scrape is itself refused (and counted).
    let metrics = '';
    let refusedScrapes = 0;
    for (let attempt = 0; attempt < 50 && metrics === ''; attempt++) {
      const response = await rawHttp(running.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      if (response.status === 200) metrics = response.body;
      else (refusedScrapes++, await new Promise((resolve) => setTimeout(resolve, 100)));
    }
    expect(metrics, metrics).toMatch(new RegExp(`^impmqtt_gateway_connections_refused_total ${1 + refusedScrapes}$`, 'm'));
  });

  it('http.maxConnections must be a whole number of at least 1 (typed, at the call)', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10']) {
      expect(() => createGateway({ mqtt: { url: 'mqtt://127.0.0.1:1' }, allowAnonymous: true, http: { maxConnections: bad as number } })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
  });
});
