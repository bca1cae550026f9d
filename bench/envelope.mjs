// The queue face's envelope cost per message, with `serialize_envelope` on (Pip's JSON on the
// wire): writing one (a fresh envelope, its sent_time, JSON, UTF-8 bytes) and reading one (bytes
// to text, JSON.parse, base64, the Date). impmqtt's path beside the plain one every port of Pip
// writes — JSON.stringify of the envelope's toJSON() object, TextEncoder, and a parse that draws
// an id it then overwrites — which is what this face did until 2026-11-27. 64 B bodies. A report,
// not a test: it exits 0 whatever the figures.
//
//   npm run build && node bench/envelope.mjs            (--rounds=9)
import { compare, parseArgs, printTable } from './harness.mjs';
import { MessageEnvelope } from '../dist/esm/api/queue/index.js';
import { readUtf8Bytes, utf8Encode } from '../dist/esm/packet/bytes.js';

const args = parseArgs();
const BODY = new Uint8Array(64).fill(0x61);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The plain reading, field by field as fromJSON does, base64 in JavaScript. */
function plainRead(bytes) {
  const fields = JSON.parse(decoder.decode(bytes));
  const envelope = new MessageEnvelope(fields.correlation_id ?? null, fields.message_type ?? null, null);
  envelope.message_id = fields.message_id;
  envelope.sent_time = new Date(fields.sent_time);
  envelope.message = Uint8Array.from(atob(fields.message), (c) => c.charCodeAt(0));
  return envelope;
}

const wire = utf8Encode(new MessageEnvelope('c-1', 'bench', BODY).toJSONText());

const results = await compare(
  [
    {
      name: 'write: new envelope → bytes',
      competitors: {
        impmqtt: () => {
          const envelope = new MessageEnvelope(null, 'bench', BODY);
          envelope.sent_time = new Date();
          return utf8Encode(envelope.toJSONText());
        },
        'JSON.stringify + TextEncoder': () => {
          const envelope = new MessageEnvelope(null, 'bench', BODY);
          envelope.sent_time = new Date();
          return encoder.encode(JSON.stringify(envelope.toJSON()));
        },
      },
    },
    {
      name: 'read: bytes → envelope',
      competitors: {
        impmqtt: () => MessageEnvelope.fromJSON(readUtf8Bytes(wire, 0, wire.length)),
        'JSON.stringify + TextEncoder': () => plainRead(wire),
      },
    },
  ],
  { rounds: Number(args.rounds ?? 9) },
);
console.log(`The queue's envelopes (serialize_envelope on), 64 B bodies: operations per second, ratio to the plain path (higher is better).\n`);
printTable(results);
for (const result of results) {
  const us = (name) => (1e6 / result.competitors[name].median).toFixed(2);
  console.log(`${result.name}: ${us('impmqtt')} µs against ${us('JSON.stringify + TextEncoder')} µs`);
}
