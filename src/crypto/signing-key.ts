/** Per-account ES256 token-signing keys: creation (NetSuite-style kid) and JWK export. */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { SigningKeyRecord } from '../domain/signing-key.ts';
import type { MasterKey } from './master-key.ts';

/** NetSuite's kid form `c.<account>.<YYYY-MM-DD_hh-mm-ss>`, plus a random suffix (two rotations in a second). */
function kidFor(accountId: string, now: number): string {
  const d = new Date(now).toISOString(); // 2026-01-18T02:18:17.123Z
  const stamp = `${d.slice(0, 10)}_${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}`;
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `c.${accountId}.${stamp}.${rand}`;
}

const context = (accountId: string, kid: string) => `${accountId}|${kid}`;

export function newSigningKey(accountId: string, now: number, master: MasterKey): SigningKeyRecord {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = kidFor(accountId, now);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    accountId,
    kid,
    alg: 'ES256',
    publicJwk: JSON.stringify(jwk),
    privateKeyEncrypted: master.encrypt(pem, context(accountId, kid)),
    createdAt: now,
    retiredAt: null,
  };
}

export interface LoadedSigningKey {
  record: SigningKeyRecord;
  publicKey: KeyObject;
  /** Decrypted lazily: only the active key is ever decrypted. */
  privateKey(): KeyObject;
  jwk: Record<string, unknown>;
}

export function loadSigningKey(record: SigningKeyRecord, master: MasterKey): LoadedSigningKey {
  const jwk = JSON.parse(record.publicJwk) as Record<string, unknown>;
  const publicKey = createPublicKey({
    key: jwk as import('node:crypto').JsonWebKey,
    format: 'jwk',
  });
  let priv: KeyObject | undefined;
  return {
    record,
    publicKey,
    jwk,
    privateKey() {
      priv ??= createPrivateKey(
        master.decrypt(record.privateKeyEncrypted, context(record.accountId, record.kid)),
      );
      return priv;
    },
  };
}
