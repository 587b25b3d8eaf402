/**
 * What the CLI explains: `mapping create` prints the mapping's warnings on stderr (and in
 * `--json` as `warnings`) although it succeeds; `audit list --explain` adds what each event
 * means and what to do, and `--json` always carries it as `description` — the same text as the
 * console and docs/http.md (domain/audit-explanations.ts).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { DETAIL_EXPLANATIONS, describeAuditEvent } from '../../src/domain/audit-explanations.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { cli, cliJson, emptyStore, tempDir } from './support.ts';

const A = '123456';

describe('certmint explains (CLI)', () => {
  let dir = '';
  let db: string[] = [];
  let clientId = '';
  let entityId = 0;
  let reportsId = 0;

  before(async () => {
    dir = tempDir();
    const path = await emptyStore(join(dir, 'certmint.db'));
    db = ['--db', path];
    const store = await openStore(path);
    try {
      const deps = { store, clock: { now: () => Date.now() } };
      await createAccount(deps, SYSTEM, { id: A });
      entityId = (await createEntity(deps, SYSTEM, { accountId: A, name: 'svc' })).id;
      reportsId = (
        await createRole(deps, SYSTEM, { accountId: A, name: 'Reports', permissions: [] })
      ).id;
      await assignRole(deps, SYSTEM, { accountId: A, entityId, roleId: reportsId });
      clientId = (
        await createIntegration(deps, SYSTEM, {
          accountId: A,
          name: 'Orders',
          m2mGrant: true,
          scopes: ['restlets'],
        })
      ).integration.clientId;
      await store.audit.append([
        {
          at: Date.now(),
          accountId: A,
          type: 'token',
          result: 'failure',
          detail: 'SignatureValidation',
          clientId,
          certificateId: null,
          entityId,
          roleId: reportsId,
          remoteAddress: '192.0.2.9',
          actor: null,
        },
      ]);
    } finally {
      await store.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const certificateFile = async (name: string): Promise<string> => {
    const c = await generateCertificate({ alg: 'ES256', now: Date.now() });
    const file = join(dir, name);
    writeFileSync(file, c.certificatePem);
    return file;
  };
  const create = async (json: boolean, file: string) =>
    cli([
      ...(json ? ['--json'] : []),
      ...db,
      'mapping',
      'create',
      '--account',
      A,
      '--integration',
      clientId,
      '--entity',
      String(entityId),
      '--role',
      String(reportsId),
      '--certificate',
      file,
    ]);

  it('warns on stderr, and in the JSON, when the role cannot log in with access tokens', async () => {
    const warning = `The role Reports (id ${reportsId}) lacks "Log in using OAuth 2.0 Access Tokens": token requests with this certificate fail until the permission is added to the role`;
    const text = await create(false, await certificateFile('a.pem'));
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr, `certmint: warning: ${warning}\n`);
    assert.match(text.stdout, /^mapped certificate /);
    const json = await create(true, await certificateFile('b.pem'));
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, `certmint: warning: ${warning}\n`);
    const mapped = JSON.parse(json.stdout) as { warnings: unknown };
    assert.deepEqual(mapped.warnings, [{ code: 'mapping.role_cannot_log_in', message: warning }]);
  });

  it('audit list: --explain adds the explanation; --json always has it as description', async () => {
    const plain = await cli([...db, 'audit', 'list', '--account', A, '--result', 'failure']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /EXPLANATION/);
    const explained = await cli([
      ...db,
      'audit',
      'list',
      '--account',
      A,
      '--result',
      'failure',
      '--explain',
    ]);
    assert.equal(explained.code, 0, explained.stderr);
    const [header, row] = explained.stdout.split('\n');
    assert.match(header ?? '', /DETAIL .* EXPLANATION$/);
    const x = DETAIL_EXPLANATIONS.SignatureValidation;
    assert.ok(row?.endsWith(`${x.meaning} ${x.action}`), row);

    const events = await cliJson<Array<AuditEvent & { description: string }>>([
      ...db,
      'audit',
      'list',
      '--account',
      A,
    ]);
    assert.ok(events.length >= 3);
    for (const e of events) assert.equal(e.description, describeAuditEvent(e));
    const mapping = events.find((e) => e.type === 'mapping.create');
    assert.equal(
      mapping?.description,
      'A certificate was mapped to an integration, entity and role.',
    );
  });
});
