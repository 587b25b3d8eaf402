import { invalidInput } from './errors.ts';

export type AccountKind = 'production' | 'sandbox' | 'release-preview';

export interface Account {
  id: string;
  kind: AccountKind;
  /** The production account a sandbox or release preview belongs to; null for production. */
  parentId: string | null;
  createdAt: number;
  /** Last sandbox refresh (ms), null if never refreshed. */
  refreshedAt: number | null;
}

const PRODUCTION = /^(?:[0-9]+|TSTDRV[0-9]+)$/;
const SANDBOX = /^((?:[0-9]+|TSTDRV[0-9]+))_SB([1-9][0-9]*)$/;
const RELEASE_PREVIEW = /^((?:[0-9]+|TSTDRV[0-9]+))_RP$/;
const MAX_ID_LENGTH = 40;

export interface ParsedAccountId {
  id: string;
  kind: AccountKind;
  parentId: string | null;
}

/**
 * Parses an account id in NetSuite's forms: `123456` or `TSTDRV123` (production),
 * `<prod>_SB<n>` (sandbox), `<prod>_RP` (release preview). Accepts the host form
 * (`123456-sb1`, lower case) and normalizes it to the canonical upper-case `_` form.
 */
export function parseAccountId(input: string): ParsedAccountId {
  const id = input.trim().toUpperCase().replace(/-/g, '_');
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw invalidInput(
      'account.invalid_id',
      `"${input.slice(0, 60)}" is not an account id: use digits (123456), TSTDRV digits, or <production>_SB<n> / <production>_RP`,
    );
  }
  if (PRODUCTION.test(id)) return { id, kind: 'production', parentId: null };
  const sb = SANDBOX.exec(id);
  if (sb?.[1]) return { id, kind: 'sandbox', parentId: sb[1] };
  const rp = RELEASE_PREVIEW.exec(id);
  if (rp?.[1]) return { id, kind: 'release-preview', parentId: rp[1] };
  throw invalidInput(
    'account.invalid_id',
    `"${input.slice(0, 60)}" is not an account id: use digits (123456), TSTDRV digits, or <production>_SB<n> / <production>_RP`,
  );
}

/** NetSuite's host form of an account id: lower case, `_` → `-` (123456_SB1 → 123456-sb1). */
export const accountHostForm = (id: string): string => id.toLowerCase().replace(/_/g, '-');
