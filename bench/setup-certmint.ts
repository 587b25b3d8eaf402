/**
 * Builds a certmint SQLite store for the benchmark, through the service layer exactly as an
 * administrator would: account, role with "Log in using OAuth 2.0 Access Tokens", entity holding
 * it, M2M integration with the `restlets` scope, and `keys` real certificates (made by
 * generateCertificate) mapped to it — the load is spread over these keys.
 *
 * The large store then gets synthetic mapping rows up to `total` (100 000 by default), written
 * straight into the mappings table in one transaction: a hundred thousand createMapping calls
 * would take minutes and the service allows only 5 active certificates per integration. The
 * synthetic rows are revoked (as real deployments accumulate: a revoked certificate's row stays
 * forever, since certificates can never be reused), so every stored invariant still holds; the
 * token endpoint looks a mapping up by certificate id whatever its state, so the table size is
 * what the test exercises.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { generateCertificate } from '../src/crypto/generate.ts';
import { systemClock } from '../src/domain/clock.ts';
import type { Mapping } from '../src/domain/mapping.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../src/service/index.ts';
import { openStore } from '../src/store/index.ts';
import { fromMapping } from '../src/store/kysely/rows.ts';
import type { AssertionKey } from './assertions.ts';
import type { BenchAlg } from './options.ts';

export const BENCH_ACCOUNT = 'TSTDRV1234567';
export const BENCH_SCOPE = 'restlets';

export interface MintCredential {
  alg: BenchAlg;
  certificatePem: string;
  privateKeyPem: string;
}

export interface PreparedStore {
  dbPath: string;
  accountId: string;
  clientId: string;
  /** One per real mapping; `kid` is the certificate id. */
  keys: AssertionKey[];
  mappings: number;
}

/** Makes the real key pairs once; both stores map the same certificates. */
export async function makeCredentials(alg: BenchAlg, n: number): Promise<MintCredential[]> {
  const out: MintCredential[] = [];
  for (let i = 0; i < n; i++) {
    const g = await generateCertificate({ alg, now: systemClock.now() - 60_000, days: 30 });
    out.push({ alg, certificatePem: g.certificatePem, privateKeyPem: g.privateKeyPem });
  }
  return out;
}

const digest = (s: string): string => createHash('sha256').update(s).digest('base64url');

/** Inserts synthetic revoked mappings so the table holds `count` more rows (one transaction). */
function addSyntheticMappings(dbPath: string, template: Mapping, count: number): void {
  const db = new Database(dbPath);
  try {
    const columns = Object.keys(fromMapping(template, (b) => (b ? 1 : 0)));
    const insert = db.prepare(
      `INSERT INTO mappings (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    const fill = db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const m: Mapping = {
          ...template,
          certificateId: digest(`bench-certificate-${i}`),
          publicKeyId: digest(`bench-public-key-${i}`),
          serialNumber: i.toString(16),
          revokedAt: template.createdAt,
        };
        insert.run(fromMapping(m, (b) => (b ? 1 : 0)));
      }
    });
    fill();
  } finally {
    db.close();
  }
}

/**
 * `count` synthetic audit rows of the account (one transaction), spread over the last 30 days:
 * what a busy installation's trail holds, so every index of the table is at its working size.
 */
function addSyntheticAudit(dbPath: string, accountId: string, clientId: string, count: number) {
  const db = new Database(dbPath);
  try {
    const insert = db.prepare(
      `INSERT INTO audit_events (at, account_id, type, result, detail, client_id, certificate_id,
         entity_id, role_id, remote_address, actor, count, first_at, fold_key)
       VALUES (?, ?, 'token', ?, ?, ?, ?, 1, 1, '192.0.2.1', NULL, 1, ?, NULL)`,
    );
    const start = Date.now() - 30 * 86_400_000;
    const step = (30 * 86_400_000) / Math.max(1, count);
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const failed = i % 50 === 0;
        const at = Math.floor(start + i * step);
        insert.run(
          at,
          accountId,
          failed ? 'failure' : 'success',
          failed ? 'TokenExpired' : null,
          clientId,
          digest(`bench-certificate-${i % 1000}`),
          at,
        );
      }
    })();
  } finally {
    db.close();
  }
}

/** A store at `dbPath` with `creds.length` real mappings and `total` mappings in all. */
export async function prepareStore(
  dbPath: string,
  creds: readonly MintCredential[],
  total: number,
  scopes: readonly string[] = [BENCH_SCOPE],
  auditRows = 0,
): Promise<PreparedStore> {
  const store = await openStore(dbPath);
  const deps = { store, clock: systemClock };
  const accountId = BENCH_ACCOUNT;
  let clientId = '';
  const keys: AssertionKey[] = [];
  let template: Mapping | null = null;
  try {
    await createAccount(deps, SYSTEM, { id: accountId });
    const role = await createRole(deps, SYSTEM, {
      accountId,
      name: 'M2M token login',
      permissions: ['oauth2_access_token_login'],
    });
    const entity = await createEntity(deps, SYSTEM, { accountId, name: 'bench integration user' });
    await assignRole(deps, SYSTEM, { accountId, entityId: entity.id, roleId: role.id });
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId,
      name: 'bench',
      m2mGrant: true,
      scopes: [...scopes],
    });
    clientId = integration.clientId;
    for (const c of creds) {
      const m = await createMapping(deps, SYSTEM, {
        accountId,
        clientId,
        entityId: entity.id,
        roleId: role.id,
        certificate: c.certificatePem,
      });
      template = m;
      keys.push({ kid: m.certificateId, privateKeyPem: c.privateKeyPem, clientId });
    }
  } finally {
    await store.close();
  }
  if (!template) throw new Error('no credentials to map');
  const synthetic = Math.max(0, total - creds.length);
  if (synthetic > 0) addSyntheticMappings(dbPath, template, synthetic);
  if (auditRows > 0) addSyntheticAudit(dbPath, accountId, clientId, auditRows);
  return { dbPath, accountId, clientId, keys, mappings: creds.length + synthetic };
}
