/**
 * One-time values for the page after a redirect (POST/redirect/GET): a new integration's client
 * secret, recovery codes, the warnings of a new mapping. The value lives in the session's row,
 * sealed with the master key (AES-256-GCM) like the TOTP secret, bound to the session's account
 * and entity; taking it clears it in the same step, so a reload never shows it again and it is
 * never in a URL. A flash older than FLASH_TTL_MS is not shown.
 */
import type { Sessions } from './sessions.ts';
import type { ConsoleAuthDeps, ConsoleFlash } from './types.ts';

/** Long enough for a slow redirect, short enough that a forgotten secret does not linger. */
export const FLASH_TTL_MS = 10 * 60_000;

const contextOf = (accountId: string, entityId: number): string =>
  `console-flash:${accountId}:${entityId}`;

interface Sealed {
  at: number;
  flash: ConsoleFlash;
}

/** Keeps `flash` for the signed-in session's next page; false when it is not signed in. */
export async function setFlash(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
  flash: ConsoleFlash,
): Promise<boolean> {
  const s = await sessions.current(sessionId);
  if (s?.stage !== 'active' || s.accountId === null || s.entityId === null) return false;
  const value: Sealed = { at: deps.clock.now(), flash };
  const sealed = deps.master.encrypt(JSON.stringify(value), contextOf(s.accountId, s.entityId));
  return deps.store.console.sessions.setFlash(s.idHash, sealed);
}

/** The session's flash, once: it is cleared by this call whatever it holds. */
export async function takeFlash(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
): Promise<ConsoleFlash | null> {
  const s = await sessions.current(sessionId);
  if (s?.stage !== 'active' || s.accountId === null || s.entityId === null) return null;
  const sealed = await deps.store.console.sessions.takeFlash(s.idHash);
  if (sealed === null) return null;
  let value: Sealed;
  try {
    value = JSON.parse(deps.master.decrypt(sealed, contextOf(s.accountId, s.entityId))) as Sealed;
  } catch {
    // Sealed for another entity or under another key: never shown.
    return null;
  }
  return deps.clock.now() - value.at <= FLASH_TTL_MS ? value.flash : null;
}
