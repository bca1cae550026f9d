/**
 * The builtin WebSocket client's frame parser (RFC 6455), without sockets: server frames split
 * at arbitrary points, control frames interleaved with fragments, close frames, the 16-bit and
 * 64-bit length boundaries, and the protocol violations a client must refuse. Client frames are
 * in ws-client-frames.test.ts, the opening handshake in ws-handshake.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../support/internals.js';
import { FrameParser, OPCODE } from '../../src/transport/ws-frames.js';
import { concatBytes, filledBytes } from '../packet/arbitraries.js';
import { cuts, expectWsError, hexOf, parseAll, recordingSink, serverFrame, splitAt } from './ws-frame-support.js';
import type { Event } from './ws-frame-support.js';

// ---------------------------------------------------------------------------------------------
// Arbitraries: a stream of server messages with control frames between fragments.

const smallPayload = fc.uint8Array({ maxLength: 140 });
/** Mostly small, sometimes around and past the 16-bit and 64-bit length boundaries. */
const payload = fc.oneof(
  { weight: 12, arbitrary: smallPayload },
  {
    weight: 1,
    arbitrary: fc
      .record({ length: fc.constantFrom(125, 126, 127, 65_535, 65_536, 65_537), seed: fc.integer() })
      .map(({ length, seed }) => filledBytes(length, seed)),
  },
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 126, max: 70_000 }), seed: fc.integer() }).map(({ length, seed }) => filledBytes(length, seed)) },
);

interface Control {
  kind: 'ping' | 'pong';
  payload: Uint8Array;
}
const control: fc.Arbitrary<Control> = fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), payload: fc.uint8Array({ maxLength: 125 }) });

interface DataMessage {
  kind: 'data';
  fragments: Uint8Array[];
  /** between[i]: control frames sent after fragment i (inside the fragmented message). */
  between: Control[][];
}
const dataMessage: fc.Arbitrary<DataMessage> = fc
  .array(payload, { minLength: 1, maxLength: 4 })
  .chain((fragments) =>
    fc.record({
      kind: fc.constant('data' as const),
      fragments: fc.constant(fragments),
      between: fc.array(fc.array(control, { maxLength: 2 }), { minLength: fragments.length - 1, maxLength: fragments.length - 1 }),
    }),
  );

type Item = DataMessage | Control;
const stream = fc.array(fc.oneof({ weight: 3, arbitrary: dataMessage as fc.Arbitrary<Item> }, { weight: 1, arbitrary: control as fc.Arbitrary<Item> }), {
  maxLength: 8,
});

/** The bytes of `items`, and the events a correct parser reports for them. */
function render(items: readonly Item[]): { bytes: Uint8Array; expected: Event[] } {
  const frames: Uint8Array[] = [];
  const expected: Event[] = [];
  const data = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    const last = expected[expected.length - 1];
    if (last?.kind === 'data') last.hex += hexOf(bytes);
    else expected.push({ kind: 'data', hex: hexOf(bytes) });
  };
  const controlFrame = (c: Control): void => {
    frames.push(serverFrame({ opcode: c.kind === 'ping' ? OPCODE.ping : OPCODE.pong, payload: c.payload }));
    if (c.kind === 'ping') expected.push({ kind: 'ping', hex: hexOf(c.payload) });
  };
  for (const item of items) {
    if (item.kind !== 'data') {
      controlFrame(item);
      continue;
    }
    item.fragments.forEach((fragment, i) => {
      const last = i === item.fragments.length - 1;
      frames.push(serverFrame({ opcode: i === 0 ? OPCODE.binary : OPCODE.continuation, payload: fragment, fin: last }));
      data(fragment);
      if (!last) for (const c of item.between[i] ?? []) controlFrame(c);
    });
  }
  return { bytes: concatBytes(frames), expected };
}

// ---------------------------------------------------------------------------------------------

describe('FrameParser: server frames', () => {
  it('[MQTT-6.0.0-2] yields exactly the binary payloads and the pings, however the frames are split (property)', () => {
    fc.assert(
      fc.property(stream, cuts, (items, positions) => {
        const { bytes, expected } = render(items);
        expect(parseAll(splitAt(bytes, positions))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('[MQTT-6.0.0-2] gives the same result fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(dataMessage.filter((m) => m.fragments.every((f) => f.length < 300)) as fc.Arbitrary<Item>, control as fc.Arbitrary<Item>), { maxLength: 5 }), (items) => {
        const { bytes, expected } = render(items);
        const single = [...bytes].map((b) => Uint8Array.of(b));
        expect(parseAll(single)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a close frame with its code and reason, after the data before it', () => {
    fc.assert(
      fc.property(stream, cuts, fc.integer({ min: 1000, max: 4999 }), fc.string({ maxLength: 40 }), (items, positions, code, reason) => {
        const reasonBytes = new TextEncoder().encode(reason);
        fc.pre(reasonBytes.length <= 123);
        const { bytes, expected } = render(items);
        const close = serverFrame({ opcode: OPCODE.close, payload: concatBytes([Uint8Array.of(code >>> 8, code & 0xff), reasonBytes]) });
        expect(parseAll(splitAt(concatBytes([bytes, close]), positions))).toEqual([...expected, { kind: 'close', code, reason }]);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a close frame without a body as code undefined', () => {
    expect(parseAll([serverFrame({ opcode: OPCODE.close, payload: new Uint8Array(0) })])).toEqual([{ kind: 'close', code: undefined, reason: '' }]);
  });

  it('passes data on as it arrives, before the frame is complete', () => {
    const parser = new FrameParser();
    const { sink, events } = recordingSink();
    const frame = serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    parser.push(frame.subarray(0, 5), sink); // header + 3 payload bytes
    expect(events).toEqual([{ kind: 'data', hex: '010203' }]);
    parser.push(frame.subarray(5), sink);
    expect(events).toEqual([{ kind: 'data', hex: '010203040506' }]);
  });

  it('reads 16-bit and 64-bit lengths at the boundaries', () => {
    for (const length of [0, 125, 126, 127, 65_535, 65_536, 65_537]) {
      const body = filledBytes(length, length + 1);
      const events = parseAll([serverFrame({ opcode: OPCODE.binary, payload: body })]);
      if (length === 0) expect(events).toEqual([]);
      else {
        expect(events).toHaveLength(1);
        expect(events[0]).toEqual({ kind: 'data', hex: hexOf(body) });
      }
    }
  });
});

describe('FrameParser: protocol violations', () => {
  const push = (...frames: Uint8Array[]) => () => parseAll([concatBytes(frames)]);

  it('refuses a close frame with a 1-byte body, or a reason that is not UTF-8 (RFC 6455 §5.5.1; found in review)', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.close, payload: Uint8Array.of(0x03) })), /1-byte body/);
    expectWsError(push(serverFrame({ opcode: OPCODE.close, payload: Uint8Array.of(0x03, 0xe8, 0xff, 0xfe) })), /not UTF-8/);
  });

  it('refuses a masked frame from the server (RFC 6455 5.1)', () => {
    const masked = serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1, 2, 3), mask: Uint8Array.of(9, 8, 7, 6) });
    expectWsError(push(masked), /masked/);
  });

  it('[MQTT-6.0.0-1] refuses a text frame, citing MQTT-6.0.0-1', () => {
    const error = expectWsError(push(serverFrame({ opcode: OPCODE.text, payload: new TextEncoder().encode('hello') })), /text frame/);
    expect(error.message).toContain('MQTT-6.0.0-1');
  });

  it('[MQTT-6.0.0-1] refuses a text frame after valid binary data, however the bytes are split (property)', () => {
    fc.assert(
      fc.property(stream, cuts, (items, positions) => {
        const { bytes, expected } = render(items);
        const text = serverFrame({ opcode: OPCODE.text, payload: Uint8Array.of(0x41) });
        const parser = new FrameParser();
        const { sink, events } = recordingSink();
        let thrown: unknown;
        try {
          for (const chunk of splitAt(concatBytes([bytes, text]), positions)) parser.push(chunk, sink);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(MqttError);
        expect((thrown as MqttError).message).toContain('MQTT-6.0.0-1');
        expect(events).toEqual(expected); // everything before the text frame was delivered
      }),
      { numRuns: 100 },
    );
  });

  for (const rsv of [0x40, 0x20, 0x10]) {
    it(`refuses reserved bit 0x${rsv.toString(16)} on a data or control frame (no extension was negotiated)`, () => {
      expectWsError(push(serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1), rsv })), /reserved bits/);
      expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: Uint8Array.of(1), rsv })), /reserved bits/);
    });
  }

  it('refuses a control frame longer than 125 bytes', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: new Uint8Array(126) })), /control frame/);
  });

  it('refuses a fragmented control frame', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: Uint8Array.of(1), fin: false })), /control frame/);
  });

  it('refuses a continuation frame with no message to continue', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.continuation, payload: Uint8Array.of(1) })), /continuation/);
  });

  it('refuses a new binary message inside a fragmented one', () => {
    expectWsError(
      push(serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1), fin: false }), serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(2) })),
      /new message/,
    );
  });

  it('refuses unknown data and control opcodes', () => {
    expectWsError(push(serverFrame({ opcode: 0x3, payload: Uint8Array.of(1) })), /opcode 3/);
    expectWsError(push(serverFrame({ opcode: 0xb, payload: Uint8Array.of(1) })), /opcode 11/);
  });

  it('refuses a 64-bit length of 4 GiB or more', () => {
    expectWsError(push(Uint8Array.of(0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0)), /4 GiB/);
  });
});
