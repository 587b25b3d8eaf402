/**
 * The SDK, the verifier and `certmint token` against a running certmint (buildApp listening on
 * a real socket, real store), for all six assertion algorithms, with OpenSSL-made certificates.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { tokenCommand } from '../../src/cli/commands/token.ts';
import {
  type AssertionAlg,
  createTokenClient,
  createTokenVerifier,
  TokenRequestError,
} from '../../src/client/index.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/net.ts';
import { describeEachStore } from '../support/stores.ts';
import { type KeyKind, testKey } from './support/keys.ts';

const ACCOUNT = 'TSTDRV9000001';
const CASES: { alg: AssertionAlg; kind: KeyKind }[] = [
  { alg: 'ES256', kind: 'ES256' },
  { alg: 'ES384', kind: 'ES384' },
  { alg: 'ES512', kind: 'ES512' },
  { alg: 'PS256', kind: 'RSAPSS3072' },
  { alg: 'PS384', kind: 'RSA3072' },
  { alg: 'PS512', kind: 'RSA3072' },
];

describeEachStore('client SDK end to end against a running certmint', (f) => {
  let store: Store;
  let app: FastifyInstance;
  let issuer = '';
  let tokenUrl = '';
  let entityId = 0;
  let roleId = 0;
  const creds = new Map<
    KeyKind,
    { clientId: string; certificateId: string; keyPem: string; keyPath: string }
  >();

  before(async () => {
    store = await f.open();
    const deps = { store, clock: { now: () => Date.now() } };
    await createAccount(deps, SYSTEM, { id: ACCOUNT });
    const role = await createRole(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'M2M',
      permissions: ['oauth2_access_token_login'],
    });
    const entity = await createEntity(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'svc',
      email: 'svc@example.com',
    });
    await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: entity.id, roleId: role.id });
    entityId = entity.id;
    roleId = role.id;
    // Two integrations: at most five active certificates each (NetSuite 2026.1).
    const kinds: KeyKind[][] = [
      ['ES256', 'ES384', 'ES512'],
      ['RSA3072', 'RSAPSS3072'],
    ];
    for (const [i, group] of kinds.entries()) {
      const { integration } = await createIntegration(deps, SYSTEM, {
        accountId: ACCOUNT,
        name: `App ${i}`,
        m2mGrant: true,
        scopes: ['restlets', 'rest_webservices'],
      });
      for (const kind of group) {
        const k = await testKey(kind);
        const m = await createMapping(deps, SYSTEM, {
          accountId: ACCOUNT,
          clientId: integration.clientId,
          entityId: entity.id,
          roleId: role.id,
          certificate: k.certPem,
        });
        assert.equal(m.certificateId, k.certificateId, 'NetSuite certificate id format');
        creds.set(kind, {
          clientId: integration.clientId,
          certificateId: m.certificateId,
          keyPem: k.keyPem,
          keyPath: k.keyPath,
        });
      }
    }
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    ({ app } = await testApp({ store, secret: 'e2e-secret-0123456789abcdef', publicUrl }));
    await app.listen({ port, host: '127.0.0.1' });
    issuer = `${publicUrl}/accounts/${ACCOUNT}`;
    tokenUrl = `${issuer}/services/rest/auth/oauth2/v1/token`;
  });

  after(async () => {
    await app?.close();
    await store?.close();
  });

  const clientFor = (alg: AssertionAlg, kind: KeyKind) => {
    const c = creds.get(kind);
    assert.ok(c);
    return createTokenClient({
      tokenUrl,
      clientId: c.clientId,
      certificateId: c.certificateId,
      privateKey: c.keyPem,
      alg,
      scopes: ['restlets', 'rest_webservices'],
    });
  };

  for (const { alg, kind } of CASES) {
    it(`${alg}: gets a token, verifies it, and calls whoami with it`, async () => {
      const client = clientFor(alg, kind);
      assert.equal(client.alg, alg);
      const response = await client.getTokenResponse();
      assert.equal(response.token_type, 'Bearer');
      assert.equal(response.expires_in, 3600);

      const verified = await createTokenVerifier({
        issuer,
        requiredScopes: ['rest_webservices'],
      }).verify(response.access_token);
      assert.equal(verified.roleId, roleId);
      assert.equal(verified.entityId, entityId);
      assert.equal(verified.clientId, creds.get(kind)?.clientId);
      assert.equal(verified.accountId, ACCOUNT);
      assert.deepEqual(verified.scopes, ['restlets', 'rest_webservices']);
      assert.equal(verified.exp - verified.iat, 3600);

      const res = await client.fetch(`${issuer}/services/rest/whoami`);
      assert.equal(res.status, 200);
      const who = (await res.json()) as { account: string; entity: { id: number } };
      assert.equal(who.account, ACCOUNT);
      assert.equal(who.entity.id, entityId);
    });
  }

  it('surfaces a refused assertion as invalid_client with the audit-trail hint', async () => {
    const c = creds.get('ES256');
    assert.ok(c);
    const err = await createTokenClient({
      tokenUrl,
      clientId: c.clientId,
      certificateId: creds.get('ES384')?.certificateId ?? '',
      privateKey: c.keyPem,
      scopes: ['restlets'],
    })
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.error, 'invalid_client');
    assert.equal(err.status, 401);
    assert.equal(err.attempts, 1);
    assert.equal(err.hint, `see \`certmint audit list --account ${ACCOUNT}\``);
  });

  it('`certmint token --decode` prints a token certmint issued', async () => {
    const c = creds.get('ES512');
    assert.ok(c);
    const lines: string[] = [];
    const program = new Command('certmint')
      .option('--json')
      .option('--db <p>')
      .exitOverride()
      .addCommand(tokenCommand((t) => lines.push(t)).exitOverride());
    await program.parseAsync(
      [
        '--json',
        'token',
        '--token-url',
        tokenUrl,
        '--client-id',
        c.clientId,
        '--certificate-id',
        c.certificateId,
        '--key',
        c.keyPath,
        '--scope',
        'rest_webservices',
        '--decode',
      ],
      { from: 'user' },
    );
    const out = JSON.parse(lines[0] ?? '') as {
      access_token: string;
      decoded: { header: { typ: string }; claims: { iss: string; sub: string; scope: string[] } };
    };
    assert.equal(out.decoded.header.typ, 'at+jwt');
    assert.equal(out.decoded.claims.iss, issuer);
    assert.equal(out.decoded.claims.sub, `${roleId};${entityId}`);
    assert.deepEqual(out.decoded.claims.scope, ['rest_webservices']);
  });
});
