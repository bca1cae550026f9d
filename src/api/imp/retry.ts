/**
 * impmqtt's `reconnect` option under the imp's rules. While the engine waits to reconnect (or is
 * about to schedule that, from inside onconnectionlost), the client is disconnected, so
 * disconnect(), close() and connect() are all allowed there; each must also end that waiting,
 * or the engine would come back on its own: after disconnect() had called back, or beside the
 * new connection connect() makes (two connections for one client, or for one agent).
 */
import type { MqttClient } from '../../client/mqtt-client.js';

/**
 * Ends a disconnected engine's automatic reconnection. The engine's disconnect() does exactly
 * that when it is disconnected: it cancels the retry and completes whatever still waited for it.
 * Done before a new engine is made on the same session store, so that one reserves no packet ids
 * the old one then frees.
 */
export function stopRetrying(core: MqttClient | null): void {
  if (core !== null && core.state === 'disconnected') core.disconnect();
}
