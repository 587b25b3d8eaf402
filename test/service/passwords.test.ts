import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../../src/service/index.ts';

describe('console passwords', () => {
  it('hash with scrypt and a random salt, and verify only the right password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    assert.notEqual(a, b, 'each hash has its own salt');
    assert.match(a, /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.equal(await verifyPassword('correct horse battery staple', a), true);
    assert.equal(await verifyPassword('correct horse battery stapl', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('treat a missing or malformed hash as a mismatch', async () => {
    assert.equal(await verifyPassword('whatever you like', null), false);
    for (const bad of [
      '',
      'plain',
      'scrypt$3$8$1$c2FsdHNhbHQ$aGFzaA',
      'scrypt$1048577$8$1$c2FsdHNhbHQ$x',
      'bcrypt$x',
    ]) {
      assert.equal(await verifyPassword('whatever you like', bad), false, bad);
    }
  });

  it('refuse passwords that are too short or too long', () => {
    assert.throws(
      () => checkPasswordPolicy('123456789'),
      (e: unknown) => e instanceof DomainError && e.code === 'password.too_short',
    );
    assert.throws(
      () => checkPasswordPolicy('x'.repeat(1025)),
      (e: unknown) => e instanceof DomainError && e.code === 'password.too_long',
    );
    assert.equal(checkPasswordPolicy('1234567890'), '1234567890');
  });
});
