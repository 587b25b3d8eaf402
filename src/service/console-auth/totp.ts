/**
 * TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, the parameters every authenticator
 * app supports) via `otpauth`, one-time recovery codes, and the sealing of TOTP secrets at rest.
 *
 * RFC 6238 §5.2: a verifier should accept a code at most once. The accepted time step is
 * claimed in the replay store (an atomic unique insert shared by every node), so a code seen
 * over someone's shoulder cannot be reused within its window.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { ReplayStore } from '../../store/ports.ts';
import { RECOVERY_CODE_COUNT, TOTP_ISSUER } from './policy.ts';
import type { ConsoleAuthDeps } from './types.ts';

const PERIOD_S = 30;
/** One step either side: tolerates a phone clock off by up to ~30 s (RFC 6238 §5.2). */
const WINDOW = 1;

const totpFor = (secret: string, label: string): TOTP =>
  new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_S,
    secret: Secret.fromBase32(secret),
  });

/** A new random secret: 160 bits, the HMAC-SHA-1 key size RFC 4226 §4 recommends. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

/** The otpauth:// URI an authenticator app reads (as a QR code or pasted). */
export const otpauthUri = (secret: string, label: string): string =>
  totpFor(secret, label).toString();

export const isTotpCode = (code: string): boolean => /^[0-9]{6}$/.test(code);

/**
 * True when `code` is valid now (±1 step) and its time step has not been used before for this
 * entity. `replayKey` names the entity (account and id).
 */
export async function verifyTotp(
  replay: Pick<ReplayStore, 'claim'>,
  secret: string,
  code: string,
  now: number,
  replayKey: string,
): Promise<boolean> {
  if (!isTotpCode(code)) return false;
  const delta = totpFor(secret, 'x').validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return false;
  const step = TOTP.counter({ period: PERIOD_S, timestamp: now }) + delta;
  // Keep the claim until the step can no longer validate.
  const expiresAt = (step + WINDOW + 2) * PERIOD_S * 1000;
  return replay.claim(`console-totp:${replayKey}:${step}`, expiresAt);
}

/** Upper-case, no separators: how a recovery code is compared and hashed. */
const canonical = (code: string): string => code.toUpperCase().replace(/[^A-Z2-7]/g, '');

/** Recovery codes look like `ABCD-EFGH-IJKL-MNOP` (80 random bits, base32). */
export const looksLikeRecoveryCode = (code: string): boolean => canonical(code).length === 16;

/**
 * SHA-256 is enough here (unlike passwords): each code is 80 random bits, so there is no
 * dictionary to try, and the sign-in lockout bounds online guessing.
 */
export const hashRecoveryCode = (code: string): string =>
  createHash('sha256').update(canonical(code), 'utf8').digest('hex');

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newRecoveryCodes(): string[] {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    const bytes = randomBytes(10);
    let bits = 0;
    let value = 0;
    let out = '';
    for (const b of bytes) {
      value = (value << 8) | b;
      bits += 8;
      while (bits >= 5) {
        out += BASE32[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    codes.push(out.match(/.{4}/g)?.join('-') ?? out);
  }
  return codes;
}

/**
 * AAD of an enrolled TOTP secret. Not bound to the account: a sandbox refresh copies the
 * production entities' two-factor enrolment into the sandbox, where it must still open.
 */
const ENROLLED_CONTEXT = 'console-totp-secret';
/** AAD of a secret offered at enrolment: bound to the entity it was offered to. */
const pendingContext = (accountId: string, entityId: number): string =>
  `console-totp-pending:${accountId}:${entityId}`;

type Master = ConsoleAuthDeps['master'];

/** Both the enrolled and the offered secret are encrypted with the master key (AES-256-GCM). */
export const sealEnrolled = (master: Master, secret: string): string =>
  master.encrypt(secret, ENROLLED_CONTEXT);

export const openEnrolled = (master: Master, sealed: string): string =>
  master.decrypt(sealed, ENROLLED_CONTEXT);

export const sealPending = (
  master: Master,
  accountId: string,
  entityId: number,
  secret: string,
): string => master.encrypt(secret, pendingContext(accountId, entityId));

/**
 * The secret offered to this entity, or null. A value that does not open (a clear Base32
 * secret stored before offered secrets were encrypted, or one sealed under another key) counts
 * as none: the offer lives minutes, and a new one costs the user only a rescan.
 */
export function openPending(
  master: Master,
  accountId: string,
  entityId: number,
  sealed: string | null,
): string | null {
  if (sealed === null) return null;
  try {
    return master.decrypt(sealed, pendingContext(accountId, entityId));
  } catch {
    return null;
  }
}
