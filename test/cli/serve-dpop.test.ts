/**
 * `certmint serve --dpop-nonce` (and CERTMINT_DPOP_NONCE=1) as a user runs it: a real process on
 * a temp SQLite store, an integration that requires DPoP; a proof without a nonce is answered
 * `use_dpop_nonce` with a `DPoP-Nonce`, a proof with it gets a DPoP-bound token. Without the
 * setting the first proof is enough.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import { generateCertificate } from '../../src/crypto/generate.ts';
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
import { dpopKey } from '../support/dpop.ts';
import { freePort } from '../support/net.ts';
import { eventually } from '../support/wait.ts';
import { BIN, tempDir } from './support.ts';

const ACCOUNT = 'TSTDRV7100001';

async function seed(db: string) {
  const store = await openStore(db);
  const deps = { store, clock: { now: () => Date.now() } };
  try {
    await createAccount(deps, SYSTEM, { id: ACCOUNT });
    const role = await createRole(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'M2M',
      permissions: ['oauth2_access_token_login'],
    });
    const entity = await createEntity(deps, SYSTEM, { accountId: ACCOUNT, name: 'svc' });
    await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: entity.id, roleId: role.id });
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId: ACCOUNT,
      name: 'App',
      m2mGrant: true,
      scopes: ['restlets'],
      dpop: 'required',
    });
    const g = await generateCertificate({ alg: 'ES256', now: Date.now() - 60_000, days: 30 });
    const m = await createMapping(deps, SYSTEM, {
      accountId: ACCOUNT,
      clientId: integration.clientId,
      entityId: entity.id,
      roleId: role.id,
      certificate: g.certificatePem,
    });
    return { clientId: integration.clientId, kid: m.certificateId, keyPem: g.privateKeyPem };
  } finally {
    await store.close();
  }
}

function serve(db: string, port: number, extra: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, '--db', db, 'serve', '--port', String(port), '--log-level', 'error', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CERTMINT_SECRET: '', ...env } },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, out: () => out };
}

describe('certmint serve --dpop-nonce', () => {
  for (const how of ['flag', 'env', 'off'] as const) {
    it(`${how === 'off' ? 'without it' : `by ${how}`}: nonces ${how === 'off' ? 'not ' : ''}demanded`, async () => {
      const db = join(tempDir(), 'certmint.db');
      const c = await seed(db);
      const port = await freePort();
      const s = serve(
        db,
        port,
        how === 'flag' ? ['--dpop-nonce'] : [],
        how === 'env' ? { CERTMINT_DPOP_NONCE: '1' } : { CERTMINT_DPOP_NONCE: '' },
      );
      try {
        await eventually('the server listens', () => s.out().includes('issuer of an account'), {
          timeoutMs: 60_000,
        });
        const tokenUrl = `http://127.0.0.1:${port}/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token`;
        const key = await dpopKey('ES256');
        const signer = await importPKCS8(c.keyPem, 'ES256');
        const post = async (nonce?: string) =>
          fetch(tokenUrl, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              dpop: await key.proof(
                'POST',
                tokenUrl,
                Math.floor(Date.now() / 1000),
                nonce ? { nonce } : {},
              ),
            },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: await new SignJWT({ scope: ['restlets'] })
                .setProtectedHeader({ alg: 'ES256', kid: c.kid, typ: 'JWT' })
                .setIssuer(c.clientId)
                .setAudience(tokenUrl)
                .setIssuedAt()
                .setExpirationTime('5m')
                .setJti(crypto.randomUUID())
                .sign(signer),
            }),
          });
        const first = await post();
        if (how === 'off') {
          assert.equal(first.status, 200, await first.clone().text());
          assert.equal(((await first.json()) as { token_type: string }).token_type, 'DPoP');
          return;
        }
        assert.equal(first.status, 400);
        assert.deepEqual(await first.json(), {
          error: 'use_dpop_nonce',
          error_description: 'Authorization server requires nonce in DPoP proof',
        });
        const nonce = first.headers.get('dpop-nonce');
        assert.ok(nonce);
        const second = await post(nonce);
        assert.equal(second.status, 200, await second.clone().text());
        assert.equal(((await second.json()) as { token_type: string }).token_type, 'DPoP');
      } finally {
        s.child.kill('SIGTERM');
        await new Promise((r) => s.child.once('exit', r));
      }
    });
  }
});
