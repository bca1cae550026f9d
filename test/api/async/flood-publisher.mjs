// A fast QoS 0 publisher in its own process (so it adds nothing to the memory of the process it
// floods): raw MQTT 3.1.1 on node:net, no library. Message i carries i as a 4-byte big-endian
// number at the start and i & 0xff as its last byte.
//
//   node flood-publisher.mjs <port> <topic> <count> <payloadBytes>
//
// Connects (CONNACK 0 awaited), writes every PUBLISH honouring the socket's backpressure, sends
// DISCONNECT, waits for the broker to close, prints "published <count>" and exits 0.
import net from 'node:net';

const [portArg, topic, countArg, sizeArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const size = Number(sizeArg);
if (!(port > 0) || !topic || !(count > 0) || !(size >= 4)) {
  console.error('usage: flood-publisher.mjs <port> <topic> <count> <payloadBytes>');
  process.exit(2);
}

function remainingLength(n) {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function str(s) {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

const clientId = `flood-${process.pid}`;
const connectBody = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(clientId)]);
const connect = Buffer.concat([Buffer.from([0x10, ...remainingLength(connectBody.length)]), connectBody]);

const topicBytes = str(topic);
const header = Buffer.from([0x30, ...remainingLength(topicBytes.length + size)]);
const frame = header.length + topicBytes.length + size;
const BATCH = 512;

function batch(first, n) {
  const buffer = Buffer.alloc(frame * n);
  for (let k = 0; k < n; k++) {
    const at = k * frame;
    header.copy(buffer, at);
    topicBytes.copy(buffer, at + header.length);
    const payloadAt = at + header.length + topicBytes.length;
    buffer.writeUInt32BE(first + k, payloadAt);
    buffer[payloadAt + size - 1] = (first + k) & 0xff;
  }
  return buffer;
}

const socket = net.connect({ port, host: '127.0.0.1' });
socket.setNoDelay(true);
socket.on('error', (error) => {
  console.error(`flood-publisher: ${error.message}`);
  process.exit(1);
});
socket.once('connect', () => socket.write(connect));
let connack = Buffer.alloc(0);
const onData = async (chunk) => {
  connack = Buffer.concat([connack, chunk]);
  if (connack.length < 4) return;
  socket.off('data', onData);
  if (connack[0] !== 0x20 || connack[3] !== 0) {
    console.error(`flood-publisher: CONNACK refused (${connack.subarray(0, 4).toString('hex')})`);
    process.exit(1);
  }
  for (let first = 0; first < count; first += BATCH) {
    const more = socket.write(batch(first, Math.min(BATCH, count - first)));
    if (!more) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end(Buffer.from([0xe0, 0x00]));
};
socket.on('data', onData);
socket.once('close', (hadError) => {
  if (hadError) process.exit(1);
  console.log(`published ${count}`);
  process.exit(0);
});
