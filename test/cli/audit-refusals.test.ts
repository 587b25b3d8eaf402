/**
 * `certmint audit list` shows refused administrative requests: the reason (the refusal's code)
 * and the actor column (`-` for the command line itself).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { cli, cliJson, tempDir } from './support.ts';

const dir = tempDir('certmint-audit-refusals-');
after(() => rmSync(dir, { recursive: true, force: true }));

it('a refused command leaves a failure with its reason, shown with the actor column', async () => {
  const db = ['--db', join(dir, 'certmint.db')];
  assert.equal((await cli([...db, 'init'])).code, 0);
  const refused = await cli([...db, 'role', 'create', '--account', 'TSTDRV0000001', '--name', ' ']);
  assert.equal(refused.code, 1, refused.stderr);
  const text = await cli([...db, 'audit', 'list', '--account', 'TSTDRV0000001', '--limit', '1']);
  assert.equal(text.code, 0, text.stderr);
  const [header, row] = text.stdout.split('\n');
  assert.match(header ?? '', /\bRESULT\s+DETAIL\b.*\bROLE\s+ACTOR$/);
  assert.match(row ?? '', /\brole\.create\s+failure\s+role\.invalid_name\b.*\s-$/);
  const [event] = await cliJson<Array<Record<string, unknown>>>([
    ...db,
    'audit',
    'list',
    '--account',
    'TSTDRV0000001',
    '--result',
    'failure',
  ]);
  assert.deepEqual(
    [event?.type, event?.result, event?.detail, event?.actor],
    ['role.create', 'failure', 'role.invalid_name', null],
  );
});
