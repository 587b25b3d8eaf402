/**
 * The floors' one check of the assertion: its signature over `header.claims` by the key named by
 * `kid` — ES256 (IEEE P1363 signature, RFC 7518 §3.4) or PS256 (salt length 32, §3.5).
 */
import { constants, type KeyObject, verify } from 'node:crypto';

export function verifyFloorSignature(
  alg: string | undefined,
  key: KeyObject | undefined,
  [h = '', c = '', s = '']: readonly string[],
): boolean {
  if (key === undefined) return false;
  const data = Buffer.from(`${h}.${c}`);
  const sig = Buffer.from(s, 'base64url');
  return alg === 'ES256'
    ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    : verify(
        'sha256',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        sig,
      );
}
