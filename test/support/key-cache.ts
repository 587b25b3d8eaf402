/**
 * Slow key material (RSA: seconds for 3072 and 4096 bits, 10 to 60 s for 8192) made once and
 * kept in os.tmpdir(), for every test file of a run and for later runs.
 *
 *   const dir = await cachedDir('rsa-8192', recipe, (into) => build(into), isUsable);
 *
 * - The entry's name carries a version: a hash of CACHE_FORMAT, the `openssl version` line and
 *   the recipe. Changing how material is made, or another OpenSSL, makes it again instead of
 *   reusing old files.
 * - An entry is built in a private directory and renamed into place (atomic on one file
 *   system): no reader ever sees half of one.
 * - One process builds, the others wait: the builder holds a lock file created with O_EXCL,
 *   and a process that finds it waits for the entry to appear (or for the lock to go away, or
 *   its owner to die) instead of generating the same slow key in parallel.
 * - `isUsable(dir)` false (e.g. a certificate close to its end, a damaged entry): made again.
 *
 * Treat every file in an entry as read-only: copy it if a test needs to change it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './wait.ts';

/** Bump when the layout of an entry changes. */
const CACHE_FORMAT = 'certmint-test-keys-1';
const ROOT = join(tmpdir(), 'certmint-test-keys');
/** An RSA 8192 key on a busy 2-core machine can take minutes: wait that long for another process. */
const WAIT_FOR_BUILDER_MS = 5 * 60_000;
/** A lock file still empty after this long belongs to a process that died before writing its pid. */
const EMPTY_LOCK_STALE_MS = 10_000;

let opensslVersion: Promise<string> | null = null;
const version = (): Promise<string> => {
  opensslVersion ??= promisify(execFile)('openssl', ['version']).then((r) => r.stdout.trim());
  return opensslVersion;
};

/** The entry directory for `name` made by `build` under this `recipe` (any JSON value). */
export async function cachedDir(
  name: string,
  recipe: unknown,
  build: (into: string) => Promise<void>,
  isUsable: (dir: string) => Promise<boolean>,
): Promise<string> {
  const key = createHash('sha256')
    .update(JSON.stringify([CACHE_FORMAT, await version(), recipe]))
    .digest('hex')
    .slice(0, 16);
  const final = join(ROOT, `${name}-${key}`);
  const lock = `${final}.lock`;
  await mkdir(ROOT, { recursive: true });
  for (;;) {
    if (existsSync(final) && (await isUsable(final))) return final;
    if (await tryLock(lock)) {
      try {
        // Checked again under the lock: another process may have finished in between.
        if (existsSync(final) && (await isUsable(final))) return final;
        await discard(final);
        const work = await mkdtemp(join(ROOT, `.${name}-`));
        try {
          await build(work);
          await rename(work, final);
        } catch (e) {
          await rm(work, { recursive: true, force: true });
          // Two processes that both took over a stale lock: the first rename wins.
          if (!existsSync(final)) throw e;
        }
        return final;
      } finally {
        await rm(lock, { force: true });
      }
    }
    await eventually(
      `another test process has made ${name} (lock ${lock})`,
      async () => existsSync(final) || !existsSync(lock) || (await ownerGone(lock)),
      { timeoutMs: WAIT_FOR_BUILDER_MS, everyMs: 100 },
    );
    if (!existsSync(final) && (await ownerGone(lock))) await rm(lock, { force: true });
  }
}

async function tryLock(lock: string): Promise<boolean> {
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Whether the process named in the lock file has died (the lock is stale). */
async function ownerGone(lock: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(lock, 'utf8');
  } catch {
    return true; // gone already
  }
  const pid = Number(text);
  if (text === '' || !Number.isInteger(pid) || pid <= 0) {
    const age = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    return age > EMPTY_LOCK_STALE_MS;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves an unusable entry aside (one rename) before deleting it, so readers never see it half gone. */
async function discard(final: string): Promise<void> {
  if (!existsSync(final)) return;
  const trash = `${final}.old-${process.pid}-${Date.now()}`;
  await rename(final, trash);
  await rm(trash, { recursive: true, force: true });
}
