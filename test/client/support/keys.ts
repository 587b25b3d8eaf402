/**
 * Real OpenSSL-made certificates and keys for the client tests, made with the commands Oracle
 * documents. RSA generation takes seconds, so each kind is made once per run by the shared key
 * cache (test/support/key-cache.ts) and kept in the temp directory for later runs.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cachedDir } from '../../support/key-cache.ts';

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

/** The openssl arguments that make one kind (in an empty directory). */
const recipe = (kind: KeyKind): string[] => {
  const ec = kind.startsWith('ES') || kind === 'SECP256K1';
  return [
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
    'public.pem',
    '-keyout',
    'private.pem',
  ];
};

const memo = new Map<KeyKind, Promise<TestKey>>();

/** The key and certificate of one kind: made (or found) once per process. */
export function testKey(kind: KeyKind): Promise<TestKey> {
  let p = memo.get(kind);
  if (p === undefined) {
    p = load(kind);
    memo.set(kind, p);
  }
  return p;
}

async function load(kind: KeyKind): Promise<TestKey> {
  const dir = await cachedDir(
    `client-${kind}`,
    recipe(kind),
    async (into) => {
      await run('openssl', recipe(kind), { cwd: into });
    },
    async (d) => fresh(join(d, 'public.pem')),
  );
  const certPath = join(dir, 'public.pem');
  const keyPath = join(dir, 'private.pem');
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

/** A readable certificate with more than 30 days left (a damaged entry is made again). */
async function fresh(certPath: string): Promise<boolean> {
  try {
    const validTo = Date.parse(new X509Certificate(await readFile(certPath)).validTo);
    return validTo - Date.now() > 30 * 86_400_000;
  } catch {
    return false;
  }
}
