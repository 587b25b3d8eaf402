/**
 * Set-up for the console-auth service tests: a real store (each backend), the record cache the
 * console uses, a real master key, a frozen clock, and an account with its Administrator.
 */
import { createHash } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import type { Entity } from '../../src/domain/entity.ts';
import {
  type ConsoleAuth,
  type ConsoleAuthDeps,
  createConsoleAuth,
} from '../../src/service/console-auth/index.ts';
import type { ServiceDeps } from '../../src/service/context.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { RecordCache } from '../../src/service/token/record-cache.ts';
import type { ConsoleAuthStore } from '../../src/store/ports.ts';
import type { StoreFactory, TestStore } from '../support/stores.ts';

/** At the start of a 30-second TOTP step, so `clock.advance(30_000)` is always the next step. */
export const T0 = 1_700_000_010_000;
export const A = '123456';
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin password 123';

export const master = loadMasterKey({
  secret: 'console-auth-test-secret-0123456789',
  keyFile: '/nonexistent',
});

export interface AuthFixture {
  store: TestStore;
  clock: FixedClock;
  /** For the record use cases (set-up, and the CLI's path). */
  svc: ServiceDeps;
  deps: ConsoleAuthDeps;
  auth: ConsoleAuth;
  admin: Entity;
  close(): Promise<void>;
}

/**
 * A fresh store with account A and its Administrator (email ADMIN_EMAIL). `wrap` may put a
 * hook between the service and the real store (to hold calls and force an interleaving).
 */
export async function authFixture(
  f: StoreFactory,
  wrap: (s: ConsoleAuthStore) => ConsoleAuthStore = (s) => s,
): Promise<AuthFixture> {
  const clock = new FixedClock(T0);
  const store = await f.open({ clock });
  const svc: ServiceDeps = { store, clock };
  await createAccount(svc, SYSTEM, { id: A });
  const admin = await createEntity(svc, SYSTEM, {
    accountId: A,
    name: 'Admin',
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
  });
  await assignRole(svc, SYSTEM, { accountId: A, entityId: admin.id, roleId: 3 });
  const cache = new RecordCache(store, clock);
  const deps: ConsoleAuthDeps = { store: wrap(store), clock, master, records: cache };
  return {
    store,
    clock,
    svc,
    deps,
    auth: createConsoleAuth(deps),
    admin,
    close: async () => {
      cache.close();
      await store.close();
    },
  };
}

/** A role without two-factor (it cannot manage mappings). */
export async function readerRole(fx: AuthFixture, accountId = A): Promise<number> {
  const role = await createRole(fx.svc, SYSTEM, {
    accountId,
    name: 'Reader',
    permissions: ['integration_application'],
  });
  return role.id;
}

/** An entity with a console password holding `roleIds`. */
export async function person(
  fx: AuthFixture,
  email: string,
  password: string,
  roleIds: number[],
  accountId = A,
): Promise<Entity> {
  const e = await createEntity(fx.svc, SYSTEM, { accountId, name: email, email, password });
  for (const roleId of roleIds)
    await assignRole(fx.svc, SYSTEM, { accountId, entityId: e.id, roleId });
  return e;
}

export const totpCode = (secret: string, at: number): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at });

/** How the store names a session: the SHA-256 of its id. */
export const idHash = (id: string): string => createHash('sha256').update(id).digest('hex');

/** The new session id of a result that continues the sign-in. */
export function sessionOf(r: { kind: string; sessionId?: string }, kind: string): string {
  if (r.kind !== kind || r.sessionId === undefined) {
    throw new Error(`expected ${kind}, got ${JSON.stringify(r)}`);
  }
  return r.sessionId;
}

/** Signs the Administrator in through enrolment; returns the session id, secret and codes. */
export async function enrolAdmin(
  fx: AuthFixture,
): Promise<{ sessionId: string; secret: string; recoveryCodes: string[] }> {
  const pending = sessionOf(
    await fx.auth.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    'two_factor',
  );
  const prompt = await fx.auth.twoFactorPrompt(pending);
  if (prompt?.kind !== 'enrol') throw new Error(`expected enrolment, got ${prompt?.kind}`);
  const r = await fx.auth.submitCode(pending, totpCode(prompt.secret, fx.clock.now()));
  if (r.kind !== 'enrolled') throw new Error(`enrolment refused: ${r.kind}`);
  fx.clock.advance(30_000); // the next code is of a fresh step
  return { sessionId: r.sessionId, secret: prompt.secret, recoveryCodes: r.recoveryCodes };
}
