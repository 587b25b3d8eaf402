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

/** A record of an account by its numeric id, as the caches key it. */
const recordKey = (accountId: string, id: number): string => `${accountId}\u0000${id}`;

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

  account(id: string): Promise<Account | null> {
    return this.readThrough(this.accounts, id, id, () => this.store.accounts.get(id));
  }

  /**
   * The cached answer, or undefined when it is not in memory: the token path reads every record
   * through these first and awaits the store only on a miss (no promise per hit).
   */
  peekMapping(certificateId: string): CachedMapping | undefined {
    // Misses are not cached: a null is never stored.
    return this.peekIn(this.mappings, certificateId) ?? undefined;
  }

  peekIntegration(accountId: string, id: number): Integration | null | undefined {
    return this.peekIn(this.integrations, recordKey(accountId, id));
  }

  peekEntity(accountId: string, id: number): Entity | null | undefined {
    return this.peekIn(this.entities, recordKey(accountId, id));
  }

  peekRole(accountId: string, id: number): Role | null | undefined {
    return this.peekIn(this.roles, recordKey(accountId, id));
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

  integration(accountId: string, id: number): Promise<Integration | null> {
    return this.readThrough(this.integrations, recordKey(accountId, id), accountId, () =>
      this.store.integrations.get(accountId, id),
    );
  }

  entity(accountId: string, id: number): Promise<Entity | null> {
    return this.readThrough(this.entities, recordKey(accountId, id), accountId, () =>
      this.store.entities.get(accountId, id),
    );
  }

  role(accountId: string, id: number): Promise<Role | null> {
    return this.readThrough(this.roles, recordKey(accountId, id), accountId, () =>
      this.store.roles.get(accountId, id),
    );
  }

  /** `key`'s entry while fresh (counted as a hit), else undefined. */
  private peekIn<T>(map: Bounded<T>, key: string): T | undefined {
    const hit = map.get(key, this.clock.now(), this.ttl);
    if (hit !== undefined) this.hits++;
    return hit;
  }

  /** `key`'s entry, or the store's answer (null included) read and kept under `accountId`. */
  private async readThrough<T>(
    map: Bounded<T>,
    key: string,
    accountId: string,
    load: () => Promise<T>,
  ): Promise<T> {
    const hit = this.peekIn(map, key);
    if (hit !== undefined) return hit;
    const now = this.clock.now();
    this.misses++;
    const v = await load();
    map.set(key, accountId, v, now);
    return v;
  }

  get size(): number {
    return this.mappings.size;
  }
}
