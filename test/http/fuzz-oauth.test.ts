/**
 * Property-based fuzzing of the token, introspection and revocation endpoints: arbitrary bodies
 * and content types, forms with repeated and unknown parameters, and assertions from garbage to
 * correctly signed ones with hostile claims and headers. For every input: never a 5xx, and the
 * answer is either a success of the documented shape or an RFC 6749 §5.2 error body, never
 * cached. Settings: test/support/fuzz.ts (fixed seed; CERTMINT_FUZZ_RUNS for a longer run).
 */
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { fuzzParameters, OAUTH_ERROR_CODES } from '../support/fuzz.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, nowS, tokenFixture } from '../support/token-fixture.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OAUTH = '/services/rest/auth/oauth2/v1';
const b64 = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

type Endpoint = 'token' | 'introspect' | 'revoke';

/** What one fuzzed request is made of; the assertion is signed when the request is sent. */
interface Input {
  endpoint: Endpoint;
  contentType: string | null;
  body: { kind: 'raw'; text: string } | { kind: 'form'; pairs: Array<[string, Value]> };
}

type Value =
  | { kind: 'text'; text: string }
  | { kind: 'unsigned'; header: unknown; claims: unknown; signature: string }
  | {
      kind: 'signed';
      claims: Record<string, unknown>;
      header: Record<string, unknown>;
      /** Signed, then its claims replaced: the signature no longer matches. */
      tampered?: boolean;
    };

describe('fuzzing the OAuth endpoints', () => {
  let f: Fixture;
  let goodToken = '';
  let signingKey: KeyObject;
  before(async () => {
    f = await tokenFixture(sqliteStores.open, {
      rateLimits: { perClientPerMinute: 0, perAddressPerMinute: 0 },
    });
    signingKey = createPrivateKey(f.cred.privateKeyPem);
    goodToken = (await f.token(await f.sign())).json().access_token as string;
  });
  after(async () => {
    await f.close();
  });

  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('client_credentials', JWT_BEARER, 'restlets', 'rest_webservices', ''),
  );
  const claimValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.integer({ min: -5, max: 4000 }).map((d) => ({ offset: d })),
  );
  /** Mostly the good value; else absent or something hostile. */
  const near = <T>(good: fc.Arbitrary<T>) =>
    fc.oneof(
      { weight: 6, arbitrary: good },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: claimValue },
    );
  /** Claims near the good ones: each may be kept, dropped or replaced by something hostile. */
  const claims = fc.record({
    iss: near(fc.constant('$client')),
    aud: fc.oneof(
      near(fc.constantFrom('$token', '$issuer', '$introspect', '$revoke')),
      fc.constant(['$token', 'https://attacker.invalid']),
    ),
    iat: near(fc.constant({ offset: 55 })),
    exp: near(fc.integer({ min: 60, max: 3600 }).map((d) => ({ offset: d }))),
    nbf: fc.option(claimValue, { freq: 3 }),
    jti: near(fc.uuid()),
    scope: near(
      fc.constantFrom('restlets', 'restlets,rest_webservices', 'restlets rest_webservices'),
    ),
  });
  const header = fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    fc.record(
      {
        kid: fc.oneof({ weight: 6, arbitrary: fc.constant('$kid') }, fc.string({ maxLength: 50 })),
        typ: fc.string({ maxLength: 10 }),
        crit: fc.constant(['exp']),
        jwk: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  );
  const value: fc.Arbitrary<Value> = fc.oneof(
    text.map((t) => ({ kind: 'text' as const, text: t })),
    fc
      .record({
        header: fc.oneof(
          fc.constantFrom({ alg: 'none' }, { alg: 'HS256' }, { alg: 'ES256', kid: '$kid' }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        claims: fc.jsonValue({ maxDepth: 2 }),
        signature: fc.oneof(fc.constant(''), fc.base64String({ maxLength: 40 })),
      })
      .map((v) => ({ kind: 'unsigned' as const, ...v })),
    fc
      .record({ claims, header, tampered: fc.boolean() })
      .map((v) => ({ kind: 'signed' as const, ...v })),
  );
  const key = fc.oneof(
    fc.constantFrom(
      'grant_type',
      'client_assertion_type',
      'client_assertion',
      'scope',
      'token',
      'token_type_hint',
      'client_id',
    ),
    fc.string({ maxLength: 20 }),
  );
  /** A form that is mostly right: the usual parameters, then some fuzzed ones. */
  const all = ['grant_type', 'client_assertion_type', 'client_assertion', 'token'];
  const pairs = fc
    .tuple(
      fc.oneof({ weight: 3, arbitrary: fc.constant(all) }, fc.subarray(all)),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([]) },
        fc.array(fc.tuple(key, value), { maxLength: 5 }),
      ),
      fc.oneof({ weight: 3, arbitrary: fc.record({ claims, header: fc.constant({}) }) }, value),
    )
    .map(([usual, extra, assertion]) => {
      const base: Array<[string, Value]> = usual.map((k) => [
        k,
        k === 'client_assertion'
          ? 'kind' in assertion
            ? assertion
            : { kind: 'signed', ...assertion }
          : {
              kind: 'text',
              text:
                k === 'grant_type' ? 'client_credentials' : k === 'token' ? '$token' : JWT_BEARER,
            },
      ]);
      return [...base, ...extra];
    });
  const input: fc.Arbitrary<Input> = fc.record({
    endpoint: fc.constantFrom<Endpoint>('token', 'introspect', 'revoke'),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/x-www-form-urlencoded') },
      fc.constantFrom(
        null,
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded; charset=utf-8',
        'multipart/form-data; boundary=x',
      ),
    ),
    body: fc.oneof(
      { weight: 4, arbitrary: pairs.map((p) => ({ kind: 'form' as const, pairs: p })) },
      fc.string({ unit: 'binary', maxLength: 200 }).map((t) => ({ kind: 'raw' as const, text: t })),
    ),
  });

  /** `$…` placeholders become the fixture's real values. */
  function resolve(v: unknown): unknown {
    const now = nowS(f.clock);
    const named: Record<string, string> = {
      $client: f.clientId,
      $kid: f.cred.certificateId,
      $token: f.tokenUrl,
      $issuer: f.issuer,
      $introspect: `${f.issuer}${OAUTH}/introspect`,
      $revoke: `${f.issuer}${OAUTH}/revoke`,
    };
    if (typeof v === 'string') return named[v] ?? v;
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object' && 'offset' in v && Object.keys(v).length === 1) {
      return now + Number((v as { offset: number }).offset) - 60;
    }
    return v;
  }

  async function valueText(v: Value): Promise<string> {
    if (v.kind === 'text') return v.text === '$token' ? goodToken : v.text;
    if (v.kind === 'unsigned') return `${b64(resolve(v.header))}.${b64(v.claims)}.${v.signature}`;
    const claims = Object.fromEntries(
      ['iss', 'aud', 'iat', 'exp', 'nbf', 'jti', 'scope']
        .filter((k) => v.claims[k] !== undefined && v.claims[k] !== null)
        .map((k) => [k, resolve(v.claims[k])]),
    );
    const header = {
      alg: 'ES256',
      kid: f.cred.certificateId,
      ...Object.fromEntries(Object.entries(v.header).map(([k, x]) => [k, resolve(x)])),
    };
    // Signed here rather than with jose, which refuses to sign many of these headers.
    const input = `${b64(header)}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(input), {
      key: signingKey,
      dsaEncoding: 'ieee-p1363',
    });
    const payload = v.tampered ? b64({ ...claims, scope: 'rest_webservices' }) : b64(claims);
    return `${b64(header)}.${payload}.${signature.toString('base64url')}`;
  }

  async function send(i: Input): Promise<LightMyRequestResponse> {
    let payload: string;
    if (i.body.kind === 'raw') payload = i.body.text;
    else {
      const form = new URLSearchParams();
      for (const [k, v] of i.body.pairs) form.append(k, await valueText(v));
      payload = form.toString();
    }
    return f.app.inject({
      method: 'POST',
      url: `/accounts/${f.accountId}${OAUTH}/${i.endpoint}`,
      headers: i.contentType === null ? {} : { 'content-type': i.contentType },
      payload,
    });
  }

  function assertWellFormed(i: Input, res: LightMyRequestResponse): void {
    const what = `${i.endpoint} → ${res.statusCode} ${res.body.slice(0, 200)}`;
    assert.ok(res.statusCode < 500, what);
    assert.equal(res.headers['cache-control'], 'no-store', what);
    if (res.statusCode === 200) {
      if (i.endpoint === 'revoke') assert.equal(res.body, '', what);
      else if (i.endpoint === 'introspect') assert.equal(typeof res.json().active, 'boolean', what);
      else
        assert.deepEqual(Object.keys(res.json()).sort(), [
          'access_token',
          'expires_in',
          'token_type',
        ]);
      return;
    }
    const body = res.json() as Record<string, unknown>;
    assert.ok((OAUTH_ERROR_CODES as readonly unknown[]).includes(body.error), what);
    for (const k of Object.keys(body)) assert.ok(k === 'error' || k === 'error_description', what);
    if ('error_description' in body) assert.equal(typeof body.error_description, 'string', what);
  }

  it('never a 5xx; always a documented success or an RFC 6749 error body', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const res = await send(i);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        assertWellFormed(i, res);
      }),
      fuzzParameters(600),
    );
    const details = new Set(
      (await f.store.audit.list({ accountId: f.accountId, limit: 1000 })).map((e) => e.detail),
    );
    // The generator reaches past the parser: successes and each kind of refusal occur.
    for (const status of [200, 400, 401]) {
      assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${[...statuses]}`);
    }
    // …and the checks well past the signature are reached too.
    for (const detail of ['SignatureValidation', 'InvalidAudience', 'TokenExpired', null]) {
      assert.ok(details.has(detail), `${detail} among ${[...details].join()}`);
    }
  });
});
