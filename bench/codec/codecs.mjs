// The two codecs bench/codec.mjs compares: impmqtt's (the built dist/esm) and the anchor,
// mqtt-packet, with the options MQTT.js passes it.
import { createRequire } from 'node:module';

export { encode, encodeInto, PacketDecoder } from '../../dist/esm/packet/index.js';

const require = createRequire(import.meta.url);
export const mqttPacket = require('mqtt-packet');
export const mqttPacketVersion = require('mqtt-packet/package.json').version;

export const IMP = 'impmqtt';
export const MP = 'mqtt-packet';
export const MP_OPTS = { protocolVersion: 4 }; // what MQTT.js passes as `opts` (its client options)
