/**
 * Server-provided DPoP nonces (RFC 9449 §8), when the operator turns them on (`serve
 * --dpop-nonce`). A nonce is the time it was made, sealed with the master key (AES-GCM, its own
 * context): every node sharing the store's secret accepts every other node's nonces, and no
 * nonce table is needed. It is good for NONCE_TTL_MS; a proof with none, a forged one or an old
 * one is answered `use_dpop_nonce` with a fresh one in `DPoP-Nonce`.
 */
import type { MasterKey } from '../../crypto/master-key.ts';
import type { Clock } from '../../domain/clock.ts';

/** How long a nonce stays good: clients fetch a new one at most this often. */
export const NONCE_TTL_MS = 5 * 60_000;
/** A nonce made by a node whose clock runs this far ahead is still accepted. */
const NONCE_SKEW_MS = 5_000;
const CONTEXT = 'certmint dpop-nonce';

export class DpopNonces {
  constructor(
    private readonly master: MasterKey,
    private readonly clock: Clock,
  ) {}

  /** A new nonce (RFC 9449 §8.1: NQCHAR only; the sealed form is base64url and dots). */
  issue(): string {
    return this.master.encrypt(String(this.clock.now()), CONTEXT);
  }

  /** True when `nonce` was made by a node of this cluster within NONCE_TTL_MS. */
  accepts(nonce: string | undefined): boolean {
    if (nonce === undefined || nonce.length > 256) return false;
    let made: number;
    try {
      made = Number(this.master.decrypt(nonce, CONTEXT));
    } catch {
      return false;
    }
    const now = this.clock.now();
    return Number.isSafeInteger(made) && made <= now + NONCE_SKEW_MS && now - made < NONCE_TTL_MS;
  }
}
