// Sanity checks for bench/codec.mjs: every path it times must do the right thing, else the
// numbers mean nothing. What fails is collected in `problems`; the benchmark refuses to run then.
import { MP_OPTS, PacketDecoder, encode, encodeInto, mqttPacket } from './codecs.mjs';
import { capturingSink } from './streams.mjs';

export const problems = [];
function check(condition, message) {
  if (!condition) problems.push(message);
}

export function checkEncodePaths(label, pair) {
  const imp = Buffer.from(encode(pair.imp));
  const gen = mqttPacket.generate(pair.mp, MP_OPTS);
  check(imp.equals(gen), `${label}: encode() and generate() bytes differ\n  impmqtt     ${imp.toString('hex').slice(0, 160)}\n  mqtt-packet ${gen.toString('hex').slice(0, 160)}`);
  const target = Buffer.alloc(imp.length + 16);
  const n = encodeInto(pair.imp, target, 0);
  check(n === imp.length && target.subarray(0, n).equals(imp), `${label}: encodeInto() differs from encode()`);
  const sink = capturingSink();
  mqttPacket.writeToStream(pair.mp, sink, MP_OPTS);
  check(sink.bytes().equals(gen), `${label}: writeToStream() differs from generate()`);
}

export function sameBytes(a, b) {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Decodes `stream` with both libraries and checks the count and the first and last packets.
 * Keeps no packets alive: retaining thousands of decoded packets here would teach V8 to pretenure
 * the decoders' allocation sites (allocate straight into old space), halving the speeds measured
 * afterwards.
 */
export function checkStream(label, stream, expected) {
  const last = stream.count - 1;
  const impOk = (a) => a?.type === 'publish' && a.topic === expected.topic && a.qos === expected.qos && a.packetId === expected.packetId && sameBytes(a.payload, expected.payload);
  const mpOk = (b) => b?.cmd === 'publish' && b.topic === expected.topic && b.qos === expected.qos && (expected.qos === 0 || b.messageId === expected.packetId) && sameBytes(b.payload, expected.payload);
  let impCount = 0;
  const decoder = new PacketDecoder();
  for (const chunk of stream.chunks) {
    for (const a of decoder.push(chunk)) {
      if ((impCount === 0 || impCount === last) && !impOk(a)) problems.push(`${label}: impmqtt packet ${impCount} decoded wrong`);
      impCount++;
    }
  }
  let mpCount = 0;
  const parser = mqttPacket.parser(MP_OPTS);
  parser.on('packet', (b) => {
    if ((mpCount === 0 || mpCount === last) && !mpOk(b)) problems.push(`${label}: mqtt-packet packet ${mpCount} decoded wrong`);
    mpCount++;
  });
  parser.on('error', (e) => problems.push(`${label}: mqtt-packet parser error ${e.message}`));
  for (const chunk of stream.chunks) parser.parse(chunk);
  check(impCount === stream.count, `${label}: impmqtt decoded ${impCount} packets, expected ${stream.count}`);
  check(mpCount === stream.count, `${label}: mqtt-packet decoded ${mpCount} packets, expected ${stream.count}`);
  check(decoder.buffered === 0, `${label}: impmqtt decoder holds ${decoder.buffered} bytes after a whole stream`);
}

export function checkSingleDecode(label, bytes, impCheck, mpCheck) {
  const got = new PacketDecoder().push(bytes);
  check(got.length === 1 && impCheck(got[0]), `${label}: impmqtt decoded ${JSON.stringify(got).slice(0, 200)}`);
  const seen = [];
  const parser = mqttPacket.parser(MP_OPTS);
  parser.on('packet', (p) => seen.push(p));
  parser.on('error', (e) => problems.push(`${label}: mqtt-packet parser error ${e.message}`));
  parser.parse(bytes);
  check(seen.length === 1 && mpCheck(seen[0]), `${label}: mqtt-packet decoded ${JSON.stringify(seen).slice(0, 200)}`);
}
