import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { tokenCommand } from '../../src/cli/commands/token.ts';
import { CliError } from '../../src/cli/errors.ts';
import { type TestKey, testKey } from '../client/support/keys.ts';
import { NetsuiteFake } from '../support/netsuite-fake.ts';

const CLIENT_ID = 'e'.repeat(64);
/** NetSuite makes certificate ids that begin with "-"; its own CLI choked on them (#881). */
const DASH_ID = '-Dash1dStartsWithAHyphen_xyz';

function decodePart(jwt: string, i: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[i] ?? '', 'base64url').toString('utf8'));
}

describe('certmint token', () => {
  let key: TestKey;
  let rsa2048: TestKey;
  let fake: NetsuiteFake;

  before(async () => {
    [key, rsa2048] = await Promise.all([testKey('ES256'), testKey('RSA2048')]);
    fake = await NetsuiteFake.start({
      account: 'TSTDRV1',
      basePath: '/accounts/TSTDRV1',
      clientId: CLIENT_ID,
      certificates: [key.certPem, { pem: key.certPem, certificateId: DASH_ID }],
    });
  });
  after(() => fake.close());

  /** Runs `certmint …args` the way main will (root --json/--db, exitOverride); returns stdout. */
  async function run(...args: string[]): Promise<string[]> {
    const lines: string[] = [];
    const token = tokenCommand((t) => lines.push(t))
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} });
    const program = new Command('certmint')
      .option('--json')
      .option('--db <p>')
      .exitOverride()
      .addCommand(token);
    await program.parseAsync(args, { from: 'user' });
    return lines;
  }

  const base = () => [
    'token',
    '--token-url',
    fake.tokenUrl,
    '--client-id',
    CLIENT_ID,
    '--key',
    key.keyPath,
  ];

  async function cliError(args: string[]): Promise<CliError> {
    const e = await run(...args).then(
      () => assert.fail('expected a CliError'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof CliError, `expected CliError, got ${String(e)}`);
    return e;
  }

  it('prints the access token', async () => {
    const out = await run(...base(), '--certificate-id', key.certificateId);
    assert.deepEqual(out, [fake.issued.at(-1)]);
    const assertion = new URLSearchParams(fake.tokenRequests().at(-1)?.body).get(
      'client_assertion',
    );
    assert.deepEqual(decodePart(assertion ?? '', 1).scope, ['restlets', 'rest_webservices']);
  });

  it('prints the token response with the global --json', async () => {
    const out = await run('--json', ...base(), '--certificate-id', key.certificateId);
    assert.equal(out.length, 1);
    assert.deepEqual(JSON.parse(out[0] ?? ''), {
      access_token: fake.issued.at(-1),
      expires_in: 3600,
      token_type: 'Bearer',
    });
  });

  it('--decode shows the header and claims, in text and in JSON', async () => {
    const out = await run(...base(), '--certificate-id', key.certificateId, '--decode');
    assert.equal(out.length, 3);
    assert.equal(out[0], fake.issued.at(-1));
    assert.ok(out[1]?.startsWith('header: '));
    assert.deepEqual(JSON.parse(out[1]?.slice('header: '.length) ?? ''), {
      typ: 'JWT',
      alg: 'RS256',
      kid: fake.signingKid,
    });
    const claims = JSON.parse(out[2]?.slice('claims: '.length) ?? '');
    assert.equal(claims.sub, '3;-5');
    const j = JSON.parse(
      (await run('--json', ...base(), '--certificate-id', key.certificateId, '--decode'))[0] ?? '',
    );
    assert.equal(j.decoded.claims.sub, '3;-5');
    assert.equal(j.decoded.header.kid, fake.signingKid);
  });

  it('sends --scope as given, and as a comma string with --scope-format comma', async () => {
    await run(
      ...base(),
      '--certificate-id',
      key.certificateId,
      '--scope',
      'restlets',
      '--scope-format',
      'comma',
    );
    const assertion = new URLSearchParams(fake.tokenRequests().at(-1)?.body).get(
      'client_assertion',
    );
    assert.equal(decodePart(assertion ?? '', 1).scope, 'restlets');
  });

  for (const form of [[`--certificate-id=${DASH_ID}`], ['--certificate-id', DASH_ID]]) {
    it(`takes a certificate id that begins with "-" (${form.join(' ')})`, async () => {
      const out = await run(...base(), ...form);
      assert.deepEqual(out, [fake.issued.at(-1)]);
      const assertion = new URLSearchParams(fake.tokenRequests().at(-1)?.body).get(
        'client_assertion',
      );
      assert.equal(decodePart(assertion ?? '', 0).kid, DASH_ID);
    });
  }

  it('fails in one line with the OAuth error and where to look', async () => {
    const e = await cliError([...base(), '--certificate-id', 'unknown-certificate']);
    assert.equal(
      e.message,
      'token request failed: invalid_client, HTTP 401; see `certmint audit list --account TSTDRV1`',
    );
  });

  it('refuses a crafted --account before any request', async () => {
    const n = fake.requests.length;
    const e = await cliError([
      'token',
      '--account',
      'evil.com/x?',
      '--client-id',
      CLIENT_ID,
      '--certificate-id',
      key.certificateId,
      '--key',
      key.keyPath,
    ]);
    assert.equal(
      e.message,
      'invalid NetSuite account id "evil.com/x?": expected digits or TSTDRV<digits>, ' +
        'optionally followed by _SB<n> or _RP (e.g. 123456, 123456_SB1, TSTDRV1234567)',
    );
    assert.equal(fake.requests.length, n);
  });

  it('needs exactly one of --token-url and --account', async () => {
    const both = await cliError([...base(), '--account', '123', '--certificate-id', 'k']);
    assert.equal(both.message, 'give exactly one of --token-url and --account');
    const neither = await cliError([
      'token',
      '--client-id',
      CLIENT_ID,
      '--certificate-id',
      'k',
      '--key',
      key.keyPath,
    ]);
    assert.equal(neither.message, 'give exactly one of --token-url and --account');
  });

  it('refuses a missing key file and a key NetSuite would refuse, never printing the key', async () => {
    const missing = await cliError([
      'token',
      '--token-url',
      fake.tokenUrl,
      '--client-id',
      CLIENT_ID,
      '--certificate-id',
      'k',
      '--key',
      '/nonexistent/private.pem',
    ]);
    assert.equal(missing.message, 'cannot read /nonexistent/private.pem: no such file');
    const weak = await cliError([
      'token',
      '--token-url',
      fake.tokenUrl,
      '--client-id',
      CLIENT_ID,
      '--certificate-id',
      'k',
      '--key',
      rsa2048.keyPath,
    ]);
    assert.equal(
      weak.message,
      'RSA key of 2048 bits is too short: NetSuite accepts 3072 or 4096 bits; ' +
        'generate a new one, e.g. `certmint cert generate --alg PS256 --bits 3072`',
    );
    assert.doesNotMatch(weak.message, /PRIVATE KEY/);
  });
});
