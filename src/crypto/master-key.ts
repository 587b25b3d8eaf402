/**
 * The key that encrypts token-signing private keys at rest (AES-256-GCM).
 * From CERTMINT_SECRET when set (required when several hosts share one PostgreSQL), else a
 * generated 32-byte key file with mode 0600 beside the database (or in ./.certmint for PostgreSQL).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface MasterKey {
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
  /** Where the key came from, for the start-up log (never the key itself). */
  readonly source: string;
  /** `key-file`: a generated file of this host alone (no good for a store shared by hosts). */
  readonly kind?: 'secret' | 'key-file';
}

const VERSION = 'v1';

function fromBytes(raw: Buffer, source: string, kind: 'secret' | 'key-file'): MasterKey {
  // HKDF separates this use from any other use of the same secret.
  const key = Buffer.from(hkdfSync('sha256', raw, 'certmint', 'signing-key-encryption', 32));
  return {
    source,
    kind,
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The context (account id + kid) is bound as AAD: a ciphertext moved to another row fails.
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    decrypt(ciphertext, context) {
      const [v, iv, tag, body] = ciphertext.split('.');
      if (v !== VERSION || !iv || !tag || !body)
        throw new Error('unknown signing-key encryption format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([
          decipher.update(Buffer.from(body, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new Error(
          'cannot decrypt a token-signing key: CERTMINT_SECRET (or the key file) differs from the one used to create it',
        );
      }
    },
  };
}

/** The generated key file's name, in the folder beside the store. */
export const MASTER_KEY_FILE = 'master.key';

/** Directory that holds the key file for a given --db value. */
export function keyFileFor(db: string): string {
  const dir =
    /^postgres(ql)?:\/\//.test(db) || db === ':memory:'
      ? resolve('.certmint')
      : dirname(resolve(db));
  return join(dir, MASTER_KEY_FILE);
}

export function loadMasterKey(opts: { secret?: string | undefined; keyFile: string }): MasterKey {
  if (opts.secret !== undefined && opts.secret !== '') {
    if (opts.secret.length < 16) {
      throw new Error(
        'CERTMINT_SECRET is too short: use at least 16 random characters (32+ recommended)',
      );
    }
    return fromBytes(
      createHash('sha256').update(opts.secret).digest(),
      'CERTMINT_SECRET',
      'secret',
    );
  }
  if (existsSync(opts.keyFile)) {
    const mode = statSync(opts.keyFile).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(opts.keyFile, 0o600);
    const raw = Buffer.from(readFileSync(opts.keyFile, 'utf8').trim(), 'base64url');
    if (raw.length !== 32)
      throw new Error(`${opts.keyFile} is not a certmint key file (expected 32 bytes)`);
    return fromBytes(raw, opts.keyFile, 'key-file');
  }
  mkdirSync(dirname(opts.keyFile), { recursive: true, mode: 0o700 });
  const raw = randomBytes(32);
  // 'wx': never overwrite a key file another process created a moment ago.
  try {
    writeFileSync(opts.keyFile, `${raw.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(opts);
    throw e;
  }
  return fromBytes(raw, opts.keyFile, 'key-file');
}

/** Constant-time comparison of two strings (hashes, secrets). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
