/**
 * Private keys from `certmint cert generate`: mode 0600, and a one-line warning when the key
 * lands in a git work tree that does not ignore it (checked with git's own rules).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, tempDir } from './support.ts';

const generate = (cwd: string, keyOut = 'private.pem') =>
  cli(['cert', 'generate', '--alg', 'ES256', '--out', 'public.pem', '--key-out', keyOut], { cwd });

const WARNING =
  /^certmint: warning: the private key \S+ is inside a git work tree that does not ignore it: add it to \.gitignore before it gets committed\n$/;

describe('cert generate: private key hygiene', () => {
  let root: string;
  before(() => {
    root = tempDir('certmint-keys-');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function gitRepo(name: string, gitignore?: string): string {
    const dir = join(root, name);
    mkdirSync(dir);
    execFileSync('git', ['init', '--quiet', dir]);
    if (gitignore !== undefined) writeFileSync(join(dir, '.gitignore'), gitignore);
    return dir;
  }

  it('writes the key with mode 0600, relative to the working directory', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir);
    const r = await generate(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(dir, 'private.pem')).mode & 0o777, 0o600);
    assert.equal(r.stderr, '', 'outside a git work tree: no warning');
  });

  it('warns once on stderr when a git work tree does not ignore the key', async () => {
    const dir = gitRepo('unignored', 'node_modules/\n');
    mkdirSync(join(dir, 'keys'));
    const r = await generate(dir, 'keys/private.pem');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, WARNING);
    assert.ok(r.stderr.includes('keys/private.pem'));
    assert.match(r.stdout, /wrote keys\/private\.pem: private key \(mode 0600\)/);
    assert.equal(statSync(join(dir, 'keys', 'private.pem')).mode & 0o777, 0o600);
  });

  it('says nothing when the work tree ignores it', async () => {
    const dir = gitRepo('ignored', '*.key\nprivate*.pem\n');
    const r = await generate(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});
