/**
 * JSON as mosquitto_sub prints it for %j and %J: it goes through cJSON (1.7), so strings are
 * escaped cJSON's way and a JSON payload is re-printed by cJSON (key order and duplicates kept,
 * whitespace dropped, numbers in C's %g forms). Byte-level, as C strings are.
 */
import type { ByteSink } from './byte-sink.js';

type JsonValue = { kind: 'null' | 'false' | 'true' } | { kind: 'number'; value: number } | { kind: 'string'; bytes: Uint8Array } | { kind: 'array'; items: JsonValue[] } | { kind: 'object'; members: [Uint8Array, JsonValue][] };

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/** A C string (up to its first NUL) as a cJSON string literal. */
export function writeJsonString(out: ByteSink, bytes: Uint8Array): void {
  const nul = bytes.indexOf(0);
  const text = nul < 0 ? bytes : bytes.subarray(0, nul);
  out.ascii('"');
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) continue;
    out.bytes(text.subarray(start, i));
    out.ascii(SHORT_ESCAPES[b] ?? `\\u${b.toString(16).padStart(4, '0')}`);
    start = i + 1;
  }
  out.bytes(text.subarray(start));
  out.ascii('"');
}

/** cJSON's print_number: %1.15g, or %1.17g where that would not read back as the same value. */
export function cjsonNumber(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const short = formatG(value, 15);
  const back = Number(short);
  return Math.abs(back - value) <= Math.max(Math.abs(back), Math.abs(value)) * Number.EPSILON ? short : formatG(value, 17);
}

/** C's %.<precision>g. */
export function formatG(value: number, precision: number): string {
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  const [mantissa, exponentText] = tieToEven(magnitude, precision, magnitude.toExponential(precision - 1)).split('e') as [string, string];
  const exponent = Number(exponentText);
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits);
  if (exponent < -4 || exponent >= precision) {
    return `${sign}${trim(mantissa)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // The same rounded digits, written out in full (as %g does below the exponent threshold).
  const digits = mantissa.replace('.', '');
  const fixed = exponent >= 0 ? `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}` : `0.${'0'.repeat(-exponent - 1)}${digits}`;
  return sign + trim(fixed);
}

/**
 * JavaScript rounds an exact tie up; C's printf rounds it to even. A tie needs the double's
 * exact decimal value to stop at precision + 1 significant digits, the last a 5: checked exactly
 * (BigInt) only when the next digit is a 5 at all.
 */
function tieToEven(magnitude: number, precision: number, rounded: string): string {
  if (magnitude === 0 || !Number.isFinite(magnitude) || !magnitude.toPrecision(precision + 1).replace(/e.*$/, '').endsWith('5')) return rounded;
  const digits = exactDigits(magnitude);
  if (digits.length !== precision + 1 || !digits.endsWith('5')) return rounded;
  const [mantissa, exponent] = rounded.split('e') as [string, string];
  const last = Number(mantissa[mantissa.length - 1]);
  if (last % 2 === 0) return rounded; // rounding up already landed on the even digit
  return `${mantissa.slice(0, -1)}${last - 1}e${exponent}`;
}

/** The significant digits of a double's exact decimal value (no leading or trailing zeros). */
function exactDigits(magnitude: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, magnitude);
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = (bits & ((1n << 52n) - 1n)) | (biased === 0 ? 0n : 1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const scaled = exponent >= 0 ? fraction << BigInt(exponent) : fraction * 5n ** BigInt(-exponent);
  return scaled.toString().replace(/0+$/, '');
}

/** The payload re-printed as cJSON prints what it parsed; false when cJSON would refuse it. */
export function writeJsonPayload(out: ByteSink, payload: Uint8Array): boolean {
  const parser = new Parser(payload);
  const value = parser.document();
  if (value === undefined) return false;
  writeValue(out, value);
  return true;
}

function writeValue(out: ByteSink, value: JsonValue): void {
  switch (value.kind) {
    case 'number':
      return out.ascii(cjsonNumber(value.value));
    case 'string':
      return writeJsonString(out, value.bytes);
    case 'array':
      out.ascii('[');
      value.items.forEach((item, i) => {
        if (i > 0) out.ascii(',');
        writeValue(out, item);
      });
      return out.ascii(']');
    case 'object':
      out.ascii('{');
      value.members.forEach(([key, item], i) => {
        if (i > 0) out.ascii(',');
        writeJsonString(out, key);
        out.ascii(':');
        writeValue(out, item);
      });
      return out.ascii('}');
    default:
      return out.ascii(value.kind);
  }
}

const NESTING_LIMIT = 1000;
const NUMBER_CHARS = /^[0-9+\-eE.]{1,63}/;
const STRTOD = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/** cJSON's parser over a C string: the payload must hold no NUL, and nothing but whitespace may follow the value. */
class Parser {
  #at = 0;
  #depth = 0;

  constructor(private readonly bytes: Uint8Array) {}

  document(): JsonValue | undefined {
    if (this.bytes.includes(0)) return undefined;
    if (this.bytes[0] === 0xef && this.bytes[1] === 0xbb && this.bytes[2] === 0xbf) this.#at = 3;
    const value = this.#value();
    this.#skip();
    return value !== undefined && this.#at === this.bytes.length ? value : undefined;
  }

  #skip(): void {
    while (this.#at < this.bytes.length && this.bytes[this.#at]! <= 32) this.#at++;
  }

  #literal(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.bytes[this.#at + i] !== word.charCodeAt(i)) return false;
    this.#at += word.length;
    return true;
  }

  #value(): JsonValue | undefined {
    this.#skip();
    const c = this.bytes[this.#at];
    if (c === undefined) return undefined;
    for (const kind of ['null', 'false', 'true'] as const) if (this.#literal(kind)) return { kind };
    if (c === 0x22) {
      const bytes = this.#string();
      return bytes === undefined ? undefined : { kind: 'string', bytes };
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.#number();
    if (c === 0x5b || c === 0x7b) {
      if (++this.#depth > NESTING_LIMIT) return undefined;
      const value = c === 0x5b ? this.#array() : this.#object();
      this.#depth--;
      return value;
    }
    return undefined;
  }

  #number(): JsonValue | undefined {
    const run = NUMBER_CHARS.exec(Buffer.from(this.bytes.subarray(this.#at, this.#at + 63)).toString('latin1'))?.[0] ?? '';
    const parsed = STRTOD.exec(run)?.[0];
    if (parsed === undefined) return undefined;
    this.#at += parsed.length;
    return { kind: 'number', value: Number(parsed) };
  }

  #string(): Uint8Array | undefined {
    const out: number[] = [];
    let i = this.#at + 1;
    for (; i < this.bytes.length && this.bytes[i] !== 0x22; i++) {
      const b = this.bytes[i]!;
      if (b !== 0x5c) {
        out.push(b);
        continue;
      }
      const e = this.bytes[++i];
      const simple = e === undefined ? undefined : ({ 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f } as Record<number, number>)[e];
      if (simple !== undefined) out.push(simple);
      else if (e === 0x75) {
        const consumed = this.#unicode(i + 1, out);
        if (consumed === 0) return undefined;
        i += consumed;
      } else return undefined;
    }
    if (i >= this.bytes.length) return undefined;
    this.#at = i + 1;
    return Uint8Array.from(out);
  }

  /** A \u escape (and its low surrogate) starting at the hex digits; the bytes it took, 0 if invalid. */
  #unicode(at: number, out: number[]): number {
    const hex = (from: number): number => {
      const text = Buffer.from(this.bytes.subarray(from, from + 4)).toString('latin1');
      return /^[0-9a-fA-F]{4}$/.test(text) ? parseInt(text, 16) : -1;
    };
    const first = hex(at);
    if (first < 0 || (first >= 0xdc00 && first <= 0xdfff)) return 0;
    let code = first;
    let consumed = 4;
    if (first >= 0xd800 && first <= 0xdbff) {
      if (this.bytes[at + 4] !== 0x5c || this.bytes[at + 5] !== 0x75) return 0;
      const second = hex(at + 6);
      if (second < 0xdc00 || second > 0xdfff) return 0;
      code = 0x10000 + (((first & 0x3ff) << 10) | (second & 0x3ff));
      consumed = 10;
    }
    out.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
    return consumed;
  }

  #array(): JsonValue | undefined {
    this.#at++;
    const items: JsonValue[] = [];
    this.#skip();
    if (this.bytes[this.#at] === 0x5d) {
      this.#at++;
      return { kind: 'array', items };
    }
    for (;;) {
      const item = this.#value();
      if (item === undefined) return undefined;
      items.push(item);
      this.#skip();
      const c = this.bytes[this.#at++];
      if (c === 0x5d) return { kind: 'array', items };
      if (c !== 0x2c) return undefined;
    }
  }

  #object(): JsonValue | undefined {
    this.#at++;
    const members: [Uint8Array, JsonValue][] = [];
    this.#skip();
    if (this.bytes[this.#at] === 0x7d) {
      this.#at++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.#skip();
      if (this.bytes[this.#at] !== 0x22) return undefined;
      const key = this.#string();
      if (key === undefined) return undefined;
      this.#skip();
      if (this.bytes[this.#at++] !== 0x3a) return undefined;
      const item = this.#value();
      if (item === undefined) return undefined;
      members.push([key, item]);
      this.#skip();
      const c = this.bytes[this.#at++];
      if (c === 0x7d) return { kind: 'object', members };
      if (c !== 0x2c) return undefined;
    }
  }
}
