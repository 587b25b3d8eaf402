/**
 * A store for the shared yardstick (wrk + pre-signed bodies against `certmint serve`): the
 * bench's account, role, entity and M2M integration, one mapped ES256 certificate, and the
 * scopes the yardstick's body generator asks for by default (restlets rest_webservices).
 * Usage: node --import tsx bench/yardstick-setup.ts DIR [MAPPINGS] [postgres://… (an empty database)]
 * Writes DIR/key.pem (and the store: DIR/certmint.db, or the PostgreSQL database given) and
 * prints the TARGET_* variables for yardstick.sh.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeCredentials, prepareStore } from './setup-certmint.ts';

const dir = resolve(process.argv[2] ?? '/tmp/certmint-yardstick-target');
const total = Number(process.argv[3] ?? 1);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true, mode: 0o700 });
const creds = await makeCredentials('ES256', 1);
const db = process.argv[4] ?? join(dir, 'certmint.db');
const store = await prepareStore(db, creds, total, ['restlets', 'rest_webservices']);
const [key] = store.keys;
if (!key) throw new Error('no key');
writeFileSync(join(dir, 'key.pem'), key.privateKeyPem, { mode: 0o600 });
process.stdout.write(
  [
    `DB=${store.dbPath}`,
    `TARGET_CLIENT_ID=${store.clientId}`,
    `TARGET_KID=${key.kid}`,
    `TARGET_KEY=${join(dir, 'key.pem')}`,
    `ACCOUNT=${store.accountId}`,
    '',
  ].join('\n'),
);
