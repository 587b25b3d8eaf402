/**
 * Where a self-rotating token client keeps its current certificate id and private key, so a
 * restart picks up the rotated certificate instead of the revoked one from its configuration.
 * Any `{ load, save }` object works (a secrets manager, a database row); `fileCredentialStore`
 * is built in: one JSON file, mode 0600, replaced atomically (written beside it, flushed, then
 * renamed over it), so a crash leaves either the old credential or the new one, never half.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError } from '../errors.ts';

export interface StoredCredential {
  certificateId: string;
  /** PKCS#8 PEM private key. */
  privateKey: string;
  certificatePem?: string;
  /** End of validity: a Date, an ISO string or ms (stores that serialize give strings back). */
  validUntil?: Date | string | number;
  /** The mapping's role and entity, for the next rotation. */
  role?: number | string;
  entity?: number | string;
}

export interface CredentialStore {
  /** The stored credential, or null/undefined when there is none yet. */
  load(): Promise<StoredCredential | null | undefined>;
  save(credential: StoredCredential): Promise<void>;
}

/** ms of a stored validUntil, or undefined when absent or unreadable. */
export function validUntilOf(c: Pick<StoredCredential, 'validUntil'>): number | undefined {
  const v = c.validUntil;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : v;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

export function fileCredentialStore(path: string): CredentialStore {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigurationError('fileCredentialStore needs a file path');
  }
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      const c = JSON.parse(text) as StoredCredential;
      if (typeof c?.certificateId !== 'string' || typeof c.privateKey !== 'string') {
        throw new ConfigurationError(
          `${path} is not a stored credential (certificateId, privateKey)`,
        );
      }
      return c;
    },
    async save(c) {
      const v = validUntilOf(c);
      const json = JSON.stringify(
        { ...c, ...(v === undefined ? {} : { validUntil: new Date(v).toISOString() }) },
        null,
        2,
      );
      const temp = `${path}.${randomUUID()}.tmp`;
      // Created 0600 from its first byte ('wx': never through an existing file or link).
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${json}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, path);
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
      // The rename itself must survive a crash: flush the directory entry (not on every OS).
      try {
        const dir = await open(dirname(path), 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      } catch {
        // Windows cannot open a directory; the rename is still atomic there.
      }
    },
  };
}
