/**
 * Read-through cache of the records the token endpoint reads on every request: the mapping (with
 * its warm verification key), integration, entity, role and account. Entries are dropped when
 * the store's change feed reports a change to their account (PostgreSQL NOTIFY across nodes;
 * SQLite in-process and the change-counter poll), and expire after `ttlMs` as a backstop.
 */

import { prepareVerificationKey, type VerificationKey } from '../../crypto/algorithms.ts';
import type { Account } from '../../domain/account.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Entity } from '../../domain/entity.ts';
import type { Integration } from '../../domain/integration.ts';
import type { Mapping } from '../../domain/mapping.ts';
import type { Role } from '../../domain/permissions.ts';
import type { Store } from '../../store/ports.ts';

export interface CachedMapping {
  mapping: Mapping;
  key: VerificationKey;
}

interface Entry<T> {
  value: T;
  accountId: string;
  at: number;
}

/** A bounded map: least recently inserted entries go first (Map keeps insertion order). */
class Bounded<T> {
  private readonly map = new Map<string, Entry<T>>();
  constructor(private readonly max: number) {}
  get(key: string, now: number, ttl: number): T | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (now - e.at > ttl) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, accountId: string, value: T, now: number): void {
    if (this.map.size >= this.max) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(key, { value, accountId, at: now });
  }
  dropAccount(accountId: string | null): void {
    if (accountId === null) {
      this.map.clear();
      return;
    }
    for (const [k, e] of this.map) if (e.accountId === accountId) this.map.delete(k);
  }
  get size(): number {
    return this.map.size;
  }
}

export interface RecordCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
}

export class RecordCache {
  private readonly mappings: Bounded<CachedMapping | null>;
  private readonly integrations: Bounded<Integration | null>;
  private readonly entities: Bounded<Entity | null>;
  private readonly roles: Bounded<Role | null>;
  private readonly accounts: Bounded<Account | null>;
  private readonly ttl: number;
  private readonly unsubscribe: () => void;
  /** Lookups answered from memory / passed to the store since start (the cache metrics). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    opts: RecordCacheOptions = {},
  ) {
    const max = opts.maxEntries ?? 50_000;
    this.ttl = opts.ttlMs ?? 60_000;
    this.mappings = new Bounded(max);
    this.integrations = new Bounded(max);
    this.entities = new Bounded(max);
    this.roles = new Bounded(max);
    this.accounts = new Bounded(10_000);
    this.unsubscribe = store.changes.subscribe((accountId) => this.invalidate(accountId));
  }

  invalidate(accountId: string | null): void {
    // A mapping is cached under its certificate id, with its account: dropAccount finds it.
    this.mappings.dropAccount(accountId);
    this.integrations.dropAccount(accountId);
    this.entities.dropAccount(accountId);
    this.roles.dropAccount(accountId);
    this.accounts.dropAccount(accountId);
  }

  close(): void {
    this.unsubscribe();
  }

  async account(id: string): Promise<Account | null> {
    const now = this.clock.now();
    const hit = this.accounts.get(id, now, this.ttl);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const a = await this.store.accounts.get(id);
    this.accounts.set(id, id, a, now);
    return a;
  }

  /**
   * The cached answer, or undefined when it is not in memory: the token path reads every record
   * through these first and awaits the store only on a miss (no promise per hit).
   */
  peekMapping(certificateId: string): CachedMapping | undefined {
    const hit = this.mappings.get(certificateId, this.clock.now(), this.ttl);
    if (!hit) return undefined;
    this.hits++;
    return hit;
  }

  peekIntegration(accountId: string, id: number): Integration | null | undefined {
    return this.counted(
      this.integrations.get(`${accountId}\u0000${id}`, this.clock.now(), this.ttl),
    );
  }

  peekEntity(accountId: string, id: number): Entity | null | undefined {
    return this.counted(this.entities.get(`${accountId}\u0000${id}`, this.clock.now(), this.ttl));
  }

  peekRole(accountId: string, id: number): Role | null | undefined {
    return this.counted(this.roles.get(`${accountId}\u0000${id}`, this.clock.now(), this.ttl));
  }

  private counted<T>(hit: T | undefined): T | undefined {
    if (hit !== undefined) this.hits++;
    return hit;
  }

  /** Mapping by certificate id, in any account (callers compare the account). Misses are not cached. */
  async mapping(certificateId: string): Promise<CachedMapping | null> {
    const hit = this.peekMapping(certificateId);
    if (hit) return hit;
    const now = this.clock.now();
    this.misses++;
    const m = await this.store.mappings.get(certificateId);
    if (!m) return null;
    const value = { mapping: m, key: prepareVerificationKey(m.pem) };
    this.mappings.set(certificateId, m.accountId, value, now);
    return value;
  }

  async integration(accountId: string, id: number): Promise<Integration | null> {
    const k = `${accountId}\u0000${id}`;
    const now = this.clock.now();
    const hit = this.integrations.get(k, now, this.ttl);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const v = await this.store.integrations.get(accountId, id);
    this.integrations.set(k, accountId, v, now);
    return v;
  }

  async entity(accountId: string, id: number): Promise<Entity | null> {
    const k = `${accountId}\u0000${id}`;
    const now = this.clock.now();
    const hit = this.entities.get(k, now, this.ttl);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const v = await this.store.entities.get(accountId, id);
    this.entities.set(k, accountId, v, now);
    return v;
  }

  async role(accountId: string, id: number): Promise<Role | null> {
    const k = `${accountId}\u0000${id}`;
    const now = this.clock.now();
    const hit = this.roles.get(k, now, this.ttl);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const v = await this.store.roles.get(accountId, id);
    this.roles.set(k, accountId, v, now);
    return v;
  }

  get size(): number {
    return this.mappings.size;
  }
}
