/** What the imp API's calls are given from plain JavaScript: callbacks, and strings the codec may refuse. */
import { shown, usageError } from '../../errors.js';
import type { MqttError } from '../../errors.js';
import * as Result from '../../session/result-codes.js';
import { BAD_STRUCTURE, BAD_UTF8_STRING, TOPICNAME_TRUNCATED } from './codes.js';

/**
 * A handler or a per-call callback: a function or nothing. Anything else is the caller's
 * mistake, refused at the call rather than thrown later from the network's callback.
 */
export function handler<T extends (...args: never[]) => void>(callback: T | null | undefined, name: string): T | null {
  if (callback === null || callback === undefined) return null;
  if (typeof callback !== 'function') throw usageError('INVALID_HANDLER', `${name}() takes a function or null`);
  return callback;
}

/**
 * An options table, given: anything but an object is refused rather than read as no options
 * (createmessage()'s bare QoS integer of 2018 would send at QoS 0).
 */
export function table(options: unknown): void {
  if (typeof options != 'object' || !options) throw usageError('INVALID_OPTIONS', `options must be a table, got ${shown(options)}`);
}

/** An imp operation code for a codec refusal. */
export function check(validate: () => void): number {
  try {
    validate();
    return Result.SUCCESS;
  } catch (error) {
    const code = (error as MqttError).code;
    if (code === 'INVALID_UTF8') return BAD_UTF8_STRING;
    if (code === 'NULL_CHARACTER') return TOPICNAME_TRUNCATED;
    return BAD_STRUCTURE;
  }
}

/**
 * The parameters a callback declares, as Squirrel counts them (the imp passes optional arguments
 * by that count): those with a default value and a rest parameter included, which JavaScript's
 * `length` leaves out (EI's own libraries declare `function(reason = null)` and
 * `function(err, qos = null)`). Read from the function's text, a default holding commas,
 * parentheses, strings or comments included; a bound function's text shows no parameters, so
 * there only `length` counts.
 */
export function declared(fn: (...args: never[]) => void): number {
  // Strings, comments and regular expressions out first: a default may hold commas and brackets
  // in any of them. A '/' after an operator or an opening bracket starts a regular expression.
  const text = String(fn).replace(/(["'`])(?:\\[^]|(?!\1)[^\\])*\1|\/\*[^]*?\*\/|\/\/.*|(?<=[(,=:[!&|?{};]\s*)\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\n[])+\//g, '0');
  const open = text.indexOf('(');
  const arrow = text.indexOf('=>');
  let count = 0;
  let inParameter = 0;
  // q => …: no '(' before the '=>', and the one parameter is the one `length` counts.
  if (open >= 0 && !(arrow >= 0 && arrow < open)) {
    // The commas at the list's own depth, up to its ')'.
    for (let i = open + 1, depth = 0; i < text.length; i++) {
      const c = text[i]!;
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c) && depth-- === 0) break;
      else if (c === ',' && depth === 0) {
        count += inParameter;
        inParameter = 0;
        continue;
      }
      if (c > ' ') inParameter = 1;
    }
  }
  return Math.max(count + inParameter, fn.length);
}
