/**
 * The per-email sign-in lockout (table `console_sign_in_failures` of migration 0002). Every
 * method that reads and then writes a row does so in one transaction under the row lock
 * (PostgreSQL: the row is inserted if missing, then locked FOR UPDATE; SQLite: BEGIN
 * IMMEDIATE holds the whole database), so concurrent attempts are counted one after another.
 */
import type { Kysely } from 'kysely';
import type { StoreContext, Tx } from '../context.ts';
import type { SignInAttempt, SignInLockoutPolicy, SignInLockoutStore } from '../ports.ts';
import type { Database } from '../schema.ts';
import { num } from './rows.ts';

export interface SignInFailuresTable {
  email_lc: string;
  /** Attempts counted in the current window (up front: see SignInLockoutStore.beginAttempt). */
  failures: number;
  window_start: number;
  locked_until: number | null;
}

type LockoutTables = { console_sign_in_failures: SignInFailuresTable };
type LockoutDb = Kysely<Database & LockoutTables>;

interface Row {
  failures: number;
  windowStart: number;
  lockedUntil: number | null;
}

/** The email's row, inserted empty if missing and locked for the rest of the transaction. */
async function lockRow(ctx: StoreContext, trx: LockoutDb, emailLc: string, now: number) {
  // Insert-if-missing first, so the row exists to be locked: two first attempts at once
  // cannot both insert (one unique key) and neither is lost.
  await trx
    .insertInto('console_sign_in_failures')
    .values({ email_lc: emailLc, failures: 0, window_start: now, locked_until: null })
    .onConflict((oc) => oc.column('email_lc').doNothing())
    .execute();
  let q = trx.selectFrom('console_sign_in_failures').selectAll().where('email_lc', '=', emailLc);
  if (ctx.forUpdate) q = q.forUpdate();
  const r = await q.executeTakeFirstOrThrow();
  return {
    failures: num(r.failures),
    windowStart: num(r.window_start),
    lockedUntil: r.locked_until === null ? null : num(r.locked_until),
  } satisfies Row;
}

async function save(trx: LockoutDb, emailLc: string, row: Row): Promise<void> {
  await trx
    .updateTable('console_sign_in_failures')
    .set({ failures: row.failures, window_start: row.windowStart, locked_until: row.lockedUntil })
    .where('email_lc', '=', emailLc)
    .execute();
}

/** The row with one more attempt counted: a new window after the old one ran out or a lock ended. */
function counted(row: Row, now: number, policy: SignInLockoutPolicy): Row {
  const fresh = row.lockedUntil !== null || now - row.windowStart >= policy.windowMs;
  return fresh
    ? { failures: 1, windowStart: now, lockedUntil: null }
    : { ...row, failures: row.failures + 1 };
}

const lockedAt = (row: Row, now: number): number | null =>
  row.lockedUntil !== null && row.lockedUntil > now ? row.lockedUntil : null;

export function lockoutStore(ctx: StoreContext): SignInLockoutStore {
  const db: LockoutDb = ctx.db.withTables<LockoutTables>();
  const inTx = <T>(fn: (trx: LockoutDb) => Promise<T>): Promise<T> =>
    ctx.write((trx: Tx) => fn(trx.withTables<LockoutTables>()));

  return {
    beginAttempt: (emailLc, now, policy) =>
      inTx(async (trx): Promise<SignInAttempt> => {
        const row = await lockRow(ctx, trx, emailLc, now);
        const locked = lockedAt(row, now);
        if (locked !== null) return { allowed: false, lockedUntil: locked };
        const next = counted(row, now, policy);
        if (next.failures > policy.maxFailures) {
          const lockedUntil = now + policy.lockMs;
          await save(trx, emailLc, { ...next, lockedUntil });
          return { allowed: false, lockedUntil };
        }
        await save(trx, emailLc, next);
        return { allowed: true };
      }),

    attemptFailed: (emailLc, now, policy) =>
      inTx(async (trx) => {
        const row = await lockRow(ctx, trx, emailLc, now);
        const locked = lockedAt(row, now);
        if (locked !== null) return locked;
        // The row is fresh (failures 0) when a success cleared it meanwhile: this failure
        // then starts the count again.
        const failures = Math.max(row.failures, 1);
        if (failures < policy.maxFailures) {
          if (failures !== row.failures) await save(trx, emailLc, { ...row, failures });
          return null;
        }
        const lockedUntil = now + policy.lockMs;
        await save(trx, emailLc, { ...row, failures, lockedUntil });
        return lockedUntil;
      }),

    async attemptPassed(emailLc) {
      await db
        .updateTable('console_sign_in_failures')
        .set((eb) => ({ failures: eb('failures', '-', 1) }))
        .where('email_lc', '=', emailLc)
        .where('failures', '>', 0)
        .execute();
    },

    async lockedUntil(emailLc, now) {
      const row = await db
        .selectFrom('console_sign_in_failures')
        .select('locked_until')
        .where('email_lc', '=', emailLc)
        .executeTakeFirst();
      const until = row?.locked_until == null ? null : num(row.locked_until);
      return until !== null && until > now ? until : null;
    },

    recordFailure: (emailLc, now, policy) =>
      inTx(async (trx) => {
        const row = await lockRow(ctx, trx, emailLc, now);
        const locked = lockedAt(row, now);
        if (locked !== null) return locked;
        const next = counted(row, now, policy);
        const until = next.failures >= policy.maxFailures ? now + policy.lockMs : null;
        await save(trx, emailLc, { ...next, lockedUntil: until });
        return until;
      }),

    async clear(emailLc) {
      await db.deleteFrom('console_sign_in_failures').where('email_lc', '=', emailLc).execute();
    },

    async purge(before) {
      const r = await db
        .deleteFrom('console_sign_in_failures')
        .where('window_start', '<', before)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', before)]))
        .executeTakeFirst();
      return num(r.numDeletedRows);
    },
  };
}
