/**
 * The curated public surface: what `impmqtt` and its subpaths export at run time. A change here
 * is an API change and should be deliberate.
 */
import { describe, expect, it } from 'vitest';
import * as gateway from '../src/api/gateway/index.js';
import * as imp from '../src/api/imp/index.js';
import * as root from '../src/index.js';
import * as packet from '../src/packet/index.js';
import * as session from '../src/session/index.js';

describe('public API', () => {
  it("'impmqtt': the engine, the errors, the result codes, topic helpers and the imp face", () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'MqttClient',
        'DEFAULT_MAX_PACKET_SIZE',
        'MqttError',
        'MqttProtocolError',
        'ResultCode',
        'topicMatches',
        'isValidTopicName',
        'isValidTopicFilter',
        'connect',
        'Client',
        'Message',
        'MqttCodeError',
        'Topic',
        'Wildcard',
        'MqttMessageQueue',
        'MessageEnvelope',
        'MessagingCapabilities',
        ...Object.keys(imp),
      ].sort(),
    );
  });

  it('internals stay internal: no id allocator, backoff, token bucket, transport opener or imp constructor', () => {
    for (const name of ['PacketIdAllocator', 'Backoff', 'TokenBucket', 'openTransport', 'ImpMqttClient', 'Session', 'PacketDecoder', 'usageError', 'protocolError']) {
      expect(root, name).not.toHaveProperty(name);
    }
  });

  it("'impmqtt/packet' is the codec; 'impmqtt/session' the sans-I/O state machine", () => {
    for (const name of ['encode', 'encodeBatch', 'encodeInto', 'encodedLength', 'decodePacket', 'PacketDecoder', 'MqttError', 'MqttProtocolError', 'topicMatches']) expect(packet).toHaveProperty(name);
    expect(Object.keys(session).sort()).toEqual(['MemorySessionStore', 'ResultCode', 'Session', 'connectPacketOf']);
  });

  it("'impmqtt/imp' is Electric Imp's API", () => {
    expect(Object.keys(imp).sort()).toEqual(['ConnectResult', 'ConnectionLostReason', 'ImpBlob', 'ImpMqttMessage', 'OperationResult', 'SUBSCRIPTION_REFUSED', 'createMqtt', 'mqtt']);
  });

  it("'impmqtt/gateway' (Node only) is the SendMessage gateway and the signers its callers need", () => {
    expect(Object.keys(gateway).sort()).toEqual(['API_VERSION', 'ApiFailure', 'acs3CanonicalRequest', 'acs3Signature', 'createGateway', 'percentEncode', 'rpcSignature', 'rpcSignedQuery', 'rpcStringToSign']);
  });
});
