import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  createTokenClient,
  createTokenVerifier,
  InsufficientScopeError,
  InvalidTokenError,
  type InvalidTokenReason,
  JwksError,
  type TokenVerifierOptions,
} from '../../src/client/index.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { KEYS_PATH, NETSUITE_ISSUER, NetsuiteFake } from '../support/netsuite-fake.ts';
import { ACCOUNT, type SigningKey, TestIssuer } from './support/issuer.ts';
import { testKey } from './support/keys.ts';

async function refused(p: Promise<unknown>, reason: InvalidTokenReason): Promise<void> {
  const e = await p.then(
    () => assert.fail('expected a refusal'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(e)}`);
  assert.equal(e.code, 'ERR_INVALID_TOKEN');
  assert.equal(e.reason, reason);
}

describe('createTokenVerifier', () => {
  let iss: TestIssuer;
  let key: SigningKey;
  let clock: FixedClock;
  const nowS = () => Math.floor(clock.now() / 1000);

  before(async () => {
    iss = await TestIssuer.start();
    key = await iss.addKey();
  });
  after(() => iss.close());
  beforeEach(() => {
    clock = new FixedClock(Math.floor(Date.now() / 1000) * 1000);
    iss.mode = 'ok';
  });

  const verifier = (o: Partial<TokenVerifierOptions> = {}) =>
    createTokenVerifier({ issuer: iss.issuer, clock, ...o });

  it('accepts a good token and returns its claims, fetching the default JWKS URL', async () => {
    const v = verifier();
    assert.equal(v.jwksUrl, `${iss.issuer}/services/rest/auth/oauth2/v1/keys`);
    assert.equal(v.realm, ACCOUNT);
    const token = await iss.sign(key, {}, {}, nowS());
    const t = await v.verify(token);
    assert.equal(t.sub, '3;-5');
    assert.equal(t.roleId, 3);
    assert.equal(t.entityId, -5);
    assert.equal(t.clientId, 'c'.repeat(64));
    assert.deepEqual(t.scopes, ['restlets', 'rest_webservices']);
    assert.equal(t.iat, nowS());
    assert.equal(t.exp, nowS() + 3600);
    assert.equal(t.accountId, ACCOUNT);
    assert.equal(t.jti, t.claims.jti);
  });

  it('refuses a wrong iss, a wrong typ, RS256 by default, and a bad signature', async () => {
    const v = verifier();
    await refused(v.verify(await iss.sign(key, { iss: `${iss.issuer}/` }, {}, nowS())), 'issuer');
    await refused(v.verify(await iss.sign(key, {}, { typ: 'JWT' }, nowS())), 'type');
    const rsa = await iss.addKey('RS256');
    await refused(v.verify(await iss.sign(rsa, {}, {}, nowS())), 'algorithm');
    const good = await iss.sign(key, {}, {}, nowS());
    const [h, p] = good.split('.');
    const other = await iss.sign(key, { sub: '3;-6' }, {}, nowS());
    await refused(v.verify(`${h}.${p}.${other.split('.')[2]}`), 'signature');
    await refused(v.verify('not.a.jwt'), 'malformed');
    await refused(v.verify(''), 'malformed');
  });

  it('refuses an expired token, with the configured tolerance', async () => {
    const v = verifier({ clockTolerance: 5 });
    const token = await iss.sign(key, {}, {}, nowS() - 3600);
    await v.verify(token); // exp == now
    clock.advance(4_000);
    await v.verify(token); // 4 s past exp: within the 5 s tolerance
    clock.advance(1_000);
    await refused(v.verify(token), 'expired');
    await refused(
      verifier({ clockTolerance: 0 }).verify(await iss.sign(key, { exp: nowS() - 1 }, {}, nowS())),
      'expired',
    );
  });

  it('refuses a sub that is not "<role>;<entity>" and a missing jti', async () => {
    const v = verifier();
    await refused(v.verify(await iss.sign(key, { sub: 'alice' }, {}, nowS())), 'claims');
    await refused(v.verify(await iss.sign(key, { jti: undefined }, {}, nowS())), 'claims');
  });

  it('checks scopes: the verifier’s and the call’s', async () => {
    const token = await iss.sign(key, { scope: ['restlets'] }, {}, nowS());
    const e = await verifier({ requiredScopes: ['rest_webservices'] })
      .verify(token)
      .catch((x: unknown) => x);
    assert.ok(e instanceof InsufficientScopeError);
    assert.equal(e.code, 'ERR_INSUFFICIENT_SCOPE');
    assert.deepEqual(e.requiredScopes, ['rest_webservices']);
    assert.deepEqual(e.grantedScopes, ['restlets']);
    assert.equal(e.message, 'the access token lacks scope rest_webservices');
    const v = verifier({ requiredScopes: ['restlets'] });
    await v.verify(token);
    await assert.rejects(v.verify(token, { requiredScopes: ['suite_analytics'] }), {
      code: 'ERR_INSUFFICIENT_SCOPE',
    });
  });

  it('refetches the JWKS once for an unknown kid, then not again within the interval', async () => {
    const v = verifier();
    await v.verify(await iss.sign(key, {}, {}, nowS()));
    const hits = iss.jwksHits;
    clock.advance(30_000);
    const rotated = await iss.addKey();
    const t = await v.verify(await iss.sign(rotated, {}, {}, nowS()));
    assert.equal(t.roleId, 3);
    assert.equal(iss.jwksHits - hits, 1);
    // Random kids right after: no more fetches until the interval has passed.
    for (let i = 0; i < 5; i++) {
      await refused(v.verify(await iss.sign(key, {}, { kid: `nope-${i}` }, nowS())), 'unknown_key');
    }
    assert.equal(iss.jwksHits - hits, 1);
    clock.advance(29_999);
    await refused(v.verify(await iss.sign(key, {}, { kid: 'nope' }, nowS())), 'unknown_key');
    assert.equal(iss.jwksHits - hits, 1);
    clock.advance(1);
    await refused(v.verify(await iss.sign(key, {}, { kid: 'nope' }, nowS())), 'unknown_key');
    assert.equal(iss.jwksHits - hits, 2);
  });

  it('drops a key removed from the JWKS once the set is older than maxAge', async () => {
    const extra = await iss.addKey();
    const v = verifier();
    const token = await iss.sign(extra, {}, {}, nowS());
    await v.verify(token);
    await v.verify(token); // from the resolved-key cache
    iss.keys = iss.keys.filter((k) => k !== extra);
    clock.advance(599_999);
    await v.verify(token); // still within maxAge
    const hits = iss.jwksHits;
    clock.advance(1);
    await refused(v.verify(token), 'unknown_key');
    assert.equal(iss.jwksHits - hits, 1);
  });

  it('keeps serving the old keys when a maxAge refresh fails', async () => {
    const v = verifier();
    const token = await iss.sign(key, {}, {}, nowS());
    await v.verify(token);
    iss.mode = 'status500';
    clock.advance(600_000);
    const hits = iss.jwksHits;
    const t = await v.verify(token);
    assert.equal(t.roleId, 3);
    assert.equal(iss.jwksHits - hits, 1);
  });

  it('refuses a disallowed alg before looking for its key (no JWKS fetch)', async () => {
    const v = verifier();
    const hits = iss.jwksHits;
    const rsa = await iss.addKey('PS256');
    await refused(v.verify(await iss.sign(rsa, {}, {}, nowS())), 'algorithm');
    assert.equal(iss.jwksHits, hits);
  });

  it('makes one JWKS fetch for many concurrent verifications on a cold cache', async () => {
    const v = verifier();
    const token = await iss.sign(key, {}, {}, nowS());
    const hits = iss.jwksHits;
    await Promise.all(Array.from({ length: 50 }, () => v.verify(token)));
    assert.equal(iss.jwksHits - hits, 1);
  });

  for (const mode of ['huge-declared', 'huge-chunked'] as const) {
    it(`refuses a JWKS larger than 64 KiB (${mode})`, async () => {
      iss.mode = mode;
      const e = await verifier()
        .verify(await iss.sign(key, {}, {}, nowS()))
        .catch((x: unknown) => x);
      assert.ok(e instanceof JwksError);
      assert.equal(e.code, 'ERR_JWKS');
      assert.equal(
        e.message,
        `JWKS from ${iss.issuer}/services/rest/auth/oauth2/v1/keys refused: response body larger than 65536 bytes`,
      );
    });
  }

  it('gives up on a JWKS endpoint that does not answer, and waits before trying again', async () => {
    iss.mode = 'hang';
    const v = verifier({ jwks: { timeoutMs: 200 } });
    const token = await iss.sign(key, {}, {}, nowS());
    const hits = iss.jwksHits;
    const e = await v.verify(token).catch((x: unknown) => x);
    assert.ok(e instanceof JwksError);
    assert.equal(e.message, `JWKS fetch from ${v.jwksUrl} failed: timed out`);
    iss.mode = 'ok';
    const again = await v.verify(token).catch((x: unknown) => x);
    assert.ok(again instanceof JwksError);
    assert.equal(again.message, `JWKS fetch from ${v.jwksUrl} failed recently; not retrying yet`);
    assert.equal(iss.jwksHits - hits, 1);
    clock.advance(30_000);
    await v.verify(token);
    assert.equal(iss.jwksHits - hits, 2);
  });

  it('refuses a JWKS answered with an error status', async () => {
    iss.mode = 'status500';
    const v = verifier();
    const e = await v.verify(await iss.sign(key, {}, {}, nowS())).catch((x: unknown) => x);
    assert.ok(e instanceof JwksError);
    assert.equal(e.message, `JWKS fetch from ${v.jwksUrl} answered HTTP 500`);
  });
});

describe('verifying NetSuite-style tokens (typ JWT, RS256)', () => {
  let fake: NetsuiteFake;
  before(async () => {
    const k = await testKey('ES256');
    fake = await NetsuiteFake.start({
      account: '123456',
      clientId: 'd'.repeat(64),
      certificates: [k.certPem],
    });
    const client = createTokenClient({
      tokenUrl: fake.tokenUrl,
      clientId: 'd'.repeat(64),
      certificateId: k.certificateId,
      privateKey: k.keyPem,
      scopes: ['restlets'],
    });
    await client.getToken();
  });
  after(() => fake.close());

  it('accepts them only when told to (typ JWT, RS256)', async () => {
    const token = fake.issued.at(-1) ?? '';
    const base = { issuer: NETSUITE_ISSUER, jwksUrl: `${fake.origin}${KEYS_PATH}` };
    await refused(createTokenVerifier({ ...base, typ: 'JWT' }).verify(token), 'algorithm');
    await refused(createTokenVerifier({ ...base, algorithms: ['RS256'] }).verify(token), 'type');
    const t = await createTokenVerifier({
      ...base,
      typ: 'JWT',
      algorithms: ['PS256', 'RS256'],
    }).verify(token);
    assert.equal(t.roleId, 3);
    assert.equal(t.entityId, -5);
    assert.equal(t.clientId, 'd'.repeat(64));
    assert.equal(t.accountId, '123456');
    assert.deepEqual(t.scopes, ['restlets']);
  });
});
