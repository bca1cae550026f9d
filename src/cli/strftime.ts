/**
 * Wall-clock time for -F: strftime's conversions as glibc prints them in the C locale (what
 * mosquitto_sub's `@X` codes and %I/%j use), in local time as the TZ environment sets it.
 */
import { zoneAbbreviation } from './zone-name.js';

export interface WallTime {
  /** Whole seconds since the epoch. */
  seconds: number;
  /** Nanoseconds past `seconds`. */
  nanoseconds: number;
}

/** The current time, below the millisecond where the platform's clock allows. */
export function wallTimeNow(): WallTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanoseconds: Math.min(999_999_999, Math.floor((ms - seconds * 1000) * 1e6)) };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (value: number, width: number, fill = '0'): string => String(value).padStart(width, fill);

function dayOfYear(d: Date): number {
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000);
}

/** ISO 8601 week-numbering year and week (glibc's %G and %V). */
function isoWeek(d: Date): { year: number; week: number } {
  const day = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const weekday = (day.getUTCDay() + 6) % 7; // Monday 0
  day.setUTCDate(day.getUTCDate() - weekday + 3); // the Thursday of this week decides the year
  const year = day.getUTCFullYear();
  const week = 1 + Math.floor((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7);
  return { year, week };
}

function zoneOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`;
}

/** glibc's abbreviation where the TZ rule names one; Intl's name (e.g. "GMT+1") only failing that. */
function zoneName(d: Date): string {
  const abbreviation = zoneAbbreviation(-d.getTimezoneOffset());
  if (abbreviation !== undefined) return abbreviation;
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/** One conversion (the character after '%'); glibc prints an unknown one as it was written. */
function convert(c: string, d: Date, seconds: number): string {
  const hour12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  switch (c) {
    case 'a': return DAYS[d.getDay()]!.slice(0, 3);
    case 'A': return DAYS[d.getDay()]!;
    case 'b':
    case 'h': return MONTHS[d.getMonth()]!.slice(0, 3);
    case 'B': return MONTHS[d.getMonth()]!;
    case 'c': return strftime('%a %b %e %H:%M:%S %Y', d, seconds);
    case 'C': return pad(Math.floor(d.getFullYear() / 100), 2);
    case 'd': return pad(d.getDate(), 2);
    case 'D':
    case 'x': return strftime('%m/%d/%y', d, seconds);
    case 'e': return pad(d.getDate(), 2, ' ');
    case 'F': return strftime('%Y-%m-%d', d, seconds);
    case 'g': return pad(isoWeek(d).year % 100, 2);
    case 'G': return String(isoWeek(d).year);
    case 'H': return pad(d.getHours(), 2);
    case 'I': return pad(hour12, 2);
    case 'j': return pad(dayOfYear(d) + 1, 3);
    case 'k': return pad(d.getHours(), 2, ' ');
    case 'l': return pad(hour12, 2, ' ');
    case 'm': return pad(d.getMonth() + 1, 2);
    case 'M': return pad(d.getMinutes(), 2);
    case 'n': return '\n';
    case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
    case 'P': return d.getHours() < 12 ? 'am' : 'pm';
    case 'r': return strftime('%I:%M:%S %p', d, seconds);
    case 'R': return strftime('%H:%M', d, seconds);
    case 's': return String(seconds);
    case 'S': return pad(d.getSeconds(), 2);
    case 't': return '\t';
    case 'T':
    case 'X': return strftime('%H:%M:%S', d, seconds);
    case 'u': return String(d.getDay() === 0 ? 7 : d.getDay());
    case 'U': return pad(Math.floor((dayOfYear(d) + 7 - d.getDay()) / 7), 2);
    case 'V': return pad(isoWeek(d).week, 2);
    case 'w': return String(d.getDay());
    case 'W': return pad(Math.floor((dayOfYear(d) + 7 - ((d.getDay() + 6) % 7)) / 7), 2);
    case 'y': return pad(d.getFullYear() % 100, 2);
    case 'Y': return String(d.getFullYear());
    case 'z': return zoneOffset(d);
    case 'Z': return zoneName(d);
    case '%': return '%';
    default: return `%${c}`;
  }
}

/** `format` with its %-conversions replaced, for `date` (local time) at `seconds`. */
export function strftime(format: string, date: Date, seconds = Math.floor(date.getTime() / 1000)): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i === format.length - 1) out += c;
    else out += convert(format[++i]!, date, seconds);
  }
  return out;
}
