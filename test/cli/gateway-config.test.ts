/**
 * `impmqtt gateway --config`: a file of the wrong shape is a one-line usage error (exit 1),
 * never an internal error with a stack trace (exit 70), and a key the command does not know is
 * refused by name rather than silently ignored. Found in review: "accessKeys" as an object or
 * with a null entry crashed the command; "maxNonces" (which the README says to raise for more
 * than ~1,100 signed calls/s) and "hostId" were dropped, and so was any misspelt key
 * ("ratelimit": 0 left the limit at 1,000). No broker or HTTP port is needed: every case
 * fails before the gateway starts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayCommand, gatewayOptions } from '../../src/cli/gateway.js';
import { parseFlags } from '../../src/cli/flags.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/command.js';

const dir = mkdtempSync(join(tmpdir(), 'impmqtt-gw-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIo & { err: () => string } {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdin: new PassThrough(), stdout: new PassThrough(), stderr, env: {}, err: () => err };
}

function configFile(name: string, content: unknown): string {
  const path = join(dir, `${name}.json`);
  // Owner-only, as a file of secrets should be (else the command warns, a second line).
  writeFileSync(path, JSON.stringify(content), { mode: 0o600 });
  return path;
}

describe('impmqtt gateway --config: the shape of the file', () => {
  const mistakes: [string, unknown, RegExp][] = [
    ['accessKeys as an object', { allowAnonymous: true, accessKeys: { accessKeyId: 'a', accessKeySecret: 's' } }, /accessKeys must be a list/],
    ['a null access key', { accessKeys: [null] }, /accessKeys must be a list/],
    ['a misspelt key', { allowAnonymous: true, ratelimit: 0 }, /unknown key "ratelimit"/],
    // Found in the security review: the key was admitted with no instance limit at all.
    ['a misspelt field in an access key', { accessKeys: [{ accessKeyId: 'a', accessKeySecret: 's', instance: ['post-cn-1'] }] }, /access key a: unknown field "instance"/],
    ['http as a string', { allowAnonymous: true, http: '0.0.0.0:8080' }, /"http" must be an object/],
    ['a misspelt key in http', { allowAnonymous: true, http: { port: 8080, maxConnection: 10 } }, /unknown key "http\.maxConnection"/],
  ];
  for (const [what, content, message] of mistakes) {
    it(`${what}: one usage line, exit 1`, async () => {
      const cli = io();
      expect(await main(['gateway', '--config', configFile(what.replace(/\W/g, '-'), content)], cli)).toBe(1);
      expect(cli.err()).toMatch(message);
      expect(cli.err().trim().split('\n')).toHaveLength(1);
    });
  }

  it('maxNonces, maxInflight, maxTopicLevels and hostId, gateway options the README documents, reach the gateway', () => {
    const flags = parseFlags(gatewayCommand.flags, []);
    const options = gatewayOptions(flags, {}, { allowAnonymous: true, maxNonces: 5_000_000, maxInflight: 50, maxTopicLevels: 8, hostId: 'gw.example' }, { url: 'mqtt://127.0.0.1:1' });
    expect(options).toMatchObject({ maxNonces: 5_000_000, maxInflight: 50, maxTopicLevels: 8, hostId: 'gw.example' });
  });

  it("http's limits (maxConnections, the timeouts, maxHeaderSize) reach the gateway; host and port stay the command's", () => {
    const flags = parseFlags(gatewayCommand.flags, []);
    const http = { host: '0.0.0.0', port: 8081, maxConnections: 200, headersTimeout: 5_000, requestTimeout: 20_000, keepAliveTimeout: 2_000, maxHeaderSize: 65_536 };
    const options = gatewayOptions(flags, {}, { allowAnonymous: true, http }, { url: 'mqtt://127.0.0.1:1' });
    expect(options.http).toEqual({ maxConnections: 200, headersTimeout: 5_000, requestTimeout: 20_000, keepAliveTimeout: 2_000, maxHeaderSize: 65_536 });
  });
});

/**
 * Found in the security review: a broker password on the command line (ps shows it to every
 * user for as long as the gateway runs) and a config file of secrets readable by other users
 * went unremarked. Each case then stops at the missing access keys, before the gateway starts.
 */
describe('impmqtt gateway: secrets other users can read are warned about', () => {
  const exposed = /on the command line, where ps shows it/;
  const cases: [string, string[], Record<string, string>, boolean][] = [
    ['-P', ['-u', 'u', '-P', 'pw'], {}, true],
    ['a -L URL with a password', ['-L', 'mqtt://u:pw@127.0.0.1:1/t'], {}, true],
    ['$IMPMQTT_MQTT_PASSWORD', ['-u', 'u'], { IMPMQTT_MQTT_PASSWORD: 'pw' }, false],
  ];
  for (const [what, args, env, warned] of cases) {
    it(`the broker password from ${what}: ${warned ? 'a warning' : 'no warning'}`, async () => {
      const cli = io();
      cli.env = env;
      expect(await main(['gateway', ...args], cli)).toBe(1);
      expect(cli.err()).toMatch(/No access keys/);
      if (warned) expect(cli.err()).toMatch(exposed);
      else expect(cli.err()).not.toMatch(exposed);
    });
  }

  it('a config file with secrets: a warning while other users may read it, none once it is 0600', async () => {
    const path = configFile('secrets', { mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'pw' } });
    chmodSync(path, 0o644);
    const open = io();
    expect(await main(['gateway', '--config', path], open)).toBe(1);
    expect(open.err()).toContain(`Warning: ${path} holds secrets and other users may read it (mode 0644): chmod 600 it.`);
    chmodSync(path, 0o600);
    const closed = io();
    expect(await main(['gateway', '--config', path], closed)).toBe(1);
    expect(closed.err()).not.toMatch(/holds secrets/);
    expect(closed.err()).toMatch(/No access keys/);
  });

  for (const [what, mqtt] of [
    ['a password in a servers URL', { servers: ['mqtt://u:pw@127.0.0.1:1'] }],
    ['an inline TLS key', { url: 'mqtts://127.0.0.1:1', tls: { key: '-----BEGIN PRIVATE KEY-----' } }],
  ] as const) {
    it(`${what}, readable by others: the warning too`, async () => {
      const path = configFile(what.replace(/\W/g, '-'), { mqtt });
      chmodSync(path, 0o604);
      const cli = io();
      expect(await main(['gateway', '--config', path], cli)).toBe(1);
      expect(cli.err()).toContain('holds secrets and other users may read it (mode 0604)');
    });
  }
});

describe('impmqtt gateway: the SDK variables are not an extra key', () => {
  // Found in the security review: with accessKeys in the file (say, each kept to its instances),
  // $ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, set in the environment for other tools, was accepted too,
  // free to send to any instance.
  it('with accessKeys in the file, $ALIBABA_CLOUD_ACCESS_KEY_ID is not accepted; alone, it is the key', () => {
    const flags = parseFlags(gatewayCommand.flags, []);
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'ambient', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'cloud-secret' };
    const broker = { url: 'mqtt://127.0.0.1:1' };
    const fromFile = gatewayOptions(flags, env, { accessKeys: [{ accessKeyId: 'tenant', accessKeySecret: 's', instances: ['post-cn-1'] }] }, broker);
    expect(fromFile.accessKeys!.map((key) => key.accessKeyId)).toEqual(['tenant']);
    const alone = gatewayOptions(flags, env, {}, broker);
    expect(alone.accessKeys!.map((key) => key.accessKeyId)).toEqual(['ambient']);
  });
});
