/**
 * DPoP proofs on the client side (RFC 9449 §4.2): one key pair per token client, a fresh proof
 * for every request (new jti, current iat), `ath` when an access token goes with it, and the
 * server's latest `DPoP-Nonce` per origin (§8: a nonce belongs to the server that gave it).
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, type JWK, SignJWT } from 'jose';
import { ConfigurationError } from './errors.ts';
import {
  type AssertionAlg,
  loadSigningKey,
  type PrivateKeyInput,
  type SigningKey,
} from './keys.ts';

/** `true`: a fresh ES256 (P-256) key pair for this client; or the client's own private key. */
export type DpopOption = true | { privateKey: PrivateKeyInput; alg?: AssertionAlg };

/** The `htu` of a URL: without query and fragment (RFC 9449 §4.2). */
export function htuOf(url: string | URL): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** base64url(SHA-256(token)): the proof's `ath` (RFC 9449 §4.2). */
export const athOf = (token: string): string =>
  createHash('sha256').update(token, 'ascii').digest('base64url');

export class DpopProver {
  readonly alg: AssertionAlg;
  private readonly signing: SigningKey;
  private readonly jwk: Promise<JWK>;
  private readonly nonces = new Map<string, string>();

  constructor(
    option: DpopOption,
    private readonly clock: { now(): number },
  ) {
    if (option === true) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.signing = { key: privateKey, alg: 'ES256', rsaPss: false };
    } else {
      this.signing = loadSigningKey(option.privateKey, option.alg);
      if (this.signing.rsaPss) {
        throw new ConfigurationError(
          'dpop: an RSASSA-PSS (id-RSASSA-PSS) key cannot sign DPoP proofs here: use an EC or rsaEncryption RSA key',
        );
      }
    }
    this.alg = this.signing.alg;
    this.jwk = exportJWK(createPublicKey(this.signing.key)).then(({ kty, crv, x, y, n, e }) =>
      JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })),
    );
  }

  /** A proof for one request; `accessToken` adds `ath` (requests to a protected resource). */
  async proof(method: string, url: string | URL, accessToken?: string): Promise<string> {
    const htu = htuOf(url);
    const nonce = this.nonces.get(new URL(url).origin);
    return new SignJWT({
      jti: randomUUID(),
      htm: method.toUpperCase(),
      htu,
      ...(accessToken === undefined ? {} : { ath: athOf(accessToken) }),
      ...(nonce === undefined ? {} : { nonce }),
    })
      .setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: await this.jwk })
      .setIssuedAt(Math.floor(this.clock.now() / 1000))
      .sign(this.signing.key);
  }

  /**
   * Keeps a `DPoP-Nonce` the server sent (any response may carry one, §8.2). True when it is
   * new: a request refused with `use_dpop_nonce` is then worth one retry.
   */
  remember(url: string | URL, headers: Headers): boolean {
    const nonce = headers.get('dpop-nonce');
    if (nonce === null || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce)) return false;
    const origin = new URL(url).origin;
    if (this.nonces.get(origin) === nonce) return false;
    this.nonces.set(origin, nonce);
    return true;
  }
}
