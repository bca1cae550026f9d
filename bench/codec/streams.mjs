// Sinks and streams for bench/codec.mjs: the null and capturing sinks writeToStream writes into,
// a stream of packets cut into chunks, and a decoder of each library kept across calls.
import { MP_OPTS, PacketDecoder, encode, mqttPacket } from './codecs.mjs';

/** The minimal stream writeToStream needs: write() that accepts (and drops) every chunk. It has
 * no cork(), so writeToStream skips its cork + nextTick(uncork) (a real socket pays for those). */
export function nullSink() {
  return {
    bytes: 0,
    write(chunk) {
      this.bytes += chunk.length;
      return true;
    },
    destroy(error) {
      throw error ?? new Error('writeToStream destroyed the sink');
    },
  };
}

/** A sink that keeps what it is given, for checking writeToStream's bytes. */
export function capturingSink() {
  const parts = [];
  return {
    parts,
    write(chunk) {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
      return true;
    },
    destroy(error) {
      throw error;
    },
    bytes: () => Buffer.concat(parts),
  };
}

/** `count` copies of `packet` back to back, cut into `chunkSize`-byte chunks. */
export function buildStream(packet, count, chunkSize) {
  const one = Buffer.from(encode(packet));
  const stream = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(stream, i * one.length);
  const chunks = [];
  for (let o = 0; o < stream.length; o += chunkSize) chunks.push(stream.subarray(o, Math.min(o + chunkSize, stream.length)));
  return { chunks, count, bytes: stream.length, packetBytes: one.length };
}

/** A decoder kept across calls, like one connection's; each call feeds the whole stream. */
export function impStreamDecoder(stream) {
  const decoder = new PacketDecoder();
  const { chunks } = stream;
  return () => {
    let n = 0;
    for (let i = 0; i < chunks.length; i++) n += decoder.push(chunks[i]).length;
    return n;
  };
}

export function mpStreamDecoder(stream) {
  const parser = mqttPacket.parser(MP_OPTS);
  let n = 0;
  parser.on('packet', () => n++);
  parser.on('error', (error) => {
    throw error;
  });
  const { chunks } = stream;
  return () => {
    n = 0;
    for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i]);
    return n;
  };
}
