/**
 * `certmint notices run|list` and `certmint cert expiring` on a real SQLite store, with the real
 * clock: a certificate mapped 80 days ago for 90 days has 10 days left.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { assertMistake, cli, cliJson, tempDir } from './support.ts';

const DAY = 86_400_000;
const ACCOUNT = 'TSTDRV5500001';

describe('certmint notices and cert expiring', () => {
  let dir: string;
  let db: string;
  let certificateId: string;
  let smtp: SmtpSink;
  before(async () => {
    dir = tempDir();
    db = join(dir, 'certmint.db');
    const mappedAt = Math.floor(Date.now() / 1000) * 1000 - 80 * DAY;
    const store = await openStore(db);
    const deps = { store, clock: new FixedClock(mappedAt) };
    await createAccount(deps, SYSTEM, { id: ACCOUNT });
    const admin = await createEntity(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'Admin',
      email: 'admin@example.com',
    });
    await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: admin.id, roleId: 3 });
    const role = await createRole(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'M2M',
      permissions: ['oauth2_access_token_login'],
    });
    await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: admin.id, roleId: role.id });
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'Nightly',
      m2mGrant: true,
      scopes: ['rest_webservices'],
    });
    const g = await generateCertificate({ alg: 'ES256', now: mappedAt, days: 90 });
    certificateId = (
      await createMapping(deps, SYSTEM, {
        accountId: ACCOUNT,
        clientId: integration.clientId,
        entityId: admin.id,
        roleId: role.id,
        certificate: g.certificatePem,
      })
    ).certificateId;
    await store.close();
    smtp = await SmtpSink.start();
  });
  after(async () => {
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cert expiring: lists what expires within the window and exits 1', async () => {
    const r = await cli(['--db', db, 'cert', 'expiring', '--within', '30d']);
    assertMistake(
      r,
      1,
      /1 active certificate\(s\) expire within 30d: rotate them with "certmint cert rotate"/,
    );
    assert.match(
      r.stdout,
      new RegExp(
        `${ACCOUNT}\\s+${certificateId.replace(/[-]/g, '\\-')}\\s+Nightly\\s+Admin\\s+M2M`,
      ),
    );
    const json = await cli([
      '--db',
      db,
      '--json',
      'cert',
      'expiring',
      '--within',
      '12d',
      '--account',
      ACCOUNT,
    ]);
    assert.equal(json.code, 1);
    const [c] = JSON.parse(json.stdout) as Array<{
      certificateId: string;
      daysLeft: number;
      status: string;
    }>;
    assert.equal(c?.certificateId, certificateId);
    assert.equal(c?.daysLeft, 10);
    assert.equal(c?.status, 'active');
  });

  it('cert expiring: nothing within the window is success', async () => {
    const r = await cli(['--db', db, 'cert', 'expiring', '--within', '9d']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '(none)');
    assert.deepEqual(await cliJson(['--db', db, 'cert', 'expiring', '--within', '200h']), []);
  });

  it('cert expiring: a bad window or account changes nothing and says why', async () => {
    assertMistake(
      await cli(['--db', db, 'cert', 'expiring', '--within', '3 weeks']),
      1,
      /--within is a whole number of days or hours, e\.g\. 30d or 12h/,
    );
    assertMistake(
      await cli(['--db', db, 'cert', 'expiring', '--within', '30d', '--account', 'TSTDRV9']),
      1,
      /TSTDRV9/,
    );
  });

  it('notices run: sends the due notice once; list shows it', async () => {
    const env = {
      CERTMINT_SMTP_URL: smtp.url,
      CERTMINT_SMTP_FROM: 'certmint@example.com',
      CERTMINT_PUBLIC_URL: 'https://auth.example.com',
    };
    const r = await cli(['--db', db, 'notices', 'run'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${ACCOUNT}\\s+14\\s+email\\s+1\\s+sent`));
    assert.equal(smtp.messages.length, 1);
    assert.deepEqual(smtp.messages[0]?.to, ['admin@example.com']);
    // The command in the message points at the server clients use.
    assert.match(
      smtp.messages[0]?.text ?? '',
      new RegExp(
        `--token-url https://auth\\.example\\.com/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token `,
      ),
    );
    const again = await cli(['--db', db, 'notices', 'run'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^no notice due at /);
    assert.equal(smtp.messages.length, 1);
    const list = await cliJson<Array<{ status: string; thresholdDays: number; channel: string }>>([
      '--db',
      db,
      'notices',
      'list',
      '--account',
      ACCOUNT,
    ]);
    assert.deepEqual(
      list.filter((d) => d.channel === 'email').map((d) => [d.thresholdDays, d.status]),
      [[14, 'sent']],
    );
  });

  it('notices run: a delivery that did not go out exits 1', async () => {
    const secret = join(dir, 'hook.secret');
    writeFileSync(secret, 'a-webhook-secret-0123456789\n');
    // Nothing listens on port 9 (discard): the POST fails and is left for a retry.
    const r = await cli([
      '--db',
      db,
      'notices',
      'run',
      '--notice-webhook-url',
      'http://127.0.0.1:9/hook',
      '--notice-webhook-secret-file',
      secret,
    ]);
    assertMistake(r, 1, /1 notice delivery\(ies\) did not go out: webhook POST failed/);
    assert.match(r.stdout, /14\s+webhook\s+1\s+retry/);
  });

  it('notices run: refuses a half-configured channel before opening anything', async () => {
    assertMistake(
      await cli(['--db', db, 'notices', 'run']),
      1,
      /no channel for notices: set --smtp-url and --smtp-from/,
    );
    assertMistake(
      await cli(['--db', db, 'notices', 'run', '--smtp-url', smtp.url]),
      1,
      /email notices need a sender: set --smtp-from or CERTMINT_SMTP_FROM/,
    );
    assertMistake(
      await cli(['--db', db, 'notices', 'run'], {
        env: { CERTMINT_NOTICE_WEBHOOK_URL: 'https://hooks.example.com/x' },
      }),
      1,
      /webhook notices are signed: set --notice-webhook-secret-file or CERTMINT_NOTICE_WEBHOOK_SECRET/,
    );
    assertMistake(
      await cli(['--db', db, 'notices', 'run', '--notice-days', '60,soon'], {
        env: { CERTMINT_SMTP_URL: smtp.url, CERTMINT_SMTP_FROM: 'c@example.com' },
      }),
      1,
      /comma-separated whole days/,
    );
  });
});
