import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  ConfigurationError,
  createTokenClient,
  createTokenVerifier,
  isAccountId,
  netsuiteTokenUrl,
  type TokenClientOptions,
} from '../../src/client/index.ts';
import { auditHint, checkTokenUrl } from '../../src/client/token-url.ts';
import { type TestKey, testKey } from './support/keys.ts';

const TOKEN_URL = 'https://certmint.example/accounts/TSTDRV1/services/rest/auth/oauth2/v1/token';

function refusal(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigurationError, `expected ConfigurationError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_CONFIGURATION');
    return e;
  }
  assert.fail('expected a ConfigurationError');
}

describe('NetSuite token URL from an account id', () => {
  it('uses the host form: lower case, _ → -', () => {
    assert.equal(
      netsuiteTokenUrl('123456_SB1'),
      'https://123456-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
    );
    assert.equal(
      netsuiteTokenUrl('TSTDRV1234567'),
      'https://tstdrv1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
    );
    assert.equal(
      netsuiteTokenUrl('345678_rp'),
      'https://345678-rp.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
    );
    assert.equal(
      netsuiteTokenUrl('tstdrv12_sb3'),
      'https://tstdrv12-sb3.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
    );
  });

  for (const crafted of [
    'evil.com/x?',
    '1.attacker.net#',
    '123@x',
    '123:443',
    '123/../x',
    '123%2e',
    '123 ',
    '',
    '123_SB',
    '123_SB1_SB2',
    'TSTDRV',
    'ABC123',
    '123\n',
    '１２３',
  ]) {
    it(`refuses the crafted account id ${JSON.stringify(crafted)}`, () => {
      assert.equal(isAccountId(crafted), false);
      const e = refusal(() => netsuiteTokenUrl(crafted));
      assert.equal(
        e.message,
        `invalid NetSuite account id ${JSON.stringify(crafted)}: expected digits or TSTDRV<digits>, ` +
          'optionally followed by _SB<n> or _RP (e.g. 123456, 123456_SB1, TSTDRV1234567)',
      );
    });
  }
});

describe('tokenUrl checks', () => {
  it('accepts https anywhere and http on loopback only', () => {
    assert.equal(checkTokenUrl(TOKEN_URL), TOKEN_URL);
    assert.equal(checkTokenUrl('http://127.0.0.1:8080/t'), 'http://127.0.0.1:8080/t');
    assert.equal(checkTokenUrl('http://localhost/t'), 'http://localhost/t');
    assert.equal(checkTokenUrl('http://[::1]:9/t'), 'http://[::1]:9/t');
  });

  it('refuses plain http to another host', () => {
    assert.equal(
      refusal(() => checkTokenUrl('http://certmint.example/t')).message,
      'tokenUrl must use https (plain http is allowed only for localhost/127.0.0.1/[::1]): http://certmint.example',
    );
    // A look-alike of loopback is not loopback.
    refusal(() => checkTokenUrl('http://127.0.0.1.evil.example/t'));
  });

  it('refuses user info, fragments and non-URLs', () => {
    assert.equal(
      refusal(() => checkTokenUrl('https://u:p@x.example/t')).message,
      'tokenUrl must not contain a user name or password',
    );
    assert.equal(
      refusal(() => checkTokenUrl('https://x.example/t#f')).message,
      'tokenUrl must not contain a #fragment',
    );
    assert.equal(
      refusal(() => checkTokenUrl('/relative')).message,
      'tokenUrl is not an absolute URL: "/relative"',
    );
  });

  it('gives the audit hint of each server', () => {
    assert.equal(auditHint(TOKEN_URL), 'see `certmint audit list --account TSTDRV1`');
    assert.equal(
      auditHint('https://1-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token'),
      'see Setup > Users/Roles > View Login Audit Trail, column Detail',
    );
  });
});

describe('createTokenClient options', () => {
  let es256: TestKey;
  let es384: TestKey;
  let rsa: TestKey;
  let pss: TestKey;
  let rsa2048: TestKey;
  let ed25519: TestKey;
  let k1: TestKey;
  before(async () => {
    [es256, es384, rsa, pss, rsa2048, ed25519, k1] = await Promise.all([
      testKey('ES256'),
      testKey('ES384'),
      testKey('RSA3072'),
      testKey('RSAPSS3072'),
      testKey('RSA2048'),
      testKey('ED25519'),
      testKey('SECP256K1'),
    ]);
  });
  const base = (key: TestKey, extra: Record<string, unknown> = {}) =>
    ({
      tokenUrl: TOKEN_URL,
      clientId: 'c',
      certificateId: key.certificateId,
      privateKey: key.keyPem,
      scopes: ['restlets'],
      ...extra,
    }) as TokenClientOptions;

  it('picks the algorithm from the key, whatever form the key comes in', async () => {
    const { createPrivateKey } = await import('node:crypto');
    assert.equal(createTokenClient(base(es256)).alg, 'ES256');
    assert.equal(createTokenClient(base(es384)).alg, 'ES384');
    assert.equal(createTokenClient(base(rsa)).alg, 'PS256');
    assert.equal(createTokenClient(base(pss)).alg, 'PS256');
    const ko = createPrivateKey(es384.keyPem);
    assert.equal(createTokenClient(base(es384, { privateKey: ko })).alg, 'ES384');
    const jwk = ko.export({ format: 'jwk' });
    assert.equal(createTokenClient(base(es384, { privateKey: jwk })).alg, 'ES384');
    assert.equal(createTokenClient(base(rsa, { alg: 'PS512' })).alg, 'PS512');
  });

  it('refuses RSA below 3072 bits, saying what to do', () => {
    assert.equal(
      refusal(() => createTokenClient(base(rsa2048))).message,
      'RSA key of 2048 bits is too short: NetSuite accepts 3072 or 4096 bits; ' +
        'generate a new one, e.g. `certmint cert generate --alg PS256 --bits 3072`',
    );
  });

  it('refuses other key types and curves', () => {
    assert.equal(
      refusal(() => createTokenClient(base(ed25519))).message,
      'ed25519 keys are not accepted: use an EC key (P-256, P-384, P-521) or RSA 3072/4096',
    );
    assert.equal(
      refusal(() => createTokenClient(base(k1))).message,
      'EC curve secp256k1 is not accepted: use P-256, P-384 or P-521',
    );
  });

  it('refuses an alg that does not fit the key, and RS256 always', () => {
    assert.equal(
      refusal(() => createTokenClient(base(es256, { alg: 'ES384' }))).message,
      'alg ES384 does not fit this prime256v1 key: use ES256',
    );
    assert.equal(
      refusal(() => createTokenClient(base(rsa, { alg: 'ES256' }))).message,
      'alg ES256 does not fit an RSA key: use PS256',
    );
    assert.equal(
      refusal(() => createTokenClient(base(rsa, { alg: 'RS256' }))).message,
      'alg RS256 is not accepted for a client assertion: use one of ES256, ES384, ES512, PS256, PS384, PS512',
    );
  });

  it('refuses a public key and garbage, without echoing the key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.equal(
      refusal(() => createTokenClient(base(es256, { privateKey: publicKey }))).message,
      'privateKey is a public key: give the private key',
    );
    const e = refusal(() => createTokenClient(base(es256, { privateKey: 'SECRET-not-a-pem' })));
    assert.match(e.message, /^privateKey could not be read as a private key: /);
    assert.doesNotMatch(e.message, /SECRET/);
    assert.equal(
      refusal(() =>
        createTokenClient(base(es256, { privateKey: publicKey.export({ format: 'jwk' }) })),
      ).message,
      'privateKey is a public JWK: give the private key (with "d")',
    );
  });

  it('needs exactly one of tokenUrl and accountId', () => {
    const msg = 'give exactly one of tokenUrl and accountId';
    assert.equal(refusal(() => createTokenClient(base(es256, { accountId: '123' }))).message, msg);
    assert.equal(
      refusal(() => createTokenClient(base(es256, { tokenUrl: undefined }))).message,
      msg,
    );
  });

  it('refuses empty scopes, odd scope values and bad lifetimes', () => {
    assert.equal(
      refusal(() => createTokenClient(base(es256, { scopes: [] }))).message,
      "scopes must be a non-empty array, e.g. ['restlets', 'rest_webservices']",
    );
    assert.equal(
      refusal(() => createTokenClient(base(es256, { scopes: ['restlets,rest_webservices'] })))
        .message,
      'invalid scope "restlets,rest_webservices": one scope name per item',
    );
    assert.equal(
      refusal(() => createTokenClient(base(es256, { assertionLifetimeSeconds: 3600 }))).message,
      'assertionLifetimeSeconds must be an integer from 1 to 3599',
    );
    assert.equal(
      refusal(() => createTokenClient(base(es256, { clientId: '' }))).message,
      'clientId must be a non-empty string without surrounding spaces',
    );
  });

  it('refuses a retry policy that could loop forever', () => {
    for (const attempts of [Number.NaN, 0, 11, 2.5]) {
      assert.equal(
        refusal(() => createTokenClient(base(es256, { retry: { attempts } }))).message,
        'retry.attempts must be an integer from 1 to 10',
      );
    }
    assert.equal(
      refusal(() => createTokenClient(base(es256, { retry: { baseDelayMs: Number.NaN } }))).message,
      'retry.baseDelayMs and retry.maxDelayMs must be finite and ≥ 0',
    );
  });
});

describe('createTokenVerifier options', () => {
  it('fetches keys only over https, or http on loopback', () => {
    assert.equal(
      refusal(() => createTokenVerifier({ issuer: 'http://auth.example/accounts/A' })).message,
      'jwksUrl must use https (plain http is allowed only for localhost/127.0.0.1/[::1]): http://auth.example',
    );
    assert.equal(
      createTokenVerifier({ issuer: 'http://127.0.0.1:8080/accounts/A' }).jwksUrl,
      'http://127.0.0.1:8080/accounts/A/services/rest/auth/oauth2/v1/keys',
    );
  });

  it('refuses an issuer that is not a URL and an unknown algorithm', () => {
    assert.equal(
      refusal(() => createTokenVerifier({ issuer: 'TSTDRV1' })).message,
      'issuer must be an http(s) URL, compared exactly with `iss`',
    );
    assert.equal(
      refusal(() =>
        createTokenVerifier({
          issuer: 'https://a.example',
          algorithms: ['HS256' as 'ES256'],
        }),
      ).message,
      'algorithm HS256 is not allowed',
    );
  });
});
