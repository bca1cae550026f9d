/**
 * The imp API's result codes, each in its own code space [imp §9.1]: the three tables and their
 * documented values, and onconnect's (-1 or CONNACK 0–5) [imp §2.6], against the scripted fake
 * broker (and refused ports / bad TLS for the socket failures). subscribe's and unsubscribe's
 * codes are in codes-subscribe.test.ts, sendasync's in codes-sendasync.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConnectResult, ConnectionLostReason, OperationResult, SUBSCRIPTION_REFUSED } from '../../support/internals.js';
import { certs } from '../../support/certs.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { deadPort } from '../../support/ports.js';
import { Calls, fakeBrokerPerTest, connectImp, impUrl, within } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('the three code spaces are separate tables [imp §9.1]', () => {
  it('exports each space under its own name, with the documented values', () => {
    expect(ConnectResult).toEqual({
      SOCKET_ERROR: -1,
      ACCEPTED: 0,
      UNACCEPTABLE_PROTOCOL_VERSION: 1,
      IDENTIFIER_REJECTED: 2,
      SERVER_UNAVAILABLE: 3,
      BAD_USERNAME_OR_PASSWORD: 4,
      NOT_AUTHORIZED: 5,
    });
    expect(ConnectionLostReason).toEqual({ SOCKET: -1, INBOUND_RATE_EXCEEDED: -2, INBOUND_MESSAGE_TOO_LARGE: -3, MALFORMED_FRAME: -4 });
    // Every code sendasync/subscribe can report has its name here (-13 came with undeliverableAfter).
    expect(OperationResult).toEqual({
      SUCCESS: 0,
      FAILURE: -1,
      DISCONNECTED: -3,
      OUTBOUND_RATE_EXCEEDED: -4,
      BAD_UTF8_STRING: -5,
      NULL_PARAMETER: -6,
      TOPICNAME_TRUNCATED: -7,
      BAD_STRUCTURE: -8,
      BAD_QOS: -9,
      NO_MORE_MESSAGE_IDS: -10,
      OPERATION_INCOMPLETE: -11,
      MAX_BUFFERED_MESSAGES: -12,
      UNDELIVERABLE: -13,
    });
    expect(SUBSCRIPTION_REFUSED).toBe(0x80);
  });
});

describe('onconnect result codes [imp §2.6]', () => {
  it('CONNACK return codes 1–5 arrive as 1–5, and the client ends disconnected', async () => {
    for (const returnCode of [1, 2, 3, 4, 5]) {
      const client = fx.device();
      const lost = new Calls<[number]>();
      client.onconnectionlost((r: number) => lost.record(r));
      const rc = connectImp(client, impUrl(fx.broker.url), `refused-${returnCode}`);
      await fx.broker.acceptNext({ returnCode });
      expect(await rc).toBe(returnCode);
      await expect.poll(() => client.connectionstate()).toBe(0);
      expect(lost.count).toBe(0); // a refused attempt is not a lost connection
    }
  });

  it('-1 when nothing listens on the port', async () => {
    const port = await deadPort();
    const client = fx.device();
    expect(await connectImp(client, `tcp://127.0.0.1:${port}`, 'nobody')).toBe(-1);
    expect(client.connectionstate()).toBe(0);
  });

  it('-1 when the broker closes the socket before CONNACK', async () => {
    const client = fx.device();
    const rc = connectImp(client, impUrl(fx.broker.url), 'hangup');
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    conn.close();
    expect(await rc).toBe(-1);
  });

  it('-1 when no CONNACK comes within connecttimeout', async () => {
    const client = fx.device();
    const rc = connectImp(client, impUrl(fx.broker.url), 'slow', { connecttimeout: 200 });
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    expect(await rc).toBe(-1);
    await within(conn.closed, 'the client hanging up');
  });

  it('-1 for a TLS failure (untrusted certificate); 0 over ssl:// with the right CA', async () => {
    const tlsBroker = await startFakeBroker({ tls: true, autoPingresp: true });
    fx.track(tlsBroker);
    const url = impUrl(tlsBroker.url);
    expect(url.startsWith('ssl://')).toBe(true);
    const untrusting = fx.device();
    expect(await connectImp(untrusting, url, 'tls-bad')).toBe(-1);
    const trusting = fx.device();
    const rc = connectImp(trusting, url, 'tls-good', { tls: { ca: certs.caCert } });
    await tlsBroker.acceptNext();
    expect(await rc).toBe(0);
    expect(trusting.url()).toBe(url);
  });
});
