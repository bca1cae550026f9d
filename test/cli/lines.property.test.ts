/** -l's line splitting equals mosquitto_pub's rule, however stdin happens to be chunked. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/cli/lines.js';

/** mosquitto_pub -l: split at '\n' (dropped), CR kept, empty lines kept, a final unterminated line kept. */
function reference(input: Uint8Array): string[] {
  const text = Buffer.from(input).toString('latin1');
  if (text === '') return [];
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return parts;
}

function split(input: Uint8Array, cuts: number[]): string[] {
  const splitter = new LineSplitter();
  const out: string[] = [];
  const collect = (line: Uint8Array): void => void out.push(Buffer.from(line).toString('latin1'));
  let start = 0;
  for (const cut of [...cuts.map((c) => c % (input.length + 1))].sort((a, b) => a - b)) {
    splitter.push(input.subarray(start, cut), collect);
    start = cut;
  }
  splitter.push(input.subarray(start), collect);
  splitter.end(collect);
  return out;
}

describe('LineSplitter', () => {
  it("the EXP example: 'a\\n\\nb\\r\\nc' is a, empty, b\\r, c", () => {
    expect(split(Buffer.from('a\n\nb\r\nc'), [])).toEqual(['a', '', 'b\r', 'c']);
    expect(split(Buffer.from(''), [])).toEqual([]);
    expect(split(Buffer.from('\n'), [])).toEqual(['']);
  });

  it('any bytes in any chunking give mosquitto’s lines', () => {
    const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => b.map((x) => (x % 4 === 0 ? 10 : x % 4 === 1 ? 13 : x)));
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (input, cuts) => {
        expect(split(input, cuts)).toEqual(reference(input));
      }),
      { numRuns: 500 },
    );
  });

  it('hands out copies: reusing the chunk afterwards changes no line', () => {
    const chunk = Buffer.from('ab\ncd');
    const got: Uint8Array[] = [];
    const splitter = new LineSplitter();
    splitter.push(chunk, (line) => got.push(line));
    chunk.fill(0x7a);
    splitter.end((line) => got.push(line));
    expect(got.map((l) => Buffer.from(l).toString())).toEqual(['ab', 'cd']);
  });

  it('a line longer than maxLineBytes is refused as it grows, however stdin is chunked; lines up to it pass', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 12 }), (max, sizes) => {
        const splitter = new LineSplitter(max);
        const lines: number[] = [];
        let refusedAt = -1;
        let pushed = 0;
        // One long line in chunks of `sizes`, no '\n' until the end.
        try {
          for (const size of sizes) {
            splitter.push(new Uint8Array(size).fill(0x61), (line) => lines.push(line.length));
            pushed += size;
          }
          splitter.push(Uint8Array.of(10), (line) => lines.push(line.length));
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          refusedAt = pushed;
        }
        const total = sizes.reduce((a, b) => a + b, 0);
        if (total <= max) expect([lines, refusedAt]).toEqual([[total], -1]);
        else expect(lines).toEqual([]); // refused before the line was ever whole
        expect(refusedAt === -1).toBe(total <= max);
      }),
    );
  });
});
