/** The gateway's Prometheus metrics: requests by action and code, publish latency, the MQTT link. */

/** Upper bounds of the publish latency buckets, seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Actions are caller input: anything but these is counted as "other", so labels stay bounded. */
const KNOWN_ACTIONS = new Set(['SendMessage']);

export class GatewayMetrics {
  readonly #requests = new Map<string, number>();
  readonly #latencyCounts = new Array<number>(BUCKETS.length + 1).fill(0);
  #latencySum = 0;
  #latencyTotal = 0;
  /** Connections closed at once because http.maxConnections were open. */
  refusedConnections = 0;

  countRequest(action: string | undefined, status: number, code: string): void {
    const known = action !== undefined && KNOWN_ACTIONS.has(action) ? action : action === undefined ? 'none' : 'other';
    const key = `action="${known}",status="${status}",code="${code}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  observePublish(seconds: number): void {
    let index = BUCKETS.findIndex((bound) => seconds <= bound);
    if (index === -1) index = BUCKETS.length;
    this.#latencyCounts[index]! += 1;
    this.#latencySum += seconds;
    this.#latencyTotal += 1;
  }

  /** The text exposition format, version 0.0.4. */
  render(connected: boolean, inflight: number): string {
    const lines = [
      '# HELP impmqtt_gateway_requests_total API requests answered, by action, HTTP status and code.',
      '# TYPE impmqtt_gateway_requests_total counter',
    ];
    for (const [labels, count] of this.#requests) lines.push(`impmqtt_gateway_requests_total{${labels}} ${count}`);
    lines.push(
      '# HELP impmqtt_gateway_publish_seconds From handing a message to the MQTT client to its acknowledgement.',
      '# TYPE impmqtt_gateway_publish_seconds histogram',
    );
    let cumulative = 0;
    BUCKETS.forEach((bound, index) => {
      cumulative += this.#latencyCounts[index]!;
      lines.push(`impmqtt_gateway_publish_seconds_bucket{le="${bound}"} ${cumulative}`);
    });
    lines.push(
      `impmqtt_gateway_publish_seconds_bucket{le="+Inf"} ${this.#latencyTotal}`,
      `impmqtt_gateway_publish_seconds_sum ${this.#latencySum}`,
      `impmqtt_gateway_publish_seconds_count ${this.#latencyTotal}`,
      '# HELP impmqtt_gateway_mqtt_connected 1 while the MQTT connection is up.',
      '# TYPE impmqtt_gateway_mqtt_connected gauge',
      `impmqtt_gateway_mqtt_connected ${connected ? 1 : 0}`,
      '# HELP impmqtt_gateway_inflight Messages handed to the MQTT client and not yet acknowledged.',
      '# TYPE impmqtt_gateway_inflight gauge',
      `impmqtt_gateway_inflight ${inflight}`,
      '# HELP impmqtt_gateway_connections_refused_total Connections closed at once because http.maxConnections were open.',
      '# TYPE impmqtt_gateway_connections_refused_total counter',
      `impmqtt_gateway_connections_refused_total ${this.refusedConnections}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
