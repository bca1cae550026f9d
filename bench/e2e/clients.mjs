// Shared by the bench/e2e child processes: one thin adapter over each client library, so the
// publisher, subscriber, latency and idle scripts run the same application code against both.
//
// The adapters are deliberately thin: no closure or options object per publish (the per-QoS
// options objects and the completion callback are made once), so what a run measures is the
// library, not the adapter. Both libraries get identical treatment.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const IMP = 'impmqtt';
export const MQTTJS = 'MQTT.js';
export const BARE = 'bare socket';
/** The two libraries compared (a bare socket is only a baseline, for idle memory). */
export const LIBS = [IMP, MQTTJS];

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const clock = () => performance.timeOrigin + performance.now();

/** The library module. impmqtt comes from IMPMQTT_DIST (a snapshot of dist/esm the parent took,
 * so a rebuild by someone else mid-run cannot change or break it), else from dist/esm. */
export async function loadLibrary(lib) {
  if (lib === IMP) {
    const path = process.env.IMPMQTT_DIST ?? join(here, '..', '..', 'dist', 'esm', 'index.js');
    return import(pathToFileURL(path).href);
  }
  if (lib === MQTTJS) return (await import('mqtt')).default;
  if (lib === BARE) return import('node:net');
  throw new Error(`unknown library ${lib}`);
}

const QOS_OPTIONS = [{ qos: 0 }, { qos: 1 }, { qos: 2 }];

/**
 * Connects and resolves with an adapter:
 *   publish(topic, payload, qos, callback?)   callback(raw) with the library's own argument;
 *   failed(raw)                               true when that argument means failure;
 *   subscribe(topic, qos) → Promise<granted QoS>;
 *   onMessage(handler(payload));  onClose(handler(description));  end() → Promise.
 */
export function connectClient(lib, mod, { port, clientId, keepalive = 60, maxInflight, maxBuffered }) {
  return new Promise((resolve, reject) => {
    if (lib === IMP) {
      const options = { url: `mqtt://127.0.0.1:${port}`, clientId, keepalive, cleanSession: true, reconnect: false };
      if (maxInflight !== undefined) options.maxInflight = maxInflight;
      if (maxBuffered !== undefined) options.maxBuffered = maxBuffered;
      const client = new mod.MqttClient(options);
      let closeHandler = null;
      let ending = false;
      client.on('connectfailed', ({ returnCode, error }) => reject(new Error(`impmqtt: connect failed (return code ${returnCode}): ${error?.message}`)));
      client.on('close', ({ reason, error }) => {
        if (!ending && closeHandler) closeHandler(`impmqtt connection closed: ${reason}${error ? ` (${error.code ?? ''} ${error.message})` : ''}`);
      });
      client.on('connect', () =>
        resolve({
          lib,
          client,
          publish: (topic, payload, qos, callback) => client.publish(topic, payload, QOS_OPTIONS[qos], callback),
          failed: (result) => result !== 0,
          subscribe: (topic, qos) =>
            new Promise((ok, fail) =>
              client.subscribe([{ topic, qos }], (result, granted) => (result === 0 ? ok(granted[0]) : fail(new Error(`impmqtt: subscribe result ${result}`)))),
            ),
          onMessage: (handler) => client.on('message', (message) => handler(message.payload)),
          onClose: (handler) => (closeHandler = handler),
          state: () => ({ inflight: client.inflightCount, queued: client.queuedCount, state: client.state }),
          end: () =>
            new Promise((ok) => {
              ending = true;
              client.disconnect(ok);
            }),
        }),
      );
      client.connect();
      return;
    }
    if (lib === MQTTJS) {
      const client = mod.connect(`mqtt://127.0.0.1:${port}`, { clientId, clean: true, reconnectPeriod: 0, keepalive, protocolVersion: 4 });
      let closeHandler = null;
      let ending = false;
      let connected = false;
      client.on('error', (error) => {
        if (!connected) reject(new Error(`MQTT.js: connect failed: ${error.message}`));
        else if (closeHandler) closeHandler(`MQTT.js error: ${error.message}`);
      });
      client.on('close', () => {
        if (!connected) reject(new Error('MQTT.js: connection closed before CONNACK'));
        else if (!ending && closeHandler) closeHandler('MQTT.js connection closed');
      });
      client.once('connect', () => {
        connected = true;
        resolve({
          lib,
          client,
          publish: (topic, payload, qos, callback) => client.publish(topic, payload, QOS_OPTIONS[qos], callback),
          failed: (error) => error != null,
          subscribe: (topic, qos) =>
            new Promise((ok, fail) => client.subscribe(topic, QOS_OPTIONS[qos], (error, granted) => (error ? fail(error) : ok(granted[0].qos)))),
          onMessage: (handler) => client.on('message', (_topic, payload) => handler(payload)),
          onClose: (handler) => (closeHandler = handler),
          state: () => ({ queued: client.queue?.length ?? null, outgoing: Object.keys(client.outgoing ?? {}).length }),
          end: () =>
            new Promise((ok) => {
              ending = true;
              client.end(false, {}, () => ok());
            }),
        });
      });
      return;
    }
    if (lib === BARE) {
      // A raw TCP socket that sends CONNECT and waits for CONNACK: the floor any client pays.
      const id = Buffer.from(clientId);
      const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, keepalive >> 8, keepalive & 0xff, id.length >> 8, id.length & 0xff]), id]);
      const socket = mod.connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      socket.once('connect', () => socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
      socket.once('error', (error) => reject(new Error(`bare socket: ${error.message}`)));
      socket.once('data', (chunk) => {
        if (chunk[0] !== 0x20 || chunk[3] !== 0) return reject(new Error(`bare socket: unexpected CONNACK ${chunk.toString('hex')}`));
        resolve({
          lib,
          client: socket,
          end: () =>
            new Promise((ok) => {
              socket.once('close', () => ok());
              socket.end(Buffer.from([0xe0, 0]));
            }),
        });
      });
      return;
    }
    reject(new Error(`unknown library ${lib}`));
  });
}

/** Sends a message to the parent over IPC (no-op when run by hand without IPC). */
export function send(message) {
  if (process.send) process.send(message);
  else console.log(JSON.stringify(message));
}

/** Reports a fatal error to the parent and exits non-zero. */
export function die(error) {
  send({ type: 'error', message: error?.stack ?? String(error) });
  setTimeout(() => process.exit(1), 50);
}

/** This process's read and write system calls so far (Linux /proc/self/io; null elsewhere). The
 * socket reads of a subscriber per message show how its reads batch messages. */
export function ioCounters() {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    return { reads: Number(/syscr:\s*(\d+)/.exec(text)[1]), writes: Number(/syscw:\s*(\d+)/.exec(text)[1]) };
  } catch {
    return null;
  }
}

export function ioDelta(before) {
  const after = ioCounters();
  // (Includes the few reads of the IPC channel and of /proc itself: noise next to N messages.)
  return before && after ? { reads: after.reads - before.reads, writes: after.writes - before.writes } : null;
}

/** Sequence number in the first four bytes of a payload. */
export function sequenceOf(payload) {
  return ((payload[0] << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3]) >>> 0;
}
