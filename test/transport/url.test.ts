/**
 * parseBrokerUrl: scheme → transport and default port, WebSocket path, IPv6 hosts, credentials
 * from the userinfo (kept out of displayUrl and of every error message).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError, parseBrokerUrl, redactUrl } from '../support/internals.js';
import { MqttClient } from '../../src/index.js';

function parseError(url: string): MqttError {
  try {
    parseBrokerUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(MqttError);
    return error as MqttError;
  }
  throw new Error(`parseBrokerUrl(${JSON.stringify(url)}) did not throw`);
}

describe('parseBrokerUrl: schemes and default ports', () => {
  const cases: [string, string, number][] = [
    ['mqtt', 'tcp', 1883],
    ['tcp', 'tcp', 1883],
    ['mqtts', 'tls', 8883],
    ['ssl', 'tls', 8883],
    ['tls', 'tls', 8883],
    ['ws', 'ws', 80],
    ['wss', 'wss', 443],
  ];

  for (const [scheme, kind, port] of cases) {
    it(`${scheme}:// is ${kind} on port ${port} by default, and keeps an explicit port`, () => {
      const endpoint = parseBrokerUrl(`${scheme}://broker.example`);
      expect(endpoint.kind).toBe(kind);
      expect(endpoint.host).toBe('broker.example');
      expect(endpoint.port).toBe(port);
      expect(endpoint.username).toBeUndefined();
      expect(endpoint.password).toBeUndefined();
      expect(endpoint.displayUrl).toBe(`${scheme}://broker.example`);

      const explicit = parseBrokerUrl(`${scheme}://broker.example:12345`);
      expect(explicit.kind).toBe(kind);
      expect(explicit.port).toBe(12345);
    });
  }

  it('accepts upper-case schemes', () => {
    expect(parseBrokerUrl('MQTTS://127.0.0.1').kind).toBe('tls');
    expect(parseBrokerUrl('WS://127.0.0.1').kind).toBe('ws');
  });

  it('ws and wss keep their default port when it is written out', () => {
    expect(parseBrokerUrl('ws://127.0.0.1:80').port).toBe(80);
    expect(parseBrokerUrl('wss://127.0.0.1:443').port).toBe(443);
    expect(parseBrokerUrl('ws://127.0.0.1:443').port).toBe(443);
  });
});

describe('parseBrokerUrl: WebSocket path', () => {
  it('defaults the path to /mqtt', () => {
    expect(parseBrokerUrl('ws://127.0.0.1').path).toBe('/mqtt');
    expect(parseBrokerUrl('ws://127.0.0.1/').path).toBe('/mqtt');
    expect(parseBrokerUrl('wss://127.0.0.1:8081').path).toBe('/mqtt');
  });

  it('keeps an explicit path and the query', () => {
    expect(parseBrokerUrl('ws://127.0.0.1:8080/custom/path').path).toBe('/custom/path');
    expect(parseBrokerUrl('ws://127.0.0.1:8080/mqtt?token=abc&x=1').path).toBe('/mqtt?token=abc&x=1');
    expect(parseBrokerUrl('wss://127.0.0.1/ws?a=b').path).toBe('/ws?a=b');
  });

  it('keeps the query with the default path', () => {
    expect(parseBrokerUrl('ws://127.0.0.1?x=1').path).toBe('/mqtt?x=1');
  });

  it('has no path for TCP and TLS', () => {
    expect(parseBrokerUrl('mqtt://127.0.0.1/ignored').path).toBe('');
    expect(parseBrokerUrl('mqtts://127.0.0.1').path).toBe('');
  });
});

describe('parseBrokerUrl: hosts', () => {
  it('takes IPv6 literals without brackets', () => {
    const endpoint = parseBrokerUrl('mqtt://[::1]:1884');
    expect(endpoint.host).toBe('::1');
    expect(endpoint.port).toBe(1884);
    expect(parseBrokerUrl('ws://[2001:db8::1]/mqtt').host).toBe('2001:db8::1');
    expect(parseBrokerUrl('mqtts://[::1]').port).toBe(8883);
  });

  it('takes IPv4 addresses and names', () => {
    expect(parseBrokerUrl('mqtt://127.0.0.1:1883').host).toBe('127.0.0.1');
    expect(parseBrokerUrl('tcp://localhost').host).toBe('localhost');
  });

  it('refuses a URL without a host, a bad port, and non-URLs with INVALID_URL', () => {
    for (const url of ['mqtt://', 'mqtt://127.0.0.1:70000', 'not a url', '127.0.0.1:1883', '']) {
      expect(parseError(url).code).toBe('INVALID_URL');
    }
  });
});

describe('parseBrokerUrl: credentials', () => {
  it('takes user name and password from the userinfo, percent-decoded', () => {
    const endpoint = parseBrokerUrl('mqtt://alice:s%40cr%3Aet@127.0.0.1:1883');
    expect(endpoint.username).toBe('alice');
    expect(endpoint.password).toBe('s@cr:et');
    expect(endpoint.host).toBe('127.0.0.1');
    expect(endpoint.port).toBe(1883);
    expect(endpoint.displayUrl).toBe('mqtt://127.0.0.1:1883');
  });

  it('takes a user name without a password', () => {
    const endpoint = parseBrokerUrl('ws://bob@127.0.0.1/mqtt');
    expect(endpoint.username).toBe('bob');
    expect(endpoint.password).toBeUndefined();
    expect(endpoint.displayUrl).toBe('ws://127.0.0.1/mqtt');
  });

  it('never shows credentials in displayUrl, for any user name and password (property)', () => {
    const schemes = ['mqtt', 'tcp', 'mqtts', 'ssl', 'tls', 'ws', 'wss'];
    fc.assert(
      fc.property(
        fc.constantFrom(...schemes),
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.constantFrom('', ':1883', ':9001/mqtt', '/mqtt?x=1'),
        (scheme, user, password, rest) => {
          const url = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1${rest}`;
          const endpoint = parseBrokerUrl(url);
          expect(endpoint.username).toBe(user);
          expect(endpoint.password).toBe(password);
          expect(endpoint.host).toBe('127.0.0.1');
          expect(endpoint.displayUrl).toBe(`${scheme}://127.0.0.1${rest}`);
        },
      ),
    );
  });

  it('keeps a password with an unescaped "@" out of displayUrl (the URL parser splits at the last "@")', () => {
    const endpoint = parseBrokerUrl('mqtt://alice:p@ss@127.0.0.1:1883');
    // WHATWG URL parsing: everything before the last '@' of the authority is userinfo.
    expect(endpoint.username).toBe('alice');
    expect(endpoint.password).toBe('p@ss');
    expect(endpoint.host).toBe('127.0.0.1');
    expect(endpoint.displayUrl).toBe('mqtt://127.0.0.1:1883');
    expect(endpoint.displayUrl).not.toContain('ss@');
  });

  it('keeps raw passwords with "@" and ":" out of displayUrl (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
        fc.stringMatching(/^[A-Za-z0-9@:!$]{1,12}$/),
        fc.constantFrom('mqtt', 'ws'),
        (user, password, scheme) => {
          const endpoint = parseBrokerUrl(`${scheme}://${user}:${password}@127.0.0.1:1999/mqtt`);
          expect(endpoint.username).toBe(user);
          expect(endpoint.password).toBe(password);
          expect(endpoint.displayUrl).toBe(`${scheme}://127.0.0.1:1999/mqtt`);
        },
      ),
    );
  });

  it('redactUrl removes the userinfo and nothing else', () => {
    expect(redactUrl('mqtts://u:p@host:8883/x?y=1')).toBe('mqtts://host:8883/x?y=1');
    expect(redactUrl('ws://host/mqtt?user=a@b')).toBe('ws://host/mqtt?user=a@b');
    expect(redactUrl('mqtt://host')).toBe('mqtt://host');
  });
});

describe('parseBrokerUrl: unsupported schemes', () => {
  it('refuses other schemes with INVALID_URL naming the scheme', () => {
    // 'constructor' is a key of every object's prototype: the scheme table must not find it.
    for (const scheme of ['http', 'https', 'ftp', 'mqtt5', 'amqp', 'file', 'constructor']) {
      const error = parseError(`${scheme}://127.0.0.1/`);
      expect(error.code).toBe('INVALID_URL');
      expect(error.message).toContain(`"${scheme}:"`);
    }
  });

  it('never puts the credentials in the error message (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https', 'amqp', 'mqttx', 'redis'),
        fc.stringMatching(/^[A-Za-z0-9]{4,10}$/),
        fc.stringMatching(/^[A-Za-z0-9]{6,12}$/),
        (scheme, user, password) => {
          const secret = `pw-${password}`;
          const error = parseError(`${scheme}://${user}:${secret}@127.0.0.1:1883/path`);
          expect(error.code).toBe('INVALID_URL');
          expect(error.message).not.toContain(secret);
          expect(error.message).not.toContain(`${user}:`);
          expect(error.message).toContain('127.0.0.1:1883');
        },
      ),
    );
  });

  it('never puts the credentials in the error message of a URL without a usable host', () => {
    const error = parseError('mqtt://alice:hunter2@');
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('broker URLs: credentials never shown, malformed escapes typed (found in review)', () => {
  it('a malformed percent-escape in the userinfo gives a typed INVALID_URL, not a URIError', () => {
    let caught: unknown;
    try {
      parseBrokerUrl('mqtt://alice:100%@127.0.0.1:1883');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MqttError);
    expect((caught as MqttError).code).toBe('INVALID_URL');
  });

  it('the same through the client constructor', () => {
    expect(() => new MqttClient({ url: 'mqtt://alice:%E0%A4%A@127.0.0.1' })).toThrow(MqttError);
  });

  it('a URL the parser accepts never keeps its password in displayUrl', () => {
    for (const url of ['ws:alice:hunter2@127.0.0.1/mqtt', 'wss:/alice:hunter2@127.0.0.1', ' mqtt://alice:hunter2@127.0.0.1', '\tmqtt://alice:hunter2@127.0.0.1']) {
      const endpoint = parseBrokerUrl(url);
      expect(endpoint.password).toBe('hunter2');
      expect(endpoint.displayUrl, JSON.stringify(url)).not.toContain('hunter2');
    }
  });

  it('a refused URL whose raw password holds "/", "?" or "#" does not echo the password', () => {
    for (const url of ['mqtt://alice:pa/ss-hunter2@127.0.0.1', 'mqtt://alice:pa#ss-hunter2@127.0.0.1', 'mqtt://alice:pa?ss-hunter2@127.0.0.1']) {
      let message = '';
      try {
        parseBrokerUrl(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, url).not.toBe('');
      expect(message, url).not.toContain('hunter2');
    }
  });
});

describe('displayUrl of a password holding a raw "#", "/" or "?" that still parses (found reviewing the day\'s fixes)', () => {
  for (const url of ['mqtt://alice:1234#s3cret@broker.example', 'mqtt://alice:1234/s3cret@broker.example', 'mqtts://alice:8883?s3cret@broker.example']) {
    it(url, () => {
      let shown: string;
      try {
        shown = parseBrokerUrl(url).displayUrl;
      } catch (error) {
        shown = (error as Error).message;
      }
      expect(shown).not.toContain('s3cret');
    });
  }
});

describe('broker URLs: the host of mqtt:// and mqtts:// read as ws:// reads it (found in review)', () => {
  // The URL parser knows ws and wss; mqtt, mqtts, tcp, ssl and tls are opaque to it, and it left
  // their host as written: an international name percent-escaped, which no resolver finds.
  it('an international host name becomes its ASCII (punycode) form, as for ws://', () => {
    expect(parseBrokerUrl('ws://bücher.example').host).toBe('xn--bcher-kva.example');
    for (const scheme of ['mqtt', 'mqtts', 'tcp', 'ssl', 'tls']) {
      const endpoint = parseBrokerUrl(`${scheme}://user:pw@bücher.example:1884`);
      expect(endpoint.host).toBe('xn--bcher-kva.example');
      expect(endpoint.port).toBe(1884);
      expect(endpoint.username).toBe('user');
    }
  });

  it('a percent-escaped or upper-case host name is decoded and folded, as for ws://', () => {
    expect(parseBrokerUrl('mqtt://br%6Fker.example').host).toBe('broker.example');
    expect(parseBrokerUrl('mqtts://BROKER.Example').host).toBe('broker.example');
  });

  it('IP addresses are unchanged; a host no resolver could take is INVALID_URL', () => {
    expect(parseBrokerUrl('mqtt://127.0.0.1').host).toBe('127.0.0.1');
    expect(parseBrokerUrl('mqtts://[::1]:8884').host).toBe('::1');
    expect(parseError('mqtt://a%2Fb').code).toBe('INVALID_URL');
  });
});
