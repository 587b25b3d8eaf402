import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import {
  type CreateMappingInput,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  listAudit,
  listMappings,
  revokeMapping,
  SYSTEM,
  updateRole,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { type CertKind, makeCert, validity } from '../support/openssl.ts';
import { refused, refusedOnCli } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  DAY,
  depsFor,
  entityActor,
  opensslCertificate,
  type Seed,
  seed,
  snapshot,
} from './fixtures.ts';

const input = (
  s: Seed,
  certificate: Buffer | string,
  extra: Partial<CreateMappingInput> = {},
): CreateMappingInput => ({
  accountId: s.accountId,
  clientId: s.clientId,
  entityId: s.entityId,
  roleId: s.roleId,
  certificate,
  ...extra,
});

describeEachStore('mapping use cases', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('maps an OpenSSL certificate, imports its data and audits the creation', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const cert = await makeCert('ec-p384');
    const m = await createMapping(
      deps,
      SYSTEM,
      input(s, cert.certBytes, { fileName: 'public.pem' }),
    );
    const expectedId = (await import('node:crypto'))
      .createHash('sha256')
      .update(new (await import('node:crypto')).X509Certificate(cert.certPem).raw)
      .digest('base64url');
    assert.equal(m.certificateId, expectedId);
    assert.deepEqual(
      [
        m.algorithm,
        m.curve,
        m.integrationId,
        m.entityId,
        m.roleId,
        m.createdAt,
        m.createdBy,
        m.revokedAt,
      ],
      ['EC', 'P-384', s.integrationId, s.entityId, s.roleId, deps.clock.now(), null, null],
    );
    const [view] = await listMappings(deps, SYSTEM, s.accountId);
    assert.deepEqual(
      [view?.certificateId, view?.status, view?.expiresSoon, view?.clientId],
      [m.certificateId, 'active', false, s.clientId],
    );
    const events = await listAudit(deps, SYSTEM, {
      accountId: s.accountId,
      type: 'mapping.create',
    });
    assert.deepEqual(
      events.map((e) => [e.type, e.result, e.clientId, e.certificateId, e.entityId, e.roleId]),
      [['mapping.create', 'success', s.clientId, m.certificateId, s.entityId, s.roleId]],
    );
    // DER upload (.cer) is accepted too.
    const der = await makeCert('der');
    const d = await createMapping(
      deps,
      SYSTEM,
      input(s, der.certBytes, { fileName: 'public.cer' }),
    );
    assert.equal(d.algorithm, 'EC');
  });

  it("maps every kind Oracle's commands make, DER too, and caps a 5-year certificate at 2 years", async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const accepted: Array<[CertKind, string, string | number]> = [
      ['ec-p256', 'EC', 'P-256'],
      ['ec-p521', 'EC', 'P-521'],
      ['rsa-4096-pss-sig', 'RSA', 4096],
      ['rsa-pss-4096', 'RSA', 4096],
      ['rsa-3072', 'RSA', 3072],
    ];
    for (const [kind, algorithm, size] of accepted) {
      const m = await createMapping(deps, SYSTEM, input(s, (await makeCert(kind)).certBytes));
      assert.deepEqual([m.algorithm, m.curve ?? m.keySize], [algorithm, size], kind);
      // At most five active: revoke each one once it has proved it maps.
      await revokeMapping(deps, SYSTEM, s.accountId, m.certificateId);
    }
    const five = await makeCert('five-year');
    const m = await createMapping(
      deps,
      SYSTEM,
      input(s, five.certBytes, { fileName: 'public.crt' }),
    );
    const stored = await store.mappings.get(m.certificateId);
    assert.equal(stored?.shortened, true);
    // The cap from OpenSSL's own reading of the certificate: its notBefore, two years on.
    const { notBefore } = await validity(five.certPath);
    assert.equal(stored?.validFrom, notBefore);
    const cap = new Date(notBefore);
    cap.setUTCFullYear(cap.getUTCFullYear() + 2);
    assert.equal(stored?.validUntil, cap.getTime());
  });

  it('refuses, in order, each precondition with its own code and changes nothing', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const other = await seed(deps, '654321');
    const { integration: noGrant } = await createIntegration(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'No grant',
    });
    const { integration: blocked } = await createIntegration(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'Blocked',
      m2mGrant: true,
      scopes: ['restlets'],
      state: 'blocked',
    });
    const inactive = await createEntity(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'Gone',
      active: false,
    });
    const offRole = await createRole(deps, SYSTEM, { accountId: s.accountId, name: 'Off' });
    await updateRole(deps, SYSTEM, s.accountId, offRole.id, { active: false });
    const unassigned = await createRole(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'Unassigned',
    });
    const cert = opensslCertificate();
    const before = await snapshot(store, [s.accountId, other.accountId]);

    const cases: Array<[Partial<CreateMappingInput>, string, RegExp?]> = [
      [{ accountId: '777' }, 'account.not_found'],
      [{ clientId: other.clientId }, 'integration.not_found', /no integration record/],
      [{ clientId: 'f'.repeat(64) }, 'integration.not_found', /no integration record/],
      [
        { clientId: noGrant.clientId },
        'mapping.no_m2m_grant',
        /check Client Credentials \(Machine to Machine\) Grant on the integration record/,
      ],
      [{ clientId: blocked.clientId }, 'mapping.integration_blocked', /is blocked/],
      [{ entityId: 999 }, 'entity.not_found'],
      [{ entityId: inactive.id }, 'mapping.entity_inactive', /is inactive/],
      [{ roleId: 4040 }, 'role.not_found'],
      [{ roleId: offRole.id }, 'mapping.role_inactive', /is inactive/],
      [
        { roleId: unassigned.id },
        'mapping.role_not_assigned',
        /certmint role assign --account 123456/,
      ],
      [{ fileName: 'public.txt' }, 'certificate.file_name'],
      [{ certificate: 'garbage' }, 'certificate.unreadable'],
      [{ certificate: cert.keyPem }, 'certificate.private_key'],
    ];
    for (const [patch, code, message] of cases) {
      await assert.rejects(
        createMapping(deps, SYSTEM, input(s, cert.pem, patch)),
        // What the CLI prints: the message, then its command hint.
        message ? refusedOnCli(code, message) : refused(code),
      );
    }
    // Order: the grant is checked before the state, and the entity before the role.
    // Set up through the store: an update through the service would add an audit record.
    const noGrantBlocked = await store.integrations.update(s.accountId, noGrant.id, {
      state: 'blocked',
    });
    assert.ok(noGrantBlocked);
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, cert.pem, { clientId: noGrantBlocked.clientId })),
      refused('mapping.no_m2m_grant'),
    );
    await assert.rejects(
      createMapping(
        deps,
        SYSTEM,
        input(s, cert.pem, { entityId: inactive.id, roleId: unassigned.id }),
      ),
      refused('mapping.entity_inactive'),
    );
    // Another account's client id gets the very message of an unknown one (no probing).
    const msg = async (clientId: string) =>
      createMapping(deps, SYSTEM, input(s, cert.pem, { clientId })).catch((e: Error) =>
        e.message.replace(clientId, '<id>'),
      );
    assert.equal(await msg(other.clientId), await msg('f'.repeat(64)));
    // Missing permission.
    await assert.rejects(
      createMapping(
        deps,
        entityActor(s.accountId, ['integration_application', 'oauth2_manage_own_certificates']),
        input(s, cert.pem),
      ),
      refused('permission.missing', /oauth2_authorized_apps_management/),
    );
    await assert.rejects(
      createMapping(deps, entityActor(other.accountId, [], 3), input(s, cert.pem)),
      refused('permission.other_account'),
    );
    await store.integrations.update(s.accountId, noGrant.id, { state: 'enabled' });
    assert.deepEqual(await snapshot(store, [s.accountId, other.accountId]), before);
    // And the certificate was not consumed: it maps fine now.
    const ok = await createMapping(
      deps,
      entityActor(s.accountId, ['oauth2_authorized_apps_management']),
      input(s, cert.pem),
    );
    assert.equal(ok.createdBy, 1);
  });

  it('refuses certificates the policy forbids, changing nothing', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const before = await snapshot(store, [s.accountId]);
    const kinds: Array<[CertKind, string]> = [
      ['csr', 'certificate.csr'],
      ['two-certs', 'certificate.chain'],
      ['ec-explicit', 'certificate.ec_explicit_parameters'],
      ['secp256k1', 'certificate.ec_curve'],
      ['ed25519', 'certificate.eddsa_key'],
      ['rsa-2048', 'certificate.rsa_key_size'],
    ];
    for (const [kind, code] of kinds) {
      const m = await makeCert(kind);
      await assert.rejects(createMapping(deps, SYSTEM, input(s, m.certBytes)), refused(code));
    }
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, Buffer.alloc(64 * 1024 + 1, 0x41))),
      refused('certificate.too_large'),
    );
    // Expired: the clock moves past the one-day certificate's end.
    const expired = await makeCert('expired');
    deps.clock.advance(3 * DAY);
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, expired.certBytes)),
      refused('certificate.expired'),
    );
    assert.deepEqual(await snapshot(store, [s.accountId]), before);
  });

  it('never maps a certificate or public key twice, not even after revocation, in any account', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const other = await seed(deps, '654321');
    const cert = opensslCertificate();
    const m = await createMapping(deps, SYSTEM, input(s, cert.pem));
    const before = await snapshot(store, [s.accountId, other.accountId]);
    const again = refused(
      'mapping.certificate_taken',
      /certificates can never be reused, even after revocation/,
    );
    await assert.rejects(createMapping(deps, SYSTEM, input(s, cert.pem)), again);
    await assert.rejects(createMapping(deps, SYSTEM, input(other, cert.der)), again);
    const sameKey = opensslCertificate({ keyPem: cert.keyPem });
    await assert.rejects(
      createMapping(deps, SYSTEM, input(other, sameKey.pem)),
      refused('mapping.key_taken', /public key already belongs to another mapping/),
    );
    assert.deepEqual(await snapshot(store, [s.accountId, other.accountId]), before);
    await revokeMapping(deps, SYSTEM, s.accountId, m.certificateId);
    await assert.rejects(createMapping(deps, SYSTEM, input(s, cert.pem)), again);
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, sameKey.pem)),
      refused('mapping.key_taken'),
    );
  });

  it('allows 5 active certificates per integration; revoked and expired ones do not count', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const short = opensslCertificate({ days: 30 });
    const first = await createMapping(deps, SYSTEM, input(s, short.pem));
    const rest = [];
    for (let i = 1; i < 5; i++) {
      rest.push(await createMapping(deps, SYSTEM, input(s, opensslCertificate().pem)));
    }
    const sixth = opensslCertificate();
    const before = await snapshot(store, [s.accountId]);
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, sixth.pem)),
      refused('mapping.limit_reached', /already has 5 active certificates/),
    );
    assert.deepEqual(await snapshot(store, [s.accountId]), before);
    // Another integration of the same account is not affected.
    const { integration: second } = await createIntegration(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'Second',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    await createMapping(
      deps,
      SYSTEM,
      input(s, opensslCertificate().pem, { clientId: second.clientId }),
    );
    // Revoking one frees a slot.
    await revokeMapping(deps, SYSTEM, s.accountId, rest[0]?.certificateId ?? '');
    await createMapping(deps, SYSTEM, input(s, sixth.pem));
    await assert.rejects(
      createMapping(deps, SYSTEM, input(s, opensslCertificate().pem)),
      refused('mapping.limit_reached'),
    );
    // The 30-day certificate expiring frees another.
    deps.clock.advance(31 * DAY);
    const views = await listMappings(deps, SYSTEM, s.accountId);
    assert.equal(views.find((v) => v.certificateId === first.certificateId)?.status, 'expired');
    await createMapping(deps, SYSTEM, input(s, opensslCertificate({ days: 400 }).pem));
  });

  it('revokes irreversibly, once, only in its own account, and audits it', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const other = await seed(deps, '654321');
    const m = await createMapping(deps, SYSTEM, input(s, opensslCertificate().pem));
    const before = await snapshot(store, [s.accountId, other.accountId]);
    await assert.rejects(
      revokeMapping(deps, SYSTEM, other.accountId, m.certificateId),
      refused('mapping.not_found'),
    );
    await assert.rejects(
      revokeMapping(deps, SYSTEM, s.accountId, 'nope'),
      refusedOnCli('mapping.not_found', /certmint mapping list/),
    );
    await assert.rejects(
      revokeMapping(
        deps,
        entityActor(s.accountId, ['integration_application']),
        s.accountId,
        m.certificateId,
      ),
      refused('permission.missing'),
    );
    assert.deepEqual(await snapshot(store, [s.accountId, other.accountId]), before);
    deps.clock.advance(5000);
    const r = await revokeMapping(
      deps,
      entityActor(s.accountId, [], 3),
      s.accountId,
      m.certificateId,
    );
    assert.deepEqual([r.revokedAt, r.revokedBy], [deps.clock.now(), 1]);
    const afterRevoke = await snapshot(store, [s.accountId]);
    await assert.rejects(
      revokeMapping(deps, SYSTEM, s.accountId, m.certificateId),
      refused('mapping.already_revoked', /already revoked \(revocation is irreversible\)/),
    );
    assert.deepEqual(await snapshot(store, [s.accountId]), afterRevoke);
    const [view] = await listMappings(deps, SYSTEM, s.accountId);
    assert.deepEqual(
      [view?.status, view?.expiresSoon, view?.revokedAt],
      ['revoked', false, deps.clock.now()],
    );
    const events = await listAudit(deps, SYSTEM, {
      accountId: s.accountId,
      type: 'mapping.revoke',
    });
    assert.deepEqual(
      events.map((e) => [e.result, e.certificateId, e.clientId, e.actor]),
      [['success', m.certificateId, s.clientId, 1]],
    );
  });

  it('reports status and expiresSoon (< 60 days left)', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const soon = await createMapping(deps, SYSTEM, input(s, opensslCertificate({ days: 59 }).pem));
    const later = await createMapping(deps, SYSTEM, input(s, opensslCertificate({ days: 61 }).pem));
    // Measure from the certificates' own start (OpenSSL stamps it with the real time).
    deps.clock.set(Math.max(soon.validFrom, later.validFrom));
    const status = async () =>
      Object.fromEntries(
        (await listMappings(deps, SYSTEM, s.accountId)).map((v) => [
          v.certificateId,
          [v.status, v.expiresSoon],
        ]),
      );
    assert.deepEqual(await status(), {
      [soon.certificateId]: ['active', true],
      [later.certificateId]: ['active', false],
    });
    deps.clock.advance(2 * DAY);
    assert.deepEqual((await status())[later.certificateId], ['active', true]);
    deps.clock.advance(58 * DAY);
    assert.deepEqual(await status(), {
      [soon.certificateId]: ['expired', false],
      [later.certificateId]: ['active', true],
    });
    // Before its notBefore a mapped certificate is not yet valid.
    deps.clock.advance(-62 * DAY);
    assert.deepEqual((await status())[soon.certificateId], ['not_yet_valid', false]);
  });
});
