/**
 * TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, the parameters every authenticator
 * app supports) via `otpauth`, and one-time recovery codes.
 *
 * RFC 6238 §5.2: a verifier should accept a code at most once. The accepted time step is
 * claimed in the replay store (an atomic unique insert shared by every node), so a code seen
 * over someone's shoulder cannot be reused within its window.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Store } from '../../store/ports.ts';
import { RECOVERY_CODE_COUNT, TOTP_ISSUER } from '../config.ts';

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

export interface Enrolment {
  uri: string;
  /** PNG data URL of the URI as a QR code (the CSP allows `img-src data:`). */
  qrDataUrl: string;
}

export async function enrolment(secret: string, label: string): Promise<Enrolment> {
  const uri = totpFor(secret, label).toString();
  return { uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

export const isTotpCode = (code: string): boolean => /^[0-9]{6}$/.test(code);

/**
 * True when `code` is valid now (±1 step) and its time step has not been used before for this
 * entity. `replayKey` names the entity (account and id).
 */
export async function verifyTotp(
  store: Store,
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
  return store.replay.claim(`console-totp:${replayKey}:${step}`, expiresAt);
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
