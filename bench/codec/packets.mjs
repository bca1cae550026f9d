// The packets bench/codec.mjs encodes and decodes, each in both libraries' shapes: PUBLISH at
// four payload sizes, a CONNECT with user, password and will, a SUBSCRIBE of ten filters, a PUBACK.

export const TOPIC = 'sensors/device42'; // 16 bytes

export const payloadOf = (n) => Buffer.alloc(n, 0x61);
export const SIZES = [
  ['0 B', 0],
  ['64 B', 64],
  ['1 KiB', 1024],
  ['64 KiB', 65536],
];

export function publishPair(qos, size) {
  const payload = payloadOf(size);
  const imp = { type: 'publish', topic: TOPIC, payload, qos, dup: false, retain: false };
  const mp = { cmd: 'publish', topic: TOPIC, payload, qos, dup: false, retain: false };
  if (qos > 0) {
    imp.packetId = 4242;
    mp.messageId = 4242;
  }
  return { imp, mp };
}

export const WILL_PAYLOAD = Buffer.from('offline');
export const PASSWORD = Buffer.from('correct horse battery staple');
export const connectPair = {
  imp: {
    type: 'connect',
    clientId: 'impmqtt-bench-0001',
    keepalive: 60,
    cleanSession: true,
    will: { topic: 'clients/impmqtt-bench-0001/status', payload: WILL_PAYLOAD, qos: 1, retain: true },
    username: 'bench-user',
    password: PASSWORD,
  },
  mp: {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'impmqtt-bench-0001',
    keepalive: 60,
    clean: true,
    will: { topic: 'clients/impmqtt-bench-0001/status', payload: WILL_PAYLOAD, qos: 1, retain: true },
    username: 'bench-user',
    password: PASSWORD,
  },
};

export const FILTERS = [
  'sensors/+/temperature',
  'sensors/+/humidity',
  'home/livingroom/#',
  'home/kitchen/light/state',
  '$SYS/broker/clients/connected',
  'devices/device42/commands/#',
  'alerts/+/+/critical',
  'fleet/truck-17/gps',
  'factory/line3/plc/+/status',
  'weather/station/+/wind',
].map((topic, i) => ({ topic, qos: i % 3 }));
export const subscribePair = {
  imp: { type: 'subscribe', packetId: 77, subscriptions: FILTERS },
  mp: { cmd: 'subscribe', messageId: 77, subscriptions: FILTERS },
};
export const pubackPair = { imp: { type: 'puback', packetId: 4242 }, mp: { cmd: 'puback', messageId: 4242 } };
