/**
 * -F and the plain outputs: the format check with mosquitto's messages, each conversion, and the
 * C-library behaviour underneath compared with the C library itself (coreutils' printf for %g,
 * date for strftime), so the time codes and JSON numbers print as mosquitto_sub prints them.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteSink } from '../../src/cli/byte-sink.js';
import { cjsonNumber, formatG, writeJsonPayload } from '../../src/cli/cjson.js';
import { UsageError } from '../../src/cli/flags.js';
import { MessagePrinter, checkFormat } from '../../src/cli/format.js';
import { strftime } from '../../src/cli/strftime.js';
import type { InboundMessage } from '../../src/session/index.js';

const message = (payload: string | Uint8Array, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  topic: 'a/b',
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
  qos: 0,
  retain: false,
  dup: false,
  ...extra,
});
const TIME = { seconds: 1795791066, nanoseconds: 854644371 };
const print = (format: string, m: InboundMessage, eol = false): string => new MessagePrinter({ format, verbose: false, eol }).print(m, TIME).bytes!.toString('latin1');
/** The exact decimal value of a double, so a C library reading it (as long double) gets this very double. */
function exactDecimal(d: number): string {
  if (d === 0 || !Number.isFinite(d)) return Object.is(d, -0) ? '-0' : String(d);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const mantissa = (bits & ((1n << 52n) - 1n)) | (biased === 0 ? 0n : 1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const sign = d < 0 ? '-' : '';
  if (exponent >= 0) return sign + (mantissa << BigInt(exponent)).toString();
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString().padStart(-exponent + 1, '0');
  return `${sign}${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
}

/** Equal, numbers within cJSON's tolerance (it keeps %1.15g when that reads back within an epsilon). */
function nearlyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * Number.EPSILON * 2;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => nearlyEqual(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => nearlyEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

const date = (format: string, seconds = TIME.seconds): string => execFileSync('date', ['-d', `@${seconds}`, `+${format}`], { encoding: 'utf8' }).replace(/\n$/, '');

describe('checkFormat', () => {
  it('accepts what mosquitto_sub accepts and refuses the rest with its message', () => {
    for (const ok of ['', 'plain', '%t %p', '%-10t', '%010l', '%10.10t', '%.3t', '%%', '@H:@M @@', '\\n\\0\\e\\\\', '%A%C%D%E%F%P%R%S%U%I%j%J%x%X%m%q%r%l']) expect(() => checkFormat(ok), ok).not.toThrow();
    const refusals: [string, string][] = [
      ['%', 'Incomplete format specifier.'],
      ['%-', 'Incomplete format specifier.'],
      ['%5', 'Incomplete format specifier.'],
      ['%5.', 'Incomplete format specifier.'],
      ['@', 'Incomplete format specifier.'],
      ['%z', "Invalid format specifier 'z'."],
      ['%0-5t', "Invalid format specifier '-'."],
      ['\\', 'Incomplete escape specifier.'],
      ['\\z', "Invalid escape specifier 'z'."],
    ];
    for (const [format, text] of refusals) expect(() => checkFormat(format), format).toThrow(new UsageError(text));
  });
});

describe('MessagePrinter', () => {
  it('prints each conversion as mosquitto_sub does', () => {
    const m = message('hello', { qos: 1, retain: true, packetId: 7 });
    expect(print('%t|%p|%x|%X|%l|%q|%r|%m|%%', m)).toBe('a/b|hello|68656c6c6f|68656C6C6F|5|1|1|7|%');
    expect(print('[%-6t][%6t][%.1t][%4.2t][%03l][%-3l][%3p][%-6x][%-p][%07p]', m)).toBe('[a/b   ][   a/b][a][  a/][005][5  ][hel][6865  ][hello     ][00hello]');
    expect(print('\\t\\\\\\0\\a\\e\\n\\r\\v@@', m)).toBe('\t\\\0\x07\x1b\n\r\x0b@');
    expect(print('[%5A][%C][%D][%05E][%F][%P][%R][%S]', m)).toBe('[     ][][][00000][][][][]'); // v5 properties never exist in 3.1.1
    expect(print('%U @N', m)).toBe('1795791066.854644371 854644371');
    expect(print('%I|@Y-@m-@d @H:@M:@S', m)).toBe(`${date('%FT%T%z')}|${date('%Y-%m-%d %H:%M:%S')}`);
  });

  it('%j escapes as cJSON; %J re-prints a JSON payload and refuses anything else on stderr', () => {
    const tst = `${date('%Y-%m-%dT%H:%M:%S')}.854644Z${date('%z')}`;
    const head = (qos: number, len: number) => `{"tst":"${tst}","topic":"a/b","qos":${qos},"retain":0,"payloadlen":${len},${qos > 0 ? '"mid":3,' : ''}"payload":`;
    expect(print('%j', message('a"b\\c\n\x01é'))).toBe(Buffer.from(`${head(0, 9)}"a\\"b\\\\c\\n\\u0001é"}`).toString('latin1'));
    expect(print('%j', message(Uint8Array.of(0x61, 0, 0x62)))).toBe(`${head(0, 3)}"a"}`); // a C string ends at NUL
    expect(print('%j', message('', { qos: 1, packetId: 3 }))).toBe(`${head(1, 0)}null}`);
    expect(print('%J', message(' {"k" : [1.0, 1e2, true]} '))).toBe(`${head(0, 26)}{"k":[1,100,true]}}`);
    const refused = new MessagePrinter({ format: '<%J>', verbose: false, eol: true }).print(message('nope'), TIME);
    expect([refused.bytes!.toString(), refused.error]).toEqual(['<>\n', 'Error: Message payload is not valid JSON on topic a/b.']);
  });

  it('plain and -v output: an empty payload prints nothing, or "(null)" with -v', () => {
    const plain = new MessagePrinter({ verbose: false, eol: true });
    const verbose = new MessagePrinter({ verbose: true, eol: true });
    expect(plain.print(message('x')).bytes!.toString()).toBe('x\n');
    expect(plain.print(message('')).bytes).toBeNull();
    expect(verbose.print(message('x')).bytes!.toString()).toBe('a/b x\n');
    expect(verbose.print(message('')).bytes!.toString()).toBe('a/b (null)\n');
    expect(new MessagePrinter({ verbose: true, eol: false }).print(message('')).bytes).toBeNull();
    expect(new MessagePrinter({ format: '%p', verbose: true, eol: false }).print(message('x')).bytes!.toString()).toBe('x'); // -F wins over -v
  });
});

describe('the C library underneath', () => {
  it('formatG is printf %.15g / %.17g for any double', () => {
    const doubles = fc.sample(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map((i) => i / 1000), fc.constantFrom(0, -0, 0.1, 1e15, 1e16, 1e-5, 1e-4, 123456789012345680)), 300);
    for (const precision of [15, 17]) {
      const expected = execFileSync('printf', [`%.${precision}g\\n`, ...doubles.map(exactDecimal)], { encoding: 'utf8' }).split('\n');
      doubles.forEach((d, i) => expect(formatG(d, precision), String(d)).toBe(expected[i]));
    }
    expect([cjsonNumber(1), cjsonNumber(-0), cjsonNumber(Infinity), cjsonNumber(0.30000000000000004)]).toEqual(['1', '-0', 'null', '0.3']); // cJSON keeps %1.15g when it reads back within an epsilon
  });

  it("formatG rounds an exact tie to even, as printf does (JavaScript's toExponential rounds it up)", () => {
    const ties = [1234567890123455, 1234567890123445, 0.5, 2.5, 1.125, 123456789012345.5, 12345678901234.25, 1e15 + 5, 100000000000000.5];
    for (const precision of [15, 17]) {
      const expected = execFileSync('printf', [`%.${precision}g\\n`, ...ties.map(exactDecimal)], { encoding: 'utf8' }).split('\n');
      ties.forEach((d, i) => expect(formatG(d, precision), String(d)).toBe(expected[i]));
    }
  });

  it('strftime matches date(1) for every conversion, at many times', () => {
    const times = fc.sample(fc.integer({ min: 0, max: 4_102_444_800 }), 40);
    for (const conversion of 'aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%Q') {
      const expected = execFileSync('date', ['-f', '-', `+[%${conversion}]`], { input: times.map((t) => `@${t}`).join('\n'), encoding: 'utf8' }).split(']\n');
      times.forEach((t, i) => expect(`[${strftime(`%${conversion}`, new Date(t * 1000), t)}`, `%${conversion} at ${t}`).toBe(expected[i]));
    }
  });

  it('any JSON value survives cJSON’s re-print', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!/\\ud[89a-f]/i.test(text)); // lone surrogates: cJSON refuses them, as the test below shows
        const out = new ByteSink();
        expect(writeJsonPayload(out, Buffer.from(text))).toBe(true);
        expect(nearlyEqual(JSON.parse(out.take().toString()), JSON.parse(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (const bad of ['', '{', '[1,]', '{"a" 1}', '"\\ud800"', '"\\x"', 'nul', '1 2', 'a\0']) expect(writeJsonPayload(new ByteSink(), Buffer.from(bad)), bad).toBe(false);
  });
});
