/**
 * Console passwords: scrypt (memory-hard, node:crypto) with a random 16-byte salt, encoded as
 * `scrypt$N$r$p$salt$hash` (salt and hash base64url) so parameters can be raised later without
 * breaking stored hashes. Verification is constant-time and does the same work for an unknown
 * user (null hash) so response time does not reveal which emails exist.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { invalidInput } from '../../domain/errors.ts';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Upper bound for stored parameters: a tampered row must not make verification hang. */
const MAX_N = 2 ** 20;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  // 128·N·r bytes are needed; Node's default maxmem (32 MiB) is exactly N=2^15, r=8: allow more.
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Refuses passwords that are too short or too long, saying what is needed. */
export function checkPasswordPolicy(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw invalidInput(
      'password.too_short',
      `the password is too short: use at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw invalidInput(
      'password.too_long',
      `the password is too long: use at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
  return password;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(encoded: string): Parsed | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  const powerOfTwo = Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n > MAX_N || !Number.isSafeInteger(r) || r < 1 || r > 32) return null;
  if (
    !Number.isSafeInteger(p) ||
    p < 1 ||
    p > 16 ||
    salt.length < 8 ||
    hash.length !== KEY_LENGTH
  ) {
    return null;
  }
  return { n, r, p, salt, hash };
}

const DUMMY_SALT = randomBytes(SALT_LENGTH);

/**
 * True when `password` matches `encoded`. A null or malformed hash still costs one scrypt run
 * and returns false (no timing difference between "no such user" and "wrong password").
 */
export async function verifyPassword(password: string, encoded: string | null): Promise<boolean> {
  const parsed = encoded === null ? null : parse(encoded);
  if (parsed === null || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) {
    await derive(typeof password === 'string' ? password : '', DUMMY_SALT, N, R, P);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.n, parsed.r, parsed.p);
  return timingSafeEqual(candidate, parsed.hash);
}
