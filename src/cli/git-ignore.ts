/**
 * A private key written inside a git work tree that does not ignore it is one `git add -A` away
 * from being published. `git check-ignore` answers with git's own rules (.gitignore files,
 * .git/info/exclude, core.excludesFile): exit 0 ignored, 1 not ignored, 128 not a work tree.
 */
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { io } from './io.ts';

function checkIgnore(path: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['check-ignore', '--quiet', '--', basename(path)],
      { cwd: dirname(path), timeout: 10_000 },
      (error) => {
        if (error === null) resolve(0);
        else resolve(typeof error.code === 'number' ? error.code : null);
      },
    );
  });
}

/** Warns (one line on stderr) when `path` (absolute) is in a git work tree that does not ignore it. */
export async function warnIfNotIgnored(path: string, shown: string): Promise<void> {
  // No git, not a work tree, or any other failure: nothing to warn about.
  if ((await checkIgnore(path)) !== 1) return;
  io().stderr(
    `certmint: warning: the private key ${shown} is inside a git work tree that does not ignore it: add it to .gitignore before it gets committed\n`,
  );
}
