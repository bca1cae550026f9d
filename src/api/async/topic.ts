/**
 * Topic names and filters as values: validated once on construction, compared by value, and
 * matched by the spec's rules — including [MQTT-4.7.2-1] ('#' and '+' do not match topics that
 * start with '$', which aiomqtt ignores) and shared-subscription filters ($share/<group>/…).
 */
import { topicMatches, validateTopicFilter, validateTopicName } from '../../packet/index.js';

const SHARE_PREFIX = '$share/';

/** A validated string compared by value: what Topic and Wildcard share. */
abstract class TopicString {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }

  equals(other: TopicString | string): boolean {
    return this.value === String(other);
  }
}

export class Wildcard extends TopicString {
  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError(`A topic filter is a string, got ${typeof value}`);
    validateTopicFilter(value);
    super(value);
  }

  /** The filter a topic is matched against: a shared subscription's filter without its group. */
  get matchingFilter(): string {
    if (!this.value.startsWith(SHARE_PREFIX)) return this.value;
    const slash = this.value.indexOf('/', SHARE_PREFIX.length);
    return slash === -1 ? this.value : this.value.slice(slash + 1);
  }
}

export class Topic extends TopicString {
  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError(`A topic is a string, got ${typeof value}`);
    validateTopicName(value);
    super(value);
  }

  /** A topic the broker sent: the decoder has already validated it. */
  static received(value: string): Topic {
    const topic = Object.create(Topic.prototype) as { value: string };
    topic.value = value;
    return topic as Topic;
  }

  /** Does `filter` (a string or Wildcard) match this topic? Invalid filters throw. */
  matches(filter: string | Wildcard): boolean {
    const wildcard = filter instanceof Wildcard ? filter : new Wildcard(filter);
    return topicMatches(wildcard.matchingFilter, this.value);
  }
}
