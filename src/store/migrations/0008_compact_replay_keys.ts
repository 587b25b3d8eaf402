/**
 * Replay keys are stored as their digest (store/replay-key.ts). The keys claimed before this
 * migration are converted with the very same function, so a record claimed under its long key
 * still refuses that key afterwards (a replayed assertion stays refused across the upgrade).
 * In JavaScript on both dialects: the digest has a single definition.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../context.ts';
import { replayDigest } from '../replay-key.ts';

/** Keys converted per statement (one JSON or array parameter each, far below any limit). */
const BATCH = 1000;

export function compactReplayKeysMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const r = await sql<{ key: string }>`select key from replay`.execute(db);
      const olds = r.rows.map((row) => row.key);
      for (let i = 0; i < olds.length; i += BATCH) {
        const old = olds.slice(i, i + BATCH);
        const digest = old.map(replayDigest);
        // No new key can meet an old one mid-update: every old key has a namespace separator
        // ('|' or ':'), a digest is base64url.
        if (dialect === 'postgres') {
          await sql`update replay set key = n.new_key
            from unnest(${old}::text[], ${digest}::text[]) as n(old_key, new_key)
            where replay.key = n.old_key`.execute(db);
        } else {
          const pairs = JSON.stringify(old.map((k, j) => [k, digest[j]]));
          await sql`update replay set key = n.new_key
            from (select json_extract(value, '$[0]') as old_key, json_extract(value, '$[1]') as new_key
                  from json_each(${pairs})) as n
            where replay.key = n.old_key`.execute(db);
        }
      }
    },
  };
}
