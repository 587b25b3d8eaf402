/**
 * Rate limits of the OAuth endpoints (token, introspect, revoke), per remote address and per
 * authenticated client id: token buckets in memory, one per key, refilled continuously. They
 * cost a Map lookup per request and no I/O, so they are per node: with N nodes behind a load
 * balancer a client may reach N times the limit (a cluster-wide bucket would add a database
 * round trip to every request).
 *
 * - The address is charged for every request, before the body is parsed, so junk from one
 *   source is stopped before it costs anything. IPv6 addresses count per /64 (one host usually
 *   holds a whole /64, RFC 6177), IPv4 per address.
 * - The client id is charged only once the caller has proved possession of the mapped key:
 *   nobody can use up another integration's budget by sending assertions in its name, and a
 *   refusal before authentication stays the uniform `invalid_client` (no oracle on client ids).
 */
import type { Clock } from '../../domain/clock.ts';
import { rateLimited } from '../../domain/oauth-error.ts';

export interface RateLimits {
  /** Requests per minute per authenticated client id (burst: the same number); 0: no limit. */
  perClientPerMinute: number;
  /** Requests per minute per remote address (IPv6: per /64); 0: no limit. */
  perAddressPerMinute: number;
}

/**
 * Far above a real integration, whose access token lives an hour: 100 requests a second per
 * client id (bursts of 6000) and 500 a second per address (several integrations behind one
 * NAT). One node serves a few thousand token requests a second, so one runaway client takes at
 * most a few percent of it, and one address a sixth.
 */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = {
  perClientPerMinute: 6000,
  perAddressPerMinute: 30_000,
};

/** Keys held per limit; beyond this the longest-idle buckets are dropped (memory is bounded). */
export const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets of one limit. `take` answers 0 when the request may go on, else the seconds
 * until one token is back (for Retry-After).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly capacity: number,
    private readonly maxKeys = MAX_BUCKETS,
  ) {
    this.perMs = capacity / 60_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, now: number): number {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      b = { tokens: this.capacity, at: now };
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is then least recently used first
      // A clock set back refills nothing (and takes nothing back).
      b.tokens = Math.min(this.capacity, b.tokens + Math.max(0, now - b.at) * this.perMs);
      b.at = now;
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Full buckets are as good as none: drop them; if that is not enough, the oldest tenth. */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + Math.max(0, now - b.at) * this.perMs >= this.capacity) {
        this.buckets.delete(key);
      }
    }
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.ceil(this.maxKeys / 10);
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

/** The key of an address: IPv4 (or IPv4-mapped IPv6) as is, IPv6 by its /64 prefix. */
export function addressKey(address: string | null): string {
  if (address === null || address === '') return 'unknown';
  const plain = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return mapped[1] as string;
  if (!plain.includes(':')) return plain;
  // Fast path: the first four groups are written out before any `::`.
  const head = plain.split('::', 1)[0]?.split(':', 5) ?? [];
  const groups = head.length >= 4 && head.length <= 8 ? head : expandIPv6(plain);
  if (groups === null) return plain;
  const prefix = groups.slice(0, 4);
  if (!prefix.every((g) => HEX_GROUP.test(g))) return plain;
  return `${prefix.map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/;

/** The eight 16-bit groups of an IPv6 address (hex), or null. */
function expandIPv6(address: string): string[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined): string[] => (s ? s.split(':') : []);
  let head = part(halves[0]);
  let tail = part(halves[1]);
  // An embedded IPv4 tail (::1.2.3.4) is two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  if (last?.includes('.')) {
    const bytes = last.split('.').map(Number);
    const hex = (a = 0, b = 0) => ((a << 8) | b).toString(16);
    const groups = [hex(bytes[0], bytes[1]), hex(bytes[2], bytes[3])];
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...groups];
    else head = [...head.slice(0, -1), ...groups];
  }
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  return all.every((g) => HEX_GROUP.test(g)) ? all : null;
}

/** Both limits of one node. Each `admit…` throws the audited 429 (`RateLimited`) when spent. */
export class RateLimiter {
  private readonly clients: TokenBuckets | null;
  private readonly addresses: TokenBuckets | null;
  /** Requests refused by each limit since start (the rate-limit metric). */
  readonly refused = { address: 0, client: 0 };

  constructor(
    private readonly clock: Clock,
    readonly limits: Readonly<RateLimits> = DEFAULT_RATE_LIMITS,
  ) {
    for (const [name, n] of Object.entries(limits)) {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`${name} must be a whole number, 0 or more (got ${String(n)})`);
      }
    }
    this.clients =
      limits.perClientPerMinute > 0 ? new TokenBuckets(limits.perClientPerMinute) : null;
    this.addresses =
      limits.perAddressPerMinute > 0 ? new TokenBuckets(limits.perAddressPerMinute) : null;
  }

  admitAddress(address: string | null): void {
    const wait = this.addresses?.take(addressKey(address), this.clock.now()) ?? 0;
    if (wait > 0) {
      this.refused.address++;
      throw rateLimited(wait);
    }
  }

  admitClient(clientId: string): void {
    const wait = this.clients?.take(clientId, this.clock.now()) ?? 0;
    if (wait > 0) {
      this.refused.client++;
      throw rateLimited(wait);
    }
  }
}
