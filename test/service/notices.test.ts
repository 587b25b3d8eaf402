/**
 * Expiry notices end to end on every store: a frozen clock stepping across each threshold, a
 * real SMTP server receiving exactly one message per threshold per mapping, a webhook receiver
 * checking the signature, retries with backoff, giving up, cancellation, and the audit trail.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { noticeRetryDelay } from '../../src/domain/notices.ts';
import { revokeMapping, type Services, SYSTEM } from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import { ACCOUNT, DAY, labels, noticeWorld, PUBLIC_URL, type World } from './notices-support.ts';

describeEachStore('service: certificate expiry notices', (f) => {
  let store: Store;
  let w: World;
  let node: Services;
  beforeEach(async () => {
    store = await f.open();
    w = await noticeWorld(store);
  });
  afterEach(async () => {
    await w.close();
    await store.close();
  });
  const until = () => (w.mappings[0] as { validUntil: number }).validUntil;
  const at = (daysBefore: number, extraMs = 0) => w.clock.set(until() - daysBefore * DAY + extraMs);

  it('one email and one webhook per threshold, at 60, 30 and 14 days, never again', async () => {
    node = w.node(store);
    const m = w.mappings[0];
    assert.ok(m);
    const sent: string[][] = [];
    for (const [daysBefore, expected] of [
      [61, []],
      [60, ['60/email/sent', '60/webhook/sent']],
      [59, []],
      [31, []],
      [30, ['30/email/sent', '30/webhook/sent']],
      [15, []],
      [14, ['14/email/sent', '14/webhook/sent']],
      [1, []],
    ] as const) {
      at(daysBefore);
      const first = labels(await node.notices.run(SYSTEM));
      assert.deepEqual(first, [...expected], `${daysBefore} days before`);
      // A second pass at the same moment finds nothing left to send.
      assert.deepEqual(labels(await node.notices.run(SYSTEM)), [], `again ${daysBefore}`);
      sent.push(first);
    }
    assert.equal(w.smtp.messages.length, 3);
    assert.equal(w.hooks.received.length, 3);
    assert.ok(w.hooks.received.every((h) => h.verified));

    const mail = w.smtp.messages[0];
    assert.ok(mail);
    assert.equal(mail.from, 'certmint@example.com');
    // Active Administrators with an email, then the mapped entity; no inactive one (nor the
    // Administrator without an email). Domains travel in lower case.
    assert.deepEqual(mail.to, ['Ada@example.com', 'billing@example.com']);
    assert.equal(mail.headers.get('to'), 'Ada@example.com, billing@example.com');
    assert.equal(
      mail.subject,
      `Certificate expires in 60 days: Billing / Billing Sync (account ${ACCOUNT})`,
    );
    const expires = new Date(m.validUntil).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const line of [
      `Account:      ${ACCOUNT}`,
      `Application:  Billing (client id ${w.clientId})`,
      `Entity:       Billing Sync (id ${w.entityId})`,
      `Role:         M2M (id ${w.roleId})`,
      `Certificate:  ${m.certificateId}`,
      `Expires:      ${expires}`,
      `  certmint cert rotate --token-url ${PUBLIC_URL}/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token --client-id ${w.clientId} --certificate-id=${m.certificateId} --key private.pem --role ${w.roleId} --entity ${w.entityId}`,
      `  certmint mapping revoke --account ${ACCOUNT} --certificate-id=${m.certificateId}`,
    ]) {
      assert.ok(mail.text.split('\n').includes(line), `missing line ${line}\n${mail.text}`);
    }
    assert.deepEqual(
      w.smtp.messages.map((x) => x.subject.replace(/:.*/, '')),
      [60, 30, 14].map((d) => `Certificate expires in ${d} days`),
    );

    const hook = w.hooks.received[1];
    assert.ok(hook);
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    assert.equal(hook.headers['content-type'], 'application/json');
    assert.equal(hook.headers['certmint-delivery'], `${m.certificateId}.30d`);
    assert.equal(
      hook.headers['certmint-timestamp'],
      String(Math.floor((until() - 30 * DAY) / 1000)),
    );
    assert.deepEqual(body, {
      id: `${m.certificateId}.30d`,
      type: 'certificate.expiring',
      created: new Date(until() - 30 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      account: ACCOUNT,
      certificate_id: m.certificateId,
      valid_until: expires,
      days_left: 30,
      threshold_days: 30,
      application: {
        client_id: w.clientId,
        name: 'Billing',
        application_id: (body.application as { application_id: string }).application_id,
      },
      entity: { id: w.entityId, name: 'Billing Sync' },
      role: { id: w.roleId, name: 'M2M' },
      rotate_command: `certmint cert rotate --token-url ${PUBLIC_URL}/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token --client-id ${w.clientId} --certificate-id=${m.certificateId} --key private.pem --role ${w.roleId} --entity ${w.entityId}`,
    });

    const audit = await store.audit.list({
      accountId: ACCOUNT,
      type: 'mapping.expiry_notice',
      limit: 50,
    });
    assert.equal(audit.length, 6);
    assert.ok(
      audit.every(
        (e) =>
          e.result === 'success' &&
          e.certificateId === m.certificateId &&
          e.clientId === w.clientId &&
          e.entityId === w.entityId &&
          e.roleId === w.roleId &&
          e.actor === null,
      ),
    );
  });

  it('thresholds passed while nothing ran are superseded: only the most urgent one goes out', async () => {
    node = w.node(store, { webhook: undefined });
    at(20);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['30/email/sent']);
    at(14);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['14/email/sent']);
    assert.equal(w.smtp.messages.length, 2);
  });

  it('configurable thresholds; none for a certificate mapped inside a threshold', async () => {
    node = w.node(store, { days: [7], webhook: undefined });
    at(30);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), []);
    at(7);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['7/email/sent']);
    assert.deepEqual(node.notices.days, [7]);
    // Mapped with 90 days left: a 100-day threshold was already passed at upload.
    const late = w.node(store, { days: [100], webhook: undefined });
    at(50);
    assert.deepEqual(labels(await late.notices.run(SYSTEM)), []);
  });

  it('a refused email is retried after its backoff, then sent once; a failing webhook too', async () => {
    node = w.node(store);
    w.smtp.refuseNext(1);
    w.hooks.failNext(2);
    at(60);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), [
      '60/email/retry',
      '60/webhook/retry',
    ]);
    const [d] = (await node.notices.list(SYSTEM)).filter((x) => x.channel === 'email');
    assert.match(d?.lastError ?? '', /451/);
    w.clock.advance(noticeRetryDelay(1) - 1);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), []);
    w.clock.advance(1);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['60/email/sent', '60/webhook/retry']);
    w.clock.advance(noticeRetryDelay(2));
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['60/webhook/sent']);
    assert.equal(w.smtp.messages.length, 1);
    assert.equal(w.hooks.accepted.length, 1);
    const ids = new Set(w.hooks.received.map((h) => h.headers['certmint-delivery']));
    assert.equal(ids.size, 1, 'every attempt carries the same delivery id');
    const list = await node.notices.list(SYSTEM, { accountId: ACCOUNT });
    assert.deepEqual(list.map((x) => `${x.channel}:${x.status}:${x.attempts}`).sort(), [
      'email:sent:2',
      'webhook:sent:3',
    ]);
  });

  it('gives up after the last attempt and audits the failure', async () => {
    node = w.node(store, { webhook: undefined });
    w.smtp.refuseNext(100);
    at(60);
    const statuses: string[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      statuses.push(...labels(await node.notices.run(SYSTEM)));
      w.clock.advance(noticeRetryDelay(attempt));
    }
    assert.deepEqual(statuses, [...Array(5).fill('60/email/retry'), '60/email/failed']);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), []);
    const [e] = await store.audit.list({
      accountId: ACCOUNT,
      type: 'mapping.expiry_notice',
      limit: 5,
    });
    assert.equal(e?.result, 'failure');
    assert.equal(e?.certificateId, w.mappings[0]?.certificateId);
  });

  it('nobody to email: failed at once, with the reason, and not retried', async () => {
    await store.entities.update(ACCOUNT, 1, { email: null });
    await store.entities.update(ACCOUNT, w.entityId, { email: null });
    node = w.node(store, { webhook: undefined });
    at(60);
    const r = await node.notices.run(SYSTEM);
    assert.deepEqual(labels(r), ['60/email/failed']);
    assert.match(r.attempts[0]?.error ?? '', /no recipient/);
    w.clock.advance(DAY);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), []);
  });

  it('a certificate revoked before its retry is not warned about any more', async () => {
    node = w.node(store, { email: undefined });
    w.hooks.failNext(1);
    at(60);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['60/webhook/retry']);
    await revokeMapping(
      { store, clock: w.clock },
      SYSTEM,
      ACCOUNT,
      w.mappings[0]?.certificateId ?? '',
    );
    w.clock.advance(noticeRetryDelay(1));
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), ['60/webhook/cancelled']);
    at(30);
    assert.deepEqual(labels(await node.notices.run(SYSTEM)), []);
    assert.equal(w.hooks.accepted.length, 0);
  });

  it('only the system runs passes; listing needs the account permission', async () => {
    node = w.node(store);
    const entity = {
      kind: 'entity' as const,
      accountId: ACCOUNT,
      entityId: w.entityId,
      roleId: w.roleId,
      permissions: ['oauth2_access_token_login' as const],
    };
    assert.throws(() => node.notices.run(entity), refused('permission.system_only'));
    await assert.rejects(node.notices.list(entity), refused('permission.missing'));
    await assert.rejects(
      node.notices.list({ ...entity, roleId: 3 }, { accountId: 'TSTDRV1' }),
      refused('permission.other_account'),
    );
    assert.deepEqual(await node.notices.list({ ...entity, roleId: 3 }), []);
  });
});
