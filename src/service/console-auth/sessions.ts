/**
 * Server-side console sessions. The browser holds a random 256-bit id; the store holds only its
 * SHA-256, so a leaked database cannot be replayed as cookies. The id is replaced at every
 * privilege step (password accepted, role chosen, two-factor passed): an id planted or observed
 * before sign-in is worthless after it (OWASP: session fixation).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleSession, ConsoleSessionPatch } from '../../store/ports.ts';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, PENDING_TIMEOUT_MS } from './policy.ts';
import type { ConsoleAuthDeps } from './types.ts';

const hashSessionId = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');

function newSessionId(): { id: string; hash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: hashSessionId(id) };
}

/** 256 bits in base64url are 43 characters; anything else was never issued by us. */
const isSessionId = (id: unknown): id is string =>
  typeof id === 'string' && /^[A-Za-z0-9_-]{43}$/.test(id);

export type NewSession = Omit<ConsoleSession, 'idHash' | 'createdAt' | 'lastSeenAt' | 'expiresAt'>;

export interface Sessions {
  /** The session this id names, if it exists and has not expired (an expired one is deleted). */
  current(id: string | undefined): Promise<ConsoleSession | null>;
  /**
   * A fresh session (any session `previousId` names is ended first). Signed in: the absolute
   * lifetime; otherwise the short one of a half-finished sign-in. Returns the new id.
   */
  start(previousId: string | undefined, init: NewSession, signedIn: boolean): Promise<string>;
  /**
   * Moves the session to a new id and applies `patch`; when `signedIn` the absolute lifetime
   * starts now. Null when the session vanished meanwhile (signed out in another tab, expired).
   */
  advance(
    current: ConsoleSession,
    patch: ConsoleSessionPatch,
    signedIn: boolean,
  ): Promise<string | null>;
  /** Ends the session this id names, if any. */
  end(id: string | undefined): Promise<void>;
}

export function sessions(deps: ConsoleAuthDeps): Sessions {
  const store = deps.store.console.sessions;
  return {
    async current(id) {
      if (!isSessionId(id)) return null;
      const session = await store.get(hashSessionId(id));
      if (!session) return null;
      const now = deps.clock.now();
      if (session.expiresAt <= now || session.lastSeenAt + IDLE_TIMEOUT_MS <= now) {
        await store.delete(session.idHash);
        return null;
      }
      return session;
    },

    async start(previousId, init, signedIn) {
      if (isSessionId(previousId)) await store.delete(hashSessionId(previousId));
      const now = deps.clock.now();
      const { id, hash } = newSessionId();
      await store.create({
        ...init,
        idHash: hash,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + (signedIn ? ABSOLUTE_TIMEOUT_MS : PENDING_TIMEOUT_MS),
      });
      return id;
    },

    async advance(current, patch, signedIn) {
      const now = deps.clock.now();
      const { id, hash } = newSessionId();
      const full: ConsoleSessionPatch = {
        ...patch,
        lastSeenAt: now,
        expiresAt: signedIn ? now + ABSOLUTE_TIMEOUT_MS : current.expiresAt,
      };
      return (await store.rotate(current.idHash, hash, full)) ? id : null;
    },

    async end(id) {
      if (isSessionId(id)) await store.delete(hashSessionId(id));
    },
  };
}
