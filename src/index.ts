/** impmqtt: an MQTT 3.1.1 client with zero runtime dependencies. */
export * from './packet/index.js';
export * from './session/index.js';
export * from './transport/index.js';
export * from './client/index.js';
export * from './api/imp/index.js';
