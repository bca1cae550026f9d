/**
 * How `impmqtt sub` prints a message, byte for byte as mosquitto_sub 2.0 does: the payload alone,
 * `-v` (topic and payload), or a `-F` format with its %-conversions (flags, width, precision),
 * @-time codes and \-escapes. Formats are checked up front with mosquitto's messages.
 */
import type { InboundMessage } from '../session/index.js';
import { ByteSink } from './byte-sink.js';
import { cjsonNumber, writeJsonPayload, writeJsonString } from './cjson.js';
import { UsageError } from './flags.js';
import { strftime, wallTimeNow } from './strftime.js';
import type { WallTime } from './strftime.js';

const CONVERSIONS = new Set('%ACDEFIlmPpqRSrtjJUxX');
const ESCAPES: Record<string, number> = { '\\': 0x5c, '0': 0, a: 7, e: 0x1b, n: 10, r: 13, t: 9, v: 11 };

type Op =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'field'; conversion: string; leftAlign: boolean; pad: ' ' | '0'; width: number; precision: number }
  | { kind: 'time'; conversion: string };

export interface PrintOptions {
  /** -F: overrides verbose. */
  format?: string;
  /** -v */
  verbose: boolean;
  /** false with -N */
  eol: boolean;
}

export interface Printed {
  /** What goes to stdout; null when mosquitto prints nothing for this message. */
  bytes: Buffer | null;
  /** What goes to stderr: a line for each %J whose payload is not JSON ('\n' between them). */
  error?: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** mosquitto's check_format: the first problem as a UsageError. */
export function checkFormat(format: string): void {
  const incomplete = (): never => {
    throw new UsageError('Incomplete format specifier.');
  };
  const last = format.length - 1;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === '%') {
      if (i === last) incomplete();
      if (format[i + 1] === '0' || format[i + 1] === '-') if (++i === last) incomplete();
      while (isDigit(format[i + 1])) if (++i === last) incomplete();
      if (format[i + 1] === '.') {
        if (++i === last) incomplete();
        while (isDigit(format[i + 1])) if (++i === last) incomplete();
      }
      if (!CONVERSIONS.has(format[i + 1]!)) throw new UsageError(`Invalid format specifier '${format[i + 1]}'.`);
      i++;
    } else if (c === '@') {
      if (i === last) incomplete();
      i++;
    } else if (c === '\\') {
      if (i === last) throw new UsageError('Incomplete escape specifier.');
      if (ESCAPES[format[i + 1]!] === undefined) throw new UsageError(`Invalid escape specifier '${format[i + 1]}'.`);
      i++;
    }
  }
}

/** The format as operations, read as mosquitto's formatted_print reads it. */
function compile(format: string): Op[] {
  const ops: Op[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') ops.push({ kind: 'bytes', bytes: Buffer.from(text, 'utf8') });
    text = '';
  };
  const last = format.length - 1;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      let leftAlign = false;
      let pad: ' ' | '0' = ' ';
      let width = 0;
      let precision = -1;
      if (i < last) {
        i++;
        if (format[i] === '-') {
          leftAlign = true;
          if (i < last) i++;
        }
        if (format[i] === '0') {
          pad = '0';
          if (i < last) i++;
        }
        for (; i < last && isDigit(format[i]); i++) width = width * 10 + Number(format[i]);
        if (format[i] === '.' && i < last) {
          i++;
          precision = 0;
          for (; i < last && isDigit(format[i]); i++) precision = precision * 10 + Number(format[i]);
        }
      }
      flush();
      ops.push({ kind: 'field', conversion: format[i]!, leftAlign, pad, width, precision });
    } else if (c === '@') {
      if (i === last) continue;
      i++;
      if (format[i] === '@') text += '@';
      else {
        flush();
        ops.push({ kind: 'time', conversion: format[i]! });
      }
    } else if (c === '\\') {
      if (i === last) continue;
      const escaped = ESCAPES[format[++i]!];
      if (escaped !== undefined) text += String.fromCharCode(escaped);
    } else {
      text += c;
    }
  }
  flush();
  return ops;
}

export class MessagePrinter {
  readonly #ops: Op[] | undefined;

  constructor(private readonly options: PrintOptions) {
    if (options.format !== undefined) {
      checkFormat(options.format);
      this.#ops = compile(options.format);
    }
  }

  print(message: InboundMessage, time: WallTime = wallTimeNow()): Printed {
    const out = new ByteSink();
    const { payload } = message;
    if (this.#ops !== undefined) {
      // One stderr line per failing conversion, as mosquitto_sub prints one for each %J.
      const errors: string[] = [];
      for (const op of this.#ops) {
        if (op.kind === 'bytes') out.bytes(op.bytes);
        else if (op.kind === 'time') out.utf8(op.conversion === 'N' ? String(time.nanoseconds).padStart(9, '0') : strftime(`%${op.conversion}`, new Date(time.seconds * 1000), time.seconds));
        else {
          const error = field(out, op, message, time);
          if (typeof error === 'string') errors.push(error);
        }
      }
      if (this.options.eol) out.ascii('\n');
      return errors.length === 0 ? { bytes: out.take() } : { bytes: out.take(), error: errors.join('\n') };
    }
    if (this.options.verbose) {
      out.utf8(message.topic);
      if (payload.length > 0) {
        out.ascii(' ');
        out.bytes(payload);
      } else if (this.options.eol) {
        out.ascii(' (null)');
      } else {
        return { bytes: null };
      }
    } else if (payload.length > 0) {
      out.bytes(payload);
    } else {
      return { bytes: null };
    }
    if (this.options.eol) out.ascii('\n');
    return { bytes: out.take() };
  }
}

/** One %-conversion; returns an error line for stderr when it has one. */
function field(out: ByteSink, op: Extract<Op, { kind: 'field' }>, message: InboundMessage, time: WallTime): string | void {
  const { leftAlign, pad, width, precision } = op;
  const date = new Date(time.seconds * 1000);
  switch (op.conversion) {
    case '%':
      return out.ascii('%');
    case 'A':
    case 'E':
    case 'F':
    case 'S':
      return out.repeat(pad.charCodeAt(0), width); // MQTT v5 properties: never present in 3.1.1
    case 'C':
      return out.repeat(0x20, width);
    case 'I':
      return text(out, Buffer.from(strftime('%FT%T%z', date, time.seconds)), leftAlign, width, precision);
    case 'j':
    case 'J':
      return json(out, message, time, op.conversion === 'j');
    case 'l':
      return out.ascii(integer(message.payload.length, leftAlign, pad, width));
    case 'm':
      return out.ascii(integer(message.packetId ?? 0, leftAlign, pad, width));
    case 'p':
      return payload(out, message.payload, 0, leftAlign, pad, width);
    case 'x':
      return payload(out, message.payload, 1, leftAlign, pad, width);
    case 'X':
      return payload(out, message.payload, 2, leftAlign, pad, width);
    case 'q':
      return out.ascii(String(message.qos));
    case 'r':
      return out.ascii(message.retain ? '1' : '0');
    case 't':
      return text(out, Buffer.from(message.topic, 'utf8'), leftAlign, width, precision);
    case 'U':
      return out.ascii(`${time.seconds}.${String(time.nanoseconds).padStart(9, '0')}`);
    default:
      return undefined; // %D %P %R: v5 properties, absent
  }
}

/** printf's %d with '-', '0' and a width. */
function integer(value: number, leftAlign: boolean, pad: ' ' | '0', width: number): string {
  const digits = String(value);
  if (leftAlign) return digits.padEnd(width);
  if (pad === '0') return value < 0 ? `-${String(-value).padStart(width - 1, '0')}` : digits.padStart(width, '0');
  return digits.padStart(width);
}

/** printf's %s with a width and precision, counted in bytes as C does. */
function text(out: ByteSink, bytes: Uint8Array, leftAlign: boolean, width: number, precision: number): undefined {
  const shown = precision >= 0 && bytes.length > precision ? bytes.subarray(0, precision) : bytes;
  const padding = width - shown.length;
  if (!leftAlign) out.repeat(0x20, padding);
  out.bytes(shown);
  if (leftAlign) out.repeat(0x20, padding);
  return undefined;
}

/**
 * mosquitto's write_payload, quirks included: a width truncates the payload (to half as many
 * bytes in hex), and a left-aligned field without a width is followed by as many spaces as the
 * payload has bytes (printf("%*s") with the negative width it computes).
 */
function payload(out: ByteSink, bytes: Uint8Array, hex: 0 | 1 | 2, leftAlign: boolean, pad: ' ' | '0', width: number): undefined {
  let length = bytes.length;
  let padding: number;
  if (width > 0) {
    length = Math.min(length, width);
    if (hex > 0) length = Math.floor(length / 2);
    padding = width - (hex > 0 ? length * 2 : length);
  } else {
    padding = -length;
  }
  if (!leftAlign) out.repeat(pad.charCodeAt(0), padding);
  const shown = bytes.subarray(0, length);
  if (hex === 0) out.bytes(shown);
  else {
    const digits = Buffer.from(shown).toString('hex');
    out.ascii(hex === 2 ? digits.toUpperCase() : digits);
  }
  if (leftAlign) out.repeat(0x20, Math.abs(padding));
  return undefined;
}

function json(out: ByteSink, message: InboundMessage, time: WallTime, escaped: boolean): string | undefined {
  const date = new Date(time.seconds * 1000);
  const micros = String(Math.floor(time.nanoseconds / 1000)).padStart(6, '0');
  const tst = `${strftime('%Y-%m-%dT%H:%M:%S', date, time.seconds)}.${micros}Z${strftime('%z', date, time.seconds)}`;
  const head = new ByteSink();
  head.ascii(`{"tst":"${tst}","topic":`);
  writeJsonString(head, Buffer.from(message.topic, 'utf8'));
  head.ascii(`,"qos":${message.qos},"retain":${message.retain ? 1 : 0},"payloadlen":${cjsonNumber(message.payload.length)},`);
  if (message.qos > 0) head.ascii(`"mid":${message.packetId ?? 0},`);
  head.ascii('"payload":');
  if (message.payload.length === 0) head.ascii('null');
  else if (escaped) writeJsonString(head, message.payload);
  else if (!writeJsonPayload(head, message.payload)) return `Error: Message payload is not valid JSON on topic ${message.topic}.`;
  head.ascii('}');
  out.bytes(head.take());
  return undefined;
}
