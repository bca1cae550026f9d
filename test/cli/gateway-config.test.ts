/**
 * `impmqtt gateway --config`: a file of the wrong shape is a one-line usage error (exit 1),
 * never an internal error with a stack trace (exit 70), and a key the command does not know is
 * refused by name rather than silently ignored. Found in review: "accessKeys" as an object or
 * with a null entry crashed the command; "maxNonces" (which the README says to raise for more
 * than ~1,100 signed calls/s) and "hostId" were dropped, and so was any misspelt key
 * ("ratelimit": 0 left the limit at 1,000). No broker or HTTP port is needed: every case
 * fails before the gateway starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  writeFileSync(path, JSON.stringify(content));
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
  ];
  for (const [what, content, message] of mistakes) {
    it(`${what}: one usage line, exit 1`, async () => {
      const cli = io();
      expect(await main(['gateway', '--config', configFile(what.replace(/\W/g, '-'), content)], cli)).toBe(1);
      expect(cli.err()).toMatch(message);
      expect(cli.err().trim().split('\n')).toHaveLength(1);
    });
  }

  it('maxNonces, maxInflight and hostId, gateway options the README documents, reach the gateway', () => {
    const flags = parseFlags(gatewayCommand.flags, []);
    const options = gatewayOptions(flags, {}, { allowAnonymous: true, maxNonces: 5_000_000, maxInflight: 50, hostId: 'gw.example' }, { url: 'mqtt://127.0.0.1:1' });
    expect(options).toMatchObject({ maxNonces: 5_000_000, maxInflight: 50, hostId: 'gw.example' });
  });
});
