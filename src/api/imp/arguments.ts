/** What the imp API's calls are given from plain JavaScript: callbacks, and strings the codec may refuse. */
import { usageError } from '../../errors.js';
import { shown } from '../../session/session.js';
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
 * `function(err, qos = null)`). Read from the function's text; a bound function's text shows no
 * parameters, so there only `length` counts.
 */
export function declared(fn: (...args: never[]) => void): number {
  // The list up to its first ')', without its {…} and […] (destructuring, defaults): a parameter
  // without parentheses (q => …) is the one `length` counts, and there is no '(' before '=>'.
  const list = /^[^(]*?\(([^)]*)/.exec(String(fn).split('=>')[0]!)?.[1]!.replace(/[[{][^\]}]*[\]}]/g, '') ?? '';
  return Math.max(list.split(',').filter((p) => p.trim()).length, fn.length);
}
