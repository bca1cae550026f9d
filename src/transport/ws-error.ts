/** The one error every WebSocket transport reports with. */
import { MqttError } from '../errors.js';

export function wsError(message: string): MqttError {
  return new MqttError('WEBSOCKET_ERROR', `WebSocket: ${message}`);
}
