// Adapters for impmqtt's faces, with the same shape as clients.mjs's (publish, failed,
// subscribe, onMessage, onClose, end), so a benchmark can set a face beside the engine it
// wraps. Each uses the face as its documentation shows: the async face's promises and
// `for await`, the queue's send() and listen().
import { MessageEnvelope } from '../../dist/esm/api/queue/index.js';

export const IMP_ASYNC = 'impmqtt async';
export const IMP_QUEUE = 'impmqtt queue';
export const FACES = [IMP_ASYNC, IMP_QUEUE];

const QOS_OPTIONS = [{ qos: 0 }, { qos: 1 }, { qos: 2 }];

/** `topic` and `qos` are needed up front by the queue, which is configured with both. */
export async function connectFace(lib, mod, { port, clientId, keepalive = 60, topic, qos, role }) {
  if (lib === IMP_ASYNC) {
    const client = await mod.connect(`mqtt://127.0.0.1:${port}`, { clientId, keepalive, cleanSession: true });
    let closeHandler = null;
    let ending = false;
    client.on('close', ({ reason, error }) => {
      if (!ending && closeHandler) closeHandler(`impmqtt async connection closed: ${reason} ${error?.message ?? ''}`);
    });
    return {
      lib,
      client,
      publish: (t, payload, q, callback) => {
        const done = client.publish(t, payload, QOS_OPTIONS[q]);
        if (callback === undefined) done.catch((error) => closeHandler?.(error.message));
        else done.then(() => callback(null), (error) => callback(error));
      },
      failed: (error) => error != null,
      subscribe: async (t, q) => (await client.subscribe(t, { qos: q }))[0],
      onMessage: (handler) => {
        (async () => {
          for await (const message of client.messages) handler(message.payload);
        })().catch((error) => ending || closeHandler?.(error.message));
      },
      onClose: (handler) => (closeHandler = handler),
      end: async () => {
        ending = true;
        await client.disconnect();
      },
    };
  }
  if (lib === IMP_QUEUE) {
    const queue = new mod.MqttMessageQueue('bench');
    queue.configure({
      'connection.host': '127.0.0.1',
      'connection.port': port,
      client_id: clientId,
      topic,
      'options.qos': qos,
      'options.autosubscribe': role === 'sub',
      'options.keepalive_timeout': keepalive * 1000,
      'options.retry_connect': false,
    });
    let receiver = null;
    let closeHandler = null;
    queue.on?.('error', (error) => closeHandler?.(error.message));
    await queue.open(null);
    return {
      lib,
      client: queue,
      publish: (_t, payload, _q, callback) => {
        const done = queue.send(null, new MessageEnvelope(null, 'bench', payload));
        if (callback === undefined) done.catch((error) => closeHandler?.(error.message));
        else done.then(() => callback(null), (error) => callback(error));
      },
      failed: (error) => error != null,
      // Subscribed by open() (autosubscribe); listen() hands over each envelope.
      subscribe: async (_t, q) => q,
      onMessage: (handler) => {
        receiver = { receiveMessage: (envelope) => handler(envelope.message) };
        queue.listen(null, receiver);
      },
      onClose: (handler) => (closeHandler = handler),
      end: () => queue.close(null),
    };
  }
  throw new Error(`unknown face ${lib}`);
}
