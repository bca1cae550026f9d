/** Topic names, topic filters and matching (4.7). */
import { MqttProtocolError, protocolError } from '../errors.js';
import { measureString } from './utf8.js';

/**
 * Checks a topic name a PUBLISH (or a will, `what`) may carry and returns its UTF-8 length: the
 * string rules, then checkTopicName's.
 */
export function measureTopicName(topic: string, what = 'Topic name'): number {
  // Publishers usually repeat one topic; remembering the last valid one skips re-checking it.
  if (topic === lastTopic) return lastTopicBytes;
  const bytes = measureString(topic, what); // first: it refuses what is not a string
  checkTopicName(topic, what);
  lastTopic = topic;
  lastTopicBytes = bytes;
  return bytes;
}

// Seeded with a valid topic and its length, so the cache can only ever answer for strings.
let lastTopic = '/';
let lastTopicBytes = 1;

/**
 * A topic name's own rules, sent or received: at least one character [MQTT-4.7.3-1], no
 * wildcards (`statement`: a PUBLISH's rule [MQTT-3.3.2-2], or the general one [MQTT-4.7.1-1]).
 */
export function checkTopicName(topic: string, what: string, statement = 'MQTT-3.3.2-2'): void {
  if (topic.length === 0) empty('INVALID_TOPIC', what);
  if (topic.indexOf('+') !== -1 || topic.indexOf('#') !== -1) protocolError('INVALID_TOPIC', `${what} "${topic}" contains a wildcard`, statement);
}

function empty(code: 'INVALID_TOPIC' | 'INVALID_TOPIC_FILTER', what: string): never {
  return protocolError(code, `${what} is empty`, 'MQTT-4.7.3-1');
}

/**
 * Checks a topic filter and returns its UTF-8 length: '#' alone in the last level
 * [MQTT-4.7.1-2], '+' filling a whole level [MQTT-4.7.1-3].
 */
export function measureTopicFilter(filter: string): number {
  const bytes = measureString(filter, 'Topic filter'); // first: it refuses what is not a string
  if (bytes === 0) empty('INVALID_TOPIC_FILTER', 'Topic filter');
  const length = filter.length;
  for (let i = 0; i < length; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0x23 /* # */) {
      if ((i > 0 && filter.charCodeAt(i - 1) !== 0x2f) || i !== length - 1) {
        protocolError('INVALID_TOPIC_FILTER', `In "${filter}" '#' must be the whole last level`, 'MQTT-4.7.1-2');
      }
    } else if (c === 0x2b /* + */) {
      if ((i > 0 && filter.charCodeAt(i - 1) !== 0x2f) || (i < length - 1 && filter.charCodeAt(i + 1) !== 0x2f)) {
        protocolError('INVALID_TOPIC_FILTER', `In "${filter}" '+' must be a whole level`, 'MQTT-4.7.1-3');
      }
    }
  }
  return bytes;
}

/** Throws an MqttProtocolError unless `topic` may be published to. */
export function validateTopicName(topic: string): void {
  measureTopicName(topic);
}

/** Throws an MqttProtocolError unless `filter` may be subscribed to. */
export function validateTopicFilter(filter: string): void {
  measureTopicFilter(filter);
}

/** True when `topic` is a valid topic name (no throw). */
export function isValidTopicName(topic: string): boolean {
  return succeeds(() => measureTopicName(topic));
}

/** True when `filter` is a valid topic filter (no throw). */
export function isValidTopicFilter(filter: string): boolean {
  return succeeds(() => measureTopicFilter(filter));
}

function succeeds(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof MqttProtocolError) return false;
    throw error;
  }
}

/**
 * Does `filter` match `topic`? Both are assumed valid. Filters starting with a wildcard do not
 * match topics starting with '$' [MQTT-4.7.2-1]; 'a/#' also matches 'a' (4.7.1.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === 0x24 /* $ */ && (first === 0x23 || first === 0x2b)) return false;
  const length = topic.length;
  let t = 0;
  for (let f = 0; f < filter.length; f++) {
    const c = filter.charCodeAt(f);
    // A valid filter's '#' is the whole last level: it matches whatever is left, if anything.
    if (c === 0x23 /* # */) return true;
    if (c === 0x2b /* + */) {
      while (t < length && topic.charCodeAt(t) !== 0x2f) t++; // the topic's whole level, maybe empty
    } else if (t < length && topic.charCodeAt(t) === c) {
      t++;
    } else {
      // The topic ended just where the filter's '/#' starts: 'a/#' matches 'a'.
      return t === length && c === 0x2f && filter.charCodeAt(f + 1) === 0x23;
    }
  }
  return t === length;
}
