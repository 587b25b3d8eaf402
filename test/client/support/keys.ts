/**
 * Real OpenSSL-made certificates and keys for the client tests, made with the commands Oracle
 * documents. RSA generation takes seconds, so each kind is made once per machine and kept in the
 * temp directory (written to a temp name and renamed, so parallel test files never see half a file).
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type KeyKind =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RSA3072'
  | 'RSAPSS3072'
  | 'RSA2048'
  | 'ED25519'
  | 'SECP256K1';

export interface TestKey {
  kind: KeyKind;
  certPem: string;
  keyPem: string;
  keyPath: string;
  certPath: string;
  /** base64url(SHA-256(DER)), NetSuite's certificate id format. */
  certificateId: string;
}

const NEWKEY: Record<KeyKind, string[]> = {
  ES256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
  ES384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'],
  ES512: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp521r1'],
  SECP256K1: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  RSA3072: ['-newkey', 'rsa:3072'],
  RSAPSS3072: ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:3072'],
  RSA2048: ['-newkey', 'rsa:2048'],
  ED25519: ['-newkey', 'ed25519'],
};

const dir = join(tmpdir(), 'certmint-client-test-keys-v1');

export async function testKey(kind: KeyKind): Promise<TestKey> {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${kind}.pem`);
  const keyPath = join(dir, `${kind}.key`);
  if (!fresh(certPath) || !existsSync(keyPath)) {
    const tag = randomUUID();
    const tmpCert = `${certPath}.${tag}`;
    const tmpKey = `${keyPath}.${tag}`;
    const ec = kind.startsWith('ES') || kind === 'SECP256K1';
    await run('openssl', [
      'req',
      '-new',
      '-x509',
      ...NEWKEY[kind],
      ...(ec ? ['-pkeyopt', 'ec_param_enc:named_curve'] : []),
      '-nodes',
      '-days',
      '365',
      '-subj',
      `/CN=certmint-client-test-${kind}`,
      '-out',
      tmpCert,
      '-keyout',
      tmpKey,
    ]);
    renameSync(tmpKey, keyPath);
    renameSync(tmpCert, certPath);
  }
  const certPem = readFileSync(certPath, 'utf8');
  const der = new X509Certificate(certPem).raw;
  return {
    kind,
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    keyPath,
    certPath,
    certificateId: createHash('sha256').update(der).digest('base64url'),
  };
}

function fresh(certPath: string): boolean {
  if (!existsSync(certPath)) return false;
  const validTo = Date.parse(new X509Certificate(readFileSync(certPath)).validTo);
  return validTo - Date.now() > 30 * 86_400_000;
}
