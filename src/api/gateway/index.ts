/**
 * impmqtt/gateway: ApsaraMQ for MQTT's SendMessage HTTP API (OnsMqtt 2020-04-20), self-hosted in
 * front of any MQTT broker, callable unchanged by Alibaba Cloud's SDKs. Node only.
 */
export { createGateway, API_VERSION } from './gateway.js';
export type { Gateway } from './gateway.js';
export type { GatewayAccessKey, GatewayOptions } from './options.js';
export { ApiFailure } from './api-failure.js';
export type { ApiCode } from './api-failure.js';
export { percentEncode } from './form.js';
export { rpcSignature, rpcSignedQuery, rpcStringToSign } from './signature-rpc.js';
export { acs3CanonicalRequest, acs3Signature } from './signature-acs3.js';
