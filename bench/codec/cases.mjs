// The cases bench/codec.mjs times, each one packet path in both libraries (encode | generate,
// encodeInto | writeToStream, streamed and single-packet decode), each path sanity-checked as it
// is added (sanity.mjs).
import { IMP, MP, MP_OPTS, PacketDecoder, encode, encodeInto, mqttPacket } from './codecs.mjs';
import { FILTERS, PASSWORD, SIZES, WILL_PAYLOAD, connectPair, pubackPair, publishPair, subscribePair } from './packets.mjs';
import { checkEncodePaths, checkSingleDecode, checkStream, sameBytes } from './sanity.mjs';
import { buildStream, impStreamDecoder, mpStreamDecoder, nullSink } from './streams.mjs';

export const cases = [];
const encodeBuffer = Buffer.alloc(128 * 1024);

for (const qos of [0, 1]) {
  for (const [sizeLabel, size] of SIZES) {
    const pair = publishPair(qos, size);
    checkEncodePaths(`PUBLISH QoS ${qos} ${sizeLabel}`, pair);
    cases.push({
      name: `encode Q${qos} ${sizeLabel} (encode | generate)`,
      competitors: {
        [IMP]: () => encode(pair.imp),
        [MP]: () => mqttPacket.generate(pair.mp, MP_OPTS),
      },
    });
  }
}
for (const qos of [0, 1]) {
  for (const [sizeLabel, size] of SIZES) {
    const pair = publishPair(qos, size);
    cases.push({
      name: `encode Q${qos} ${sizeLabel} (encodeInto | writeToStream)`,
      competitors: {
        [IMP]: () => encodeInto(pair.imp, encodeBuffer, 0),
        [MP]: {
          setup() {
            const sink = nullSink();
            return () => mqttPacket.writeToStream(pair.mp, sink, MP_OPTS);
          },
        },
      },
    });
  }
}

const KiB64 = 64 * 1024;
const decodeStreams = [
  { name: 'decode Q0 64 B, 64 KiB chunks', qos: 0, size: 64, count: 12480, chunk: KiB64 },
  { name: 'decode Q0 64 B, 7 B chunks', qos: 0, size: 64, count: 3120, chunk: 7 },
  { name: 'decode Q1 64 B, 64 KiB chunks', qos: 1, size: 64, count: 12192, chunk: KiB64 },
  { name: 'decode Q1 64 KiB, 64 KiB chunks', qos: 1, size: 65536, count: 16, chunk: KiB64 },
];
for (const d of decodeStreams) {
  const { imp } = publishPair(d.qos, d.size);
  const stream = buildStream(imp, d.count, d.chunk);
  checkStream(d.name, stream, imp);
  cases.push({
    name: d.name,
    ops: stream.count, // ops/s are packets/s
    competitors: {
      [IMP]: { setup: () => impStreamDecoder(stream) },
      [MP]: { setup: () => mpStreamDecoder(stream) },
    },
  });
}

function singlePacketCases(label, pair, impCheck, mpCheck) {
  checkEncodePaths(label, pair);
  const bytes = Buffer.from(encode(pair.imp));
  checkSingleDecode(label, bytes, impCheck, mpCheck);
  cases.push({
    name: `encode ${label} (encode | generate)`,
    competitors: {
      [IMP]: () => encode(pair.imp),
      [MP]: () => mqttPacket.generate(pair.mp, MP_OPTS),
    },
  });
  cases.push({
    name: `decode ${label}`,
    competitors: {
      [IMP]: {
        setup() {
          const decoder = new PacketDecoder();
          return () => decoder.push(bytes);
        },
      },
      [MP]: {
        setup() {
          const parser = mqttPacket.parser(MP_OPTS);
          let last;
          parser.on('packet', (p) => (last = p));
          return () => {
            parser.parse(bytes);
            return last;
          };
        },
      },
    },
  });
}

singlePacketCases(
  'CONNECT (user, password, will)',
  connectPair,
  (p) => p.type === 'connect' && p.clientId === connectPair.imp.clientId && p.username === 'bench-user' && sameBytes(p.password, PASSWORD) && p.will?.topic === connectPair.imp.will.topic && sameBytes(p.will.payload, WILL_PAYLOAD) && p.will.qos === 1 && p.will.retain === true && p.keepalive === 60,
  (p) => p.cmd === 'connect' && p.clientId === connectPair.mp.clientId && p.username === 'bench-user' && sameBytes(p.password, PASSWORD) && p.will?.topic === connectPair.mp.will.topic && sameBytes(p.will.payload, WILL_PAYLOAD) && p.keepalive === 60,
);
singlePacketCases(
  'SUBSCRIBE (10 filters)',
  subscribePair,
  (p) => p.type === 'subscribe' && p.packetId === 77 && JSON.stringify(p.subscriptions) === JSON.stringify(FILTERS),
  (p) => p.cmd === 'subscribe' && p.messageId === 77 && JSON.stringify(p.subscriptions.map(({ topic, qos }) => ({ topic, qos }))) === JSON.stringify(FILTERS),
);
singlePacketCases(
  'PUBACK',
  pubackPair,
  (p) => p.type === 'puback' && p.packetId === 4242,
  (p) => p.cmd === 'puback' && p.messageId === 4242,
);
