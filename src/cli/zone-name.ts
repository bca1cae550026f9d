/**
 * strftime's %Z as glibc prints it: the zone abbreviation of the TZ rule in force (CET, IST, EST,
 * or whatever a POSIX TZ string names, e.g. XYZ for "XYZ-3"). JavaScript's Intl names only the
 * zones its locale data knows ("GMT+1" for Europe/Paris in en-US), so the abbreviation is read
 * where glibc reads it: the TZ variable itself, or the footer rule of the TZif file it names
 * (/etc/localtime when TZ is unset). The offset in force comes from the Date, whose rules agree.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

interface Rule {
  std: string;
  /** Standard time's offset east of UTC, in minutes. */
  stdOffset: number;
  dst?: string;
}

const cache = new Map<string | undefined, Rule | null>();

/** The abbreviation for an instant at `utcOffsetMinutes` (east of UTC), or undefined if unknown. */
export function zoneAbbreviation(utcOffsetMinutes: number, tz = process.env.TZ): string | undefined {
  if (!cache.has(tz)) cache.set(tz, ruleOf(tz));
  const rule = cache.get(tz);
  if (rule == null) return undefined;
  return rule.dst !== undefined && utcOffsetMinutes !== rule.stdOffset ? rule.dst : rule.std;
}

function ruleOf(tz: string | undefined): Rule | null {
  if (tz === '') return { std: 'UTC', stdOffset: 0 }; // glibc: an empty TZ is UTC
  const name = tz === undefined ? '/etc/localtime' : tz.replace(/^:/, '');
  const file = isAbsolute(name) ? name : join(process.env.TZDIR ?? '/usr/share/zoneinfo', name);
  const footer = name.includes('..') ? undefined : tzifFooter(file);
  return parsePosixTz(footer ?? name);
}

/** The POSIX TZ string at the end of a TZif version 2+ file ("\nCET-1CEST,M3.5.0,M10.5.0/3\n"). */
function tzifFooter(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.toString('latin1', 0, 4) !== 'TZif' || bytes.length < 2 || bytes[bytes.length - 1] !== 0x0a) return undefined;
  const start = bytes.lastIndexOf(0x0a, bytes.length - 2);
  return start < 0 ? undefined : bytes.toString('latin1', start + 1, bytes.length - 1);
}

/** The names and standard offset of a POSIX TZ string: std offset [dst [offset] [,rule]]. */
function parsePosixTz(text: string): Rule | null {
  const match = /^(<[^>]*>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d{1,2}){0,2})(<[^>]*>|[A-Za-z]{3,})?/.exec(text);
  if (match === null) return null;
  const unquote = (name: string): string => name.replace(/^<(.*)>$/, '$1');
  const [hours = 0, minutes = 0] = match[2]!.replace(/^[+-]/, '').split(':').map(Number);
  const west = (hours * 60 + minutes) * (match[2]!.startsWith('-') ? -1 : 1); // POSIX counts west of UTC
  return { std: unquote(match[1]!), stdOffset: -west, ...(match[3] === undefined ? {} : { dst: unquote(match[3]) }) };
}
