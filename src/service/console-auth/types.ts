/** What console authentication depends on, and what it answers. */
import type { MasterKey } from '../../crypto/master-key.ts';
import type { Account } from '../../domain/account.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Entity } from '../../domain/entity.ts';
import type { Role } from '../../domain/permissions.ts';
import type { ConsoleAuthStore, ConsoleSessionStage } from '../../store/ports.ts';
import type { Actor } from '../context.ts';

/** How entities, roles and accounts are read (the token path's RecordCache, or the store). */
export interface AuthRecords {
  account(id: string): Promise<Account | null>;
  entity(accountId: string, id: number): Promise<Entity | null>;
  role(accountId: string, id: number): Promise<Role | null>;
}

export interface ConsoleAuthDeps {
  store: ConsoleAuthStore;
  clock: Clock;
  /** Seals TOTP secrets at rest (AES-256-GCM); they are opened only inside this service. */
  master: Pick<MasterKey, 'encrypt' | 'decrypt'>;
  records: AuthRecords;
}

export type EntityActor = Extract<Actor, { kind: 'entity' }>;

/** A fully signed-in user: who acts, as which entity in which role. */
export interface SignedInUser {
  actor: EntityActor;
  entity: Entity;
  role: Role;
}

/** What the console may know of a session: where it is in the sign-in. */
export interface SessionState {
  stage: ConsoleSessionStage;
}

/** The session a cookie names (null when none or expired), and its user once signed in. */
export interface Authenticated {
  session: SessionState | null;
  user: SignedInUser | null;
}

/** One (account, entity, role) a password opens, as the choose step offers it. */
export interface Choice {
  /** `account:entity:role`, the form value. */
  value: string;
  accountId: string;
  accountKind: string;
  entityId: number;
  roleId: number;
  roleName: string;
  twoFactor: boolean;
}

/** Where a sign-in step leads; `sessionId` is the new id for the cookie. */
export type Continued =
  | { kind: 'choose'; sessionId: string }
  | { kind: 'two_factor'; sessionId: string }
  | { kind: 'signed_in'; sessionId: string };

export type SignInResult =
  | Continued
  /** Wrong email or password (one answer for both). */
  | { kind: 'refused' }
  | { kind: 'locked'; until: number }
  /** The password is right but opens no active role; any earlier session was ended. */
  | { kind: 'no_role' };

export type ChooseResult =
  | Continued
  /** The session is not at the choose step (or is gone). */
  | { kind: 'no_session' }
  | { kind: 'invalid'; choices: Choice[] };

export type TwoFactorPrompt =
  /** First use: the secret to add to an app (Base32 and otpauth URI). */
  | { kind: 'enrol'; secret: string; uri: string; roleName: string }
  | { kind: 'code'; accountId: string; roleName: string };

export type CodeResult =
  | { kind: 'no_session' }
  /** Wrong code; the step to show again. */
  | { kind: 'invalid'; prompt: TwoFactorPrompt }
  /** The email is locked; the half-finished session was ended. */
  | { kind: 'locked'; until: number }
  /** Enrolled and signed in: the recovery codes, to show once. */
  | { kind: 'enrolled'; sessionId: string; recoveryCodes: string[] }
  | { kind: 'signed_in'; sessionId: string; usedRecoveryCode: boolean };

export interface TwoFactorStatus {
  enrolled: boolean;
  recoveryCodesLeft: number;
}

export interface PurgeResult {
  sessions: number;
  lockouts: number;
}

/**
 * A value shown once on the page after a redirect (flash.ts): never in a URL, gone after it
 * was shown.
 */
export type ConsoleFlash =
  /** A new integration's client secret (stored only hashed: this is its one showing). */
  | { kind: 'integration_created'; integrationId: number; clientSecret: string }
  /** Recovery codes made at two-factor enrolment. */
  | { kind: 'recovery_codes'; codes: string[] }
  /** A new mapping, and what its creator should know although it was accepted. */
  | {
      kind: 'mapping_created';
      certificateId: string;
      warnings: { code: string; message: string }[];
    };
