/**
 * The console's storage: sessions, two-factor state (columns of `entities`) and the per-email
 * sign-in lockout (console-lockout.ts). Tables are those of migrations 0002 and 0005 (the flash column); their types are
 * added to the shared schema here with `withTables`, so the rest of the store does not see them.
 */
import type { Kysely } from 'kysely';
import type { StoreContext, Tx } from '../context.ts';
import type {
  ConsoleCandidate,
  ConsoleSession,
  ConsoleSessionPatch,
  ConsoleStore,
} from '../ports.ts';
import { type Database, type DbBool, fromDbBool } from '../schema.ts';
import { lockoutStore } from './console-lockout.ts';
import { num } from './rows.ts';

interface ConsoleSessionsTable {
  id_hash: string;
  stage: string;
  email_lc: string;
  /** JSON array of {accountId, entityId}. */
  candidates: string;
  account_id: string | null;
  entity_id: number | null;
  role_id: number | null;
  two_factor_done: DbBool;
  pending_totp_secret: string | null;
  /** Migration 0005: the sealed one-time value of setFlash/takeFlash. */
  flash: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

type ConsoleTables = {
  console_sessions: ConsoleSessionsTable;
};

type ConsoleDb = Kysely<Database & ConsoleTables>;

const toSession = (r: ConsoleSessionsTable): ConsoleSession => ({
  idHash: r.id_hash,
  stage: r.stage as ConsoleSession['stage'],
  emailLc: r.email_lc,
  candidates: JSON.parse(r.candidates) as ConsoleCandidate[],
  accountId: r.account_id,
  entityId: r.entity_id === null ? null : num(r.entity_id),
  roleId: r.role_id === null ? null : num(r.role_id),
  twoFactorDone: fromDbBool(r.two_factor_done),
  pendingTotpSecret: r.pending_totp_secret,
  createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at),
  expiresAt: num(r.expires_at),
});

function toRow(ctx: StoreContext, s: ConsoleSession): ConsoleSessionsTable {
  return {
    id_hash: s.idHash,
    stage: s.stage,
    email_lc: s.emailLc,
    candidates: JSON.stringify(s.candidates),
    account_id: s.accountId,
    entity_id: s.entityId,
    role_id: s.roleId,
    two_factor_done: ctx.bool(s.twoFactorDone),
    pending_totp_secret: s.pendingTotpSecret,
    // A new row (or a rotated id) starts without a flash.
    flash: null,
    created_at: s.createdAt,
    last_seen_at: s.lastSeenAt,
    expires_at: s.expiresAt,
  };
}

/** Session fields a patch may change, and their columns. */
const COLUMN = {
  stage: 'stage',
  candidates: 'candidates',
  accountId: 'account_id',
  entityId: 'entity_id',
  roleId: 'role_id',
  twoFactorDone: 'two_factor_done',
  pendingTotpSecret: 'pending_totp_secret',
  lastSeenAt: 'last_seen_at',
  expiresAt: 'expires_at',
} as const satisfies Record<keyof ConsoleSessionPatch, keyof ConsoleSessionsTable>;
const PATCHABLE = Object.keys(COLUMN) as (keyof typeof COLUMN)[];

/** Defaults for converting a lone patch with toRow (only the patched columns are used). */
const emptySession: ConsoleSession = {
  idHash: '',
  stage: 'choose',
  emailLc: '',
  candidates: [],
  accountId: null,
  entityId: null,
  roleId: null,
  twoFactorDone: false,
  pendingTotpSecret: null,
  createdAt: 0,
  lastSeenAt: 0,
  expiresAt: 0,
};

function recoveryCodesOf(text: string | null): string[] {
  if (text === null) return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
}

export function consoleStore(ctx: StoreContext): ConsoleStore {
  const db: ConsoleDb = ctx.db.withTables<ConsoleTables>();
  const inTx = <T>(fn: (trx: Kysely<Database & ConsoleTables>) => Promise<T>): Promise<T> =>
    ctx.write((trx: Tx) => fn(trx.withTables<ConsoleTables>()));

  return {
    sessions: {
      async create(session) {
        await db.insertInto('console_sessions').values(toRow(ctx, session)).execute();
      },

      async get(idHash) {
        const row = await db
          .selectFrom('console_sessions')
          .selectAll()
          .where('id_hash', '=', idHash)
          .executeTakeFirst();
        return row ? toSession(row) : null;
      },

      rotate: (oldHash, newHash, patch: ConsoleSessionPatch) =>
        // Read, delete and re-insert in one transaction: of two concurrent rotations of one id
        // only the first finds the row (PostgreSQL: row lock; SQLite: BEGIN IMMEDIATE).
        inTx(async (trx) => {
          let q = trx.selectFrom('console_sessions').selectAll().where('id_hash', '=', oldHash);
          if (ctx.forUpdate) q = q.forUpdate();
          const row = await q.executeTakeFirst();
          if (!row) return false;
          await trx.deleteFrom('console_sessions').where('id_hash', '=', oldHash).execute();
          const next: ConsoleSession = { ...toSession(row), ...patch, idHash: newHash };
          await trx.insertInto('console_sessions').values(toRow(ctx, next)).execute();
          return true;
        }),

      async update(idHash, patch) {
        const full = toRow(ctx, { ...emptySession, ...patch });
        const set: Partial<ConsoleSessionsTable> = {};
        for (const key of PATCHABLE) {
          if (patch[key] !== undefined) Object.assign(set, { [COLUMN[key]]: full[COLUMN[key]] });
        }
        if (Object.keys(set).length === 0) set.id_hash = idHash;
        const r = await db
          .updateTable('console_sessions')
          .set(set)
          .where('id_hash', '=', idHash)
          .executeTakeFirst();
        return num(r.numUpdatedRows) === 1;
      },

      async touch(idHash, lastSeenAt) {
        await db
          .updateTable('console_sessions')
          .set({ last_seen_at: lastSeenAt })
          .where('id_hash', '=', idHash)
          .execute();
      },

      async delete(idHash) {
        await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
      },

      deleteForEntity: (accountId, entityId) =>
        inTx(async (trx) => {
          const named = await trx
            .deleteFrom('console_sessions')
            .where('account_id', '=', accountId)
            .where('entity_id', '=', entityId)
            .executeTakeFirst();
          // Sessions still choosing hold their candidates as JSON text: few rows (a choose
          // stage lives minutes), read and matched here rather than with dialect-specific JSON.
          const choosing = await trx
            .selectFrom('console_sessions')
            .select(['id_hash', 'candidates'])
            .where('stage', '=', 'choose')
            .execute();
          const opened = choosing
            .filter((r) =>
              (JSON.parse(r.candidates) as ConsoleCandidate[]).some(
                (c) => c.accountId === accountId && c.entityId === entityId,
              ),
            )
            .map((r) => r.id_hash);
          if (opened.length === 0) return num(named.numDeletedRows);
          const r = await trx
            .deleteFrom('console_sessions')
            .where('id_hash', 'in', opened)
            .executeTakeFirst();
          return num(named.numDeletedRows) + num(r.numDeletedRows);
        }),

      async expire(now, idleBefore) {
        const r = await db
          .deleteFrom('console_sessions')
          .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)]))
          .executeTakeFirst();
        return num(r.numDeletedRows);
      },

      async setFlash(idHash, sealed) {
        const r = await db
          .updateTable('console_sessions')
          .set({ flash: sealed })
          .where('id_hash', '=', idHash)
          .executeTakeFirst();
        return num(r.numUpdatedRows) === 1;
      },

      takeFlash: (idHash) =>
        // Read and clear under the row lock (PostgreSQL) / write lock (SQLite): two reloads
        // racing for one flash cannot both get it.
        inTx(async (trx) => {
          let q = trx
            .selectFrom('console_sessions')
            .select('flash')
            .where('id_hash', '=', idHash)
            .where('flash', 'is not', null);
          if (ctx.forUpdate) q = q.forUpdate();
          const row = await q.executeTakeFirst();
          if (!row || row.flash === null) return null;
          await trx
            .updateTable('console_sessions')
            .set({ flash: null })
            .where('id_hash', '=', idHash)
            .execute();
          return row.flash;
        }),
    },

    twoFactor: {
      async get(accountId, entityId) {
        const row = await db
          .selectFrom('entities')
          .select(['totp_secret', 'recovery_codes'])
          .where('account_id', '=', accountId)
          .where('id', '=', entityId)
          .executeTakeFirst();
        if (!row) return null;
        return {
          totpSecret: row.totp_secret,
          recoveryCodesLeft: recoveryCodesOf(row.recovery_codes).length,
        };
      },

      async set(accountId, entityId, totpSecret, recoveryCodeHashes) {
        const r = await db
          .updateTable('entities')
          .set({ totp_secret: totpSecret, recovery_codes: JSON.stringify(recoveryCodeHashes) })
          .where('account_id', '=', accountId)
          .where('id', '=', entityId)
          .executeTakeFirst();
        return num(r.numUpdatedRows) === 1;
      },

      consumeRecoveryCode: (accountId, entityId, codeHash) =>
        // Read-modify-write under the row lock (PostgreSQL) / write lock (SQLite): two
        // sign-ins racing with one code cannot both remove it.
        inTx(async (trx) => {
          let q = trx
            .selectFrom('entities')
            .select('recovery_codes')
            .where('account_id', '=', accountId)
            .where('id', '=', entityId);
          if (ctx.forUpdate) q = q.forUpdate();
          const row = await q.executeTakeFirst();
          if (!row) return false;
          const codes = recoveryCodesOf(row.recovery_codes);
          const at = codes.indexOf(codeHash);
          if (at < 0) return false;
          codes.splice(at, 1);
          await trx
            .updateTable('entities')
            .set({ recovery_codes: JSON.stringify(codes) })
            .where('account_id', '=', accountId)
            .where('id', '=', entityId)
            .execute();
          return true;
        }),

      async reset(accountId, entityId) {
        const r = await db
          .updateTable('entities')
          .set({ totp_secret: null, recovery_codes: null })
          .where('account_id', '=', accountId)
          .where('id', '=', entityId)
          .executeTakeFirst();
        return num(r.numUpdatedRows) === 1;
      },
    },

    lockout: lockoutStore(ctx),
  };
}
