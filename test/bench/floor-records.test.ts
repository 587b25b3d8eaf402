/**
 * The benchmark's "floor with records" (bench/records-store.ts, bench/floor-records.ts) must
 * really write what it claims to bound: a won claim per new (client, jti) and an audit row per
 * won claim, a repeated jti refused — within one commit and across commits — and nothing
 * recorded for a refusal. Otherwise its ratio to the floor would understate what the records
 * cost. The server is run as the yardstick runs it, on a real OpenSSL certificate.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { openRecordStore } from '../../bench/records-store.ts';
import { freePort } from '../support/net.ts';
import { makeCert } from '../support/openssl.ts';
import { assertionForm } from '../support/token-fixture.ts';
import { eventually } from '../support/wait.ts';

const exp = Math.floor(Date.now() / 1000) + 300;
const req = (clientId: string, jti: string) => ({ clientId, jti, exp, kid: 'k', address: '::1' });

describe('records-store', () => {
  it('claims each (client, jti) once, in one commit and across commits; records only the won', () => {
    const store = openRecordStore();
    try {
      assert.deepEqual(store.commit([req('a', '1'), req('a', '1'), req('b', '1')]), [
        true,
        false,
        true,
      ]);
      assert.deepEqual(store.commit([req('a', '1'), req('a', '2')]), [false, true]);
      assert.deepEqual(store.counts(), { claims: 3, records: 3 });
    } finally {
      store.close();
    }
    assert.equal(existsSync(store.dir), false, 'close() removes the database directory');
  });
});

describe('floor-records server', () => {
  let dir = '';
  let port = 0;
  let key: Awaited<ReturnType<typeof importPKCS8>>;
  let server: ReturnType<typeof spawn> | undefined;
  const url = () => `http://127.0.0.1:${port}/token`;

  before(async () => {
    const ec = await makeCert('ec-p256');
    dir = await mkdtemp(join(tmpdir(), 'floor-records-test-'));
    // The server reads es256.pem and ps256.pem from the directory; only ES256 is sent here.
    await copyFile(ec.certPath, join(dir, 'es256.pem'));
    await copyFile(ec.certPath, join(dir, 'ps256.pem'));
    key = await importPKCS8(await readFile(ec.keyPath, 'utf8'), 'ES256');
    port = await freePort();
    server = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/floor-records.ts', String(port), dir, 'records'],
      { stdio: 'ignore' },
    );
    await eventually(
      'the floor-records server listens',
      () =>
        fetch(url(), { method: 'POST', body: '' }).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 30_000 },
    );
  });

  after(async () => {
    server?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  const assertion = (jti: string, signer = key) =>
    new SignJWT({ jti })
      .setProtectedHeader({ alg: 'ES256', kid: 'es256' })
      .setIssuer('bench-client')
      .setSubject('bench-client')
      .setAudience(url())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signer);
  const post = async (jwt: string) => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: assertionForm(jwt),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('issues a token once per jti, refuses the replay, refuses a bad signature', async () => {
    const jwt = await assertion(`t-${Date.now()}`);
    const first = await post(jwt);
    assert.equal(first.status, 200);
    assert.equal(typeof first.body.access_token, 'string');
    assert.deepEqual(await post(jwt), { status: 400, body: { error: 'invalid_grant' } });
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const forged = await assertion(`forged-${Date.now()}`, stranger);
    assert.deepEqual(await post(forged), { status: 401, body: { error: 'invalid_client' } });
    assert.deepEqual(await post('junk'), { status: 401, body: { error: 'invalid_client' } });
  });

  it('a batch of one jti sent at once: exactly one token', async () => {
    const jwt = await assertion(`batch-${Date.now()}`);
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(jwt)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400]);
  });
});
