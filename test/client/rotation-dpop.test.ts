/**
 * Certificate rotation for an integration that requires DPoP: rotateCertificate with `dpop`
 * gets bound tokens and calls the rotation API with `Authorization: DPoP` and proofs (without
 * `dpop` it is refused at the token endpoint); the token client's autoRotate uses the client's
 * own DPoP key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CredentialStore,
  createTokenClient,
  RotationError,
  rotateCertificate,
  type StoredCredential,
} from '../../src/client/index.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { freePort } from '../support/net.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

describe('certificate rotation with DPoP required', () => {
  let f: Fixture;
  let role: number;
  let entity: number;
  before(async () => {
    const port = await freePort();
    f = await tokenFixture(sqliteStores.open, {
      publicUrl: `http://127.0.0.1:${port}`,
      startAt: Date.now(),
    });
    await f.app.listen({ port, host: '127.0.0.1' });
    const deps = { store: f.store, clock: f.clock };
    const r = await createRole(deps, SYSTEM, {
      accountId: f.accountId,
      name: 'Rotator',
      permissions: ['oauth2_access_token_login', 'oauth2_manage_own_certificates'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'rotating svc' });
    await assignRole(deps, SYSTEM, { accountId: f.accountId, entityId: e.id, roleId: r.id });
    role = r.id;
    entity = e.id;
  });
  after(() => f.close());

  async function mapped(name: string) {
    const { integration } = await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.accountId,
      name,
      m2mGrant: true,
      scopes: ['restlets', 'rest_webservices'],
      dpop: 'required',
    });
    const cred = await f.newCredential('ES256', {
      clientId: integration.clientId,
      entityId: entity,
      roleId: role,
    });
    return { clientId: integration.clientId, cred };
  }

  it('rotateCertificate: refused without dpop, done with it', async () => {
    const m = await mapped('rotate');
    const base = {
      tokenUrl: f.tokenUrl,
      clientId: m.clientId,
      certificateId: m.cred.certificateId,
      privateKey: m.cred.privateKeyPem,
      role,
      entity,
      clock: f.clock,
      retry: { attempts: 1 },
    };
    await assert.rejects(
      rotateCertificate(base),
      (e: unknown) => e instanceof RotationError && e.step === 'authenticate',
    );
    assert.equal((await f.audit())[0]?.detail, 'DpopProofMissing');
    const rotated = await rotateCertificate({ ...base, dpop: true });
    assert.notEqual(rotated.certificateId, m.cred.certificateId);
    const mappings = await f.store.mappings.list(f.accountId);
    assert.notEqual(
      mappings.find((x) => x.certificateId === m.cred.certificateId)?.revokedAt,
      null,
      'the old certificate is revoked through the DPoP-protected rotation API',
    );
  });

  it("autoRotate rotates with the token client's DPoP key", async () => {
    const m = await mapped('auto');
    let saved: StoredCredential | null = null;
    const store: CredentialStore = {
      load: async () => saved,
      save: async (c) => {
        saved = c;
      },
    };
    const rotations: string[] = [];
    const errors: unknown[] = [];
    const client = createTokenClient({
      tokenUrl: f.tokenUrl,
      clientId: m.clientId,
      certificateId: m.cred.certificateId,
      privateKey: m.cred.privateKeyPem,
      scopes: ['restlets'],
      clock: f.clock,
      dpop: true,
      autoRotate: {
        // The fixture's certificates are valid for a year: due at once.
        before: '400d',
        store,
        role,
        entity,
        onRotate: (r) => rotations.push(r.certificateId),
        onError: (e) => errors.push(e),
      },
    });
    const t = await client.getTokenResponse();
    assert.deepEqual(errors, []);
    assert.equal(rotations.length, 1);
    assert.equal(client.certificateId, rotations[0]);
    assert.equal(t.token_type, 'DPoP');
  });
});
